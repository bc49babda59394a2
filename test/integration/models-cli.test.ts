// Choosing the provider at start-up, and `railbook models`, against real HTTP servers on port 0
// that speak Ollama's and OpenAI's protocols (test/helpers/fake-*.ts). Where Railbook would look
// for Ollama on its default port, the tests point it at a port where nothing listens, so what
// they see does not depend on whether a real Ollama runs on this machine. SQLite only: the
// settings are a few keys in the store, the same on either backend.
import { runInProcess } from '../helpers/in-process-cli.ts';
import { statSync, writeFileSync } from 'node:fs';
import path, { basename } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAiSettings, saveAiSettings, type AiSettings, type AiSettingsPatch } from '../../src/ai/ai-settings.ts';
import { chooseProvider, type Choice } from '../../src/ai/choose-provider.ts';
import type { Provider } from '../../src/ai/provider.ts';
import { LlamaProvider } from '../../src/ai/llama.ts';
import { OllamaProvider } from '../../src/ai/ollama.ts';
import { OpenAiProvider } from '../../src/ai/openai.ts';
import { modelsCommand, type ModelsDeps } from '../../src/cli/commands/models.ts';
import { Store } from '../../src/store/store.ts';
import { closedPort, FakeOllama } from '../helpers/fake-ollama.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.ts';
import { railbookCli, type CliResult } from '../helpers/railbook-cli.ts';
import { tempDir } from '../helpers/temp-engine.ts';
import { tinyModelFile } from '../helpers/tiny-gguf.ts';

const SECRET = 'sk-live-4b8e1f0a9d7c-must-not-leak';
const AI_VARS = ['RAILBOOK_AI_PROVIDER', 'RAILBOOK_AI_BASE_URL', 'RAILBOOK_AI_API_KEY', 'RAILBOOK_AI_CHAT_MODEL', 'RAILBOOK_AI_EMBED_MODEL', 'RAILBOOK_AI_MODEL_FILE'];

let ollama: FakeOllama;
let openai: FakeOpenAi;
/** An OpenAI-compatible server that wants a key. */
let guarded: FakeOpenAi;
/** Where nothing listens: stands in for Ollama's default port. */
let nowhere: string;
let data: ReturnType<typeof tempDir>;
/** The data folder of the `railbook` commands: nothing saved in it, so only the environment counts. */
let cliDir: ReturnType<typeof tempDir>;
let store: Store;

before(async () => {
  ollama = await FakeOllama.start();
  openai = await startFakeOpenAi();
  guarded = await startFakeOpenAi({ apiKey: 'the-right-key' });
  nowhere = `http://127.0.0.1:${await closedPort()}`;
  data = tempDir('railbook-models-');
  cliDir = tempDir('railbook-models-cli-');
  store = await Store.open(data.dir);
});

after(async () => {
  await store.close();
  data.cleanup();
  cliDir.cleanup();
  await Promise.all([ollama.close(), openai.close(), guarded.close()]);
});

/** The settings as the environment `env` makes them, after saving `saved` (the rest cleared). */
async function settings(env: NodeJS.ProcessEnv, saved: AiSettingsPatch = {}): Promise<AiSettings> {
  const cleared: AiSettingsPatch = { provider: null, baseUrl: null, apiKey: null, chatModel: null, embedModel: null, modelFile: null };
  await saveAiSettings(store, { ...cleared, ...saved });
  return loadAiSettings(store, env);
}

/** The provider chosen, and why; fails the test with the help when there is none. */
function chosen(c: Choice): { provider: Provider; why: string } {
  if (!c.provider) assert.fail(`no provider chosen: ${'help' in c ? c.help : ''}`);
  return c;
}

/** The help given when no provider is chosen. */
function helpOf(c: Choice): string {
  if (c.provider) assert.fail(`a provider was chosen: ${'why' in c ? c.why : ''}`);
  return c.help;
}

describe('chooseProvider', () => {
  test('nothing set and Ollama answers: Ollama', async () => {
    const c = chosen(await chooseProvider(await settings({}), { ollamaUrl: ollama.url }));
    assert.ok(c.provider, 'a provider');
    assert.ok(c.provider instanceof OllamaProvider);
    assert.equal(c.provider.baseUrl, ollama.url);
    assert.match(c.why, new RegExp(`Ollama 0\\.5\\.7 at ${ollama.url}`));
    assert.deepEqual((await c.provider.models()).map((m) => m.id), ['gemma3:1b', 'nomic-embed-text:latest']);
  });

  test('Ollama does not answer, a server is configured: the OpenAI-compatible server', async () => {
    const c = chosen(await chooseProvider(await settings({ RAILBOOK_AI_BASE_URL: openai.baseUrl }), { ollamaUrl: nowhere }));
    assert.ok(c.provider instanceof OpenAiProvider);
    assert.match(c.why, /RAILBOOK_AI_BASE_URL/);
    assert.match(c.why, /tiny-chat/);
    assert.deepEqual((await c.provider.models()).map((m) => m.id), ['tiny-chat', 'tiny-embed']);
  });

  test('a saved base URL counts as configured too, and says it was saved', async () => {
    const c = chosen(await chooseProvider(await settings({}, { baseUrl: openai.baseUrl }), { ollamaUrl: nowhere }));
    assert.ok(c.provider instanceof OpenAiProvider);
    assert.match(c.why, /saved setting baseUrl/);
  });

  test('both answer and nothing is set: Ollama on its port comes first', async () => {
    const c = chosen(await chooseProvider(await settings({ RAILBOOK_AI_BASE_URL: openai.baseUrl }), { ollamaUrl: ollama.url }));
    assert.equal(c.provider?.kind, 'ollama');
  });

  test('a configured base URL where an Ollama answers (another machine or port) is used as Ollama', async () => {
    const c = chosen(await chooseProvider(await settings({ RAILBOOK_AI_BASE_URL: ollama.url }), { ollamaUrl: nowhere }));
    assert.ok(c.provider instanceof OllamaProvider);
    assert.equal(c.provider.baseUrl, ollama.url);
  });

  test('nothing answers and nothing is configured: plain help on how to get a model', async () => {
    const help = helpOf(await chooseProvider(await settings({}), { ollamaUrl: nowhere }));
    assert.match(help, /No AI model is available/);
    assert.match(help, new RegExp(`Ollama is not answering at ${nowhere}`), 'says what was tried');
    assert.match(help, /https:\/\/ollama\.com\/download/);
    assert.match(help, /ollama pull gemma3:1b/);
    assert.match(help, /RAILBOOK_AI_BASE_URL/);
    assert.match(help, /LM Studio/);
    assert.match(help, /llama\.cpp's server/);
    assert.match(help, /vLLM/);
    assert.match(help, /RAILBOOK_AI_MODEL_FILE/);
    assert.match(help, /GGUF/);
  });

  test('the help suggests the configured chat model', async () => {
    const help = helpOf(await chooseProvider(await settings({ RAILBOOK_AI_CHAT_MODEL: 'qwen3:4b' }), { ollamaUrl: nowhere }));
    assert.match(help, /ollama pull qwen3:4b/);
  });

  test('a configured server that does not answer is named in the help, with why', async () => {
    const down = `http://127.0.0.1:${await closedPort()}/v1`;
    const help = helpOf(await chooseProvider(await settings({ RAILBOOK_AI_BASE_URL: down }), { ollamaUrl: nowhere }));
    assert.ok(help.includes(`- Nothing answers at ${down}: ECONNREFUSED`), help);
    assert.ok(help.includes('(the server of RAILBOOK_AI_BASE_URL)'), help);
  });

  test('nothing answers, a GGUF file is configured: the embedded llama.cpp with that file', async () => {
    const file = tinyModelFile();
    const c = chosen(await chooseProvider(await settings({ RAILBOOK_AI_MODEL_FILE: file }), { ollamaUrl: nowhere }));
    assert.ok(c.provider instanceof LlamaProvider);
    assert.equal(c.provider.modelFile, file);
    assert.equal(c.why, `RAILBOOK_AI_MODEL_FILE: the embedded llama.cpp with ${file}`);
    const saved = chosen(await chooseProvider(await settings({}, { modelFile: file }), { ollamaUrl: nowhere }));
    assert.ok(saved.provider instanceof LlamaProvider);
    assert.match(saved.why, /^the saved setting modelFile: /);
  });

  test('the order: Ollama, then a configured server, before a GGUF file', async () => {
    const file = tinyModelFile();
    assert.equal(chosen(await chooseProvider(await settings({ RAILBOOK_AI_MODEL_FILE: file }), { ollamaUrl: ollama.url })).provider.kind, 'ollama');
    const both = await settings({ RAILBOOK_AI_MODEL_FILE: file, RAILBOOK_AI_BASE_URL: openai.baseUrl });
    assert.equal(chosen(await chooseProvider(both, { ollamaUrl: nowhere })).provider.kind, 'openai');
  });

  test('a configured GGUF file that is not there: the help says so, and how to get a model', async () => {
    const help = helpOf(await chooseProvider(await settings({ RAILBOOK_AI_MODEL_FILE: '/models/tiny model.gguf' }), { ollamaUrl: nowhere }));
    assert.match(help, /No AI model is available/);
    assert.ok(help.includes('- The model file /models/tiny model.gguf does not exist. Set RAILBOOK_AI_MODEL_FILE'), help);
    assert.match(help, /ollama pull gemma3:1b/);
    assert.match(help, /Hugging Face/);
  });

  describe('an explicit provider is used as configured', () => {
    test('openai, even while an Ollama answers', async () => {
      const c = chosen(await chooseProvider(await settings({ RAILBOOK_AI_PROVIDER: 'openai', RAILBOOK_AI_BASE_URL: openai.baseUrl }), { ollamaUrl: ollama.url }));
      assert.ok(c.provider instanceof OpenAiProvider);
      assert.match(c.why, /^RAILBOOK_AI_PROVIDER is openai: the OpenAI-compatible server at /);
    });

    test('openai without a base URL: help, not a guess', async () => {
      const help = helpOf(await chooseProvider(await settings({ RAILBOOK_AI_PROVIDER: 'openai' }), { ollamaUrl: ollama.url }));
      assert.match(help, /no base URL is set/);
      assert.match(help, /RAILBOOK_AI_BASE_URL/);
    });

    test('ollama at the configured URL, without probing it first', async () => {
      const before = ollama.requests.length;
      const c = chosen(await chooseProvider(await settings({ RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: ollama.url }), { ollamaUrl: nowhere }));
      assert.ok(c.provider instanceof OllamaProvider);
      assert.equal(c.provider.baseUrl, ollama.url);
      assert.equal(ollama.requests.length, before, 'no request until it is used');
    });

    test('ollama without a URL: Ollama where it is looked for by default', async () => {
      const c = chosen(await chooseProvider(await settings({}, { provider: 'ollama' }), { ollamaUrl: ollama.url }));
      assert.ok(c.provider instanceof OllamaProvider);
      assert.equal(c.provider.baseUrl, ollama.url);
      assert.match(c.why, /^the saved setting provider is ollama/);
    });

    test('llama with a model file: the embedded llama.cpp, even while an Ollama answers, without checking the file first', async () => {
      const c = chosen(await chooseProvider(await settings({ RAILBOOK_AI_PROVIDER: 'llama', RAILBOOK_AI_MODEL_FILE: '/m/tiny.gguf' }), { ollamaUrl: ollama.url }));
      assert.ok(c.provider instanceof LlamaProvider);
      assert.equal(c.provider.modelFile, '/m/tiny.gguf');
      assert.equal(c.why, 'RAILBOOK_AI_PROVIDER is llama: the embedded llama.cpp with /m/tiny.gguf');
      // The missing file is said on first use, with what to do.
      const health = await c.provider.health();
      assert.equal(health.ok, false);
      assert.match(health.detail, /\/m\/tiny\.gguf does not exist\. Set RAILBOOK_AI_MODEL_FILE/);
    });

    test('llama without a model file: help on getting a GGUF file, and the other two ways', async () => {
      const without = helpOf(await chooseProvider(await settings({ RAILBOOK_AI_PROVIDER: 'llama' }), { ollamaUrl: ollama.url }));
      assert.match(without, /no model file is set: set RAILBOOK_AI_MODEL_FILE to a GGUF file/);
      assert.match(without, /huggingface\.co/);
      assert.match(without, /ollama pull gemma3:1b/);
      assert.match(without, /RAILBOOK_AI_PROVIDER=openai and RAILBOOK_AI_BASE_URL/);
      assert.match(without, /LM Studio/);
    });
  });

  test('a refused API key is not repeated in the help, though the server echoes it', async () => {
    const help = helpOf(await chooseProvider(await settings({ RAILBOOK_AI_BASE_URL: guarded.baseUrl, RAILBOOK_AI_API_KEY: SECRET }), { ollamaUrl: nowhere }));
    assert.match(help, /refused the API key/);
    assert.ok(!help.includes(SECRET), help);
    assert.equal(guarded.requests.at(-1)?.headers.authorization, `Bearer ${SECRET}`, 'the key was sent (and echoed back)');
  });

  test('the right key is sent and works', async () => {
    const c = chosen(await chooseProvider(await settings({ RAILBOOK_AI_BASE_URL: guarded.baseUrl, RAILBOOK_AI_API_KEY: 'the-right-key' }), { ollamaUrl: nowhere }));
    assert.ok(c.provider instanceof OpenAiProvider);
    assert.ok(!c.why.includes('the-right-key'));
  });
});

// ---- `railbook models` --------------------------------------------------------------------------

/**
 * The real `railbook` command in a child process, its AI variables exactly `env` (none inherited
 * from the runner's shell), on a data folder of its own.
 */
function railbook(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return railbookCli([...args, '--data-dir', cliDir.dir], { env, unset: AI_VARS });
}

/**
 * `railbook models` in this process with Ollama looked for at `deps.ollamaUrl` instead of its
 * default port: the command on a program of its own, its output collected through its own
 * writers (the test runner's reporter owns process.stdout), its errors reported as main() does.
 */
async function models(args: string[], env: NodeJS.ProcessEnv, deps: ModelsDeps): Promise<CliResult> {
  return runInProcess(['models', ...args, '--data-dir', cliDir.dir], (program, io) => modelsCommand(program, { ...deps, env, stdout: io.stdout, stderr: io.stderr }));
}

describe('railbook models', () => {
  test("lists the fake Ollama's models in a table: name, size in human units, modified", async () => {
    const r = await railbook(['models'], { RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: ollama.url });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^NAME\s+SIZE\s+MODIFIED$/);
    assert.match(lines[1]!, /^gemma3:1b\s+815 MB\s+2025-03-1[12] \d\d:\d\d$/);
    assert.match(lines[2]!, /^nomic-embed-text:latest\s+274 MB\s+2025-0[12]-\d\d \d\d:\d\d$/);
    // Columns line up: the sizes start where the header's SIZE does.
    assert.equal(lines[1]!.indexOf('815'), lines[0]!.indexOf('SIZE'));
    assert.match(r.stderr, new RegExp(`RAILBOOK_AI_PROVIDER is ollama: Ollama at ${ollama.url}`));
  });

  test('lists an OpenAI-compatible server\'s models (no sizes there)', async () => {
    const r = await railbook(['models'], { RAILBOOK_AI_PROVIDER: 'openai', RAILBOOK_AI_BASE_URL: openai.baseUrl });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.map((l) => l.split(/\s+/)[0]), ['NAME', 'tiny-chat', 'tiny-embed']);
    assert.match(lines[1]!, /^tiny-chat\s+—\s+2023-11-1[45] \d\d:\d\d$/);
    assert.equal(openai.requests.at(-1)?.path, '/v1/models');
  });

  test('--json: the provider, why, and each model with size in bytes', async () => {
    const r = await railbook(['models', '--json'], { RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: ollama.url });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(JSON.parse(r.stdout), {
      provider: 'ollama',
      why: `RAILBOOK_AI_PROVIDER is ollama: Ollama at ${ollama.url}`,
      models: [
        { id: 'gemma3:1b', size: 815_319_791, modified: '2025-03-12T10:01:02.123456789Z', family: 'gemma3' },
        { id: 'nomic-embed-text:latest', size: 274_302_450, modified: '2025-02-01T08:00:00Z', family: 'nomic-bert' },
      ],
    });
    const o = await railbook(['models', '--json'], { RAILBOOK_AI_PROVIDER: 'openai', RAILBOOK_AI_BASE_URL: openai.baseUrl });
    assert.equal(o.code, 0, o.stderr);
    const parsed = JSON.parse(o.stdout) as { provider: string; models: unknown[] };
    assert.equal(parsed.provider, 'openai');
    assert.deepEqual(parsed.models[0], { id: 'tiny-chat', size: null, modified: '2023-11-14T22:13:20.000Z', family: null });
  });

  test('found without settings: Ollama where it is looked for', async () => {
    const r = await models([], {}, { ollamaUrl: ollama.url });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /gemma3:1b/);
    assert.match(r.stderr, /found Ollama 0\.5\.7/);
  });

  test('an Ollama with no models yet: an empty list and how to get one', async () => {
    const saved = ollama.models;
    ollama.models = [];
    try {
      const r = await railbook(['models'], { RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: ollama.url });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /no models yet: download one with {2}ollama pull gemma3:1b/);
      const j = await railbook(['models', '--json'], { RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: ollama.url });
      assert.deepEqual((JSON.parse(j.stdout) as { models: unknown[] }).models, []);
    } finally {
      ollama.models = saved;
    }
  });

  test('no provider: the help on stderr, nothing on stdout, exit 1', async () => {
    for (const args of [[], ['--json']]) {
      const r = await models(args, {}, { ollamaUrl: nowhere });
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^railbook: No AI model is available/);
      assert.match(r.stderr, /ollama pull gemma3:1b/);
      assert.match(r.stderr, /RAILBOOK_AI_BASE_URL/);
      assert.match(r.stderr, /RAILBOOK_AI_MODEL_FILE/);
    }
    const llama = await railbook(['models'], { RAILBOOK_AI_PROVIDER: 'llama' });
    assert.equal(llama.code, 1);
    assert.match(llama.stderr, /no model file is set/);
  });

  test('the embedded provider: lists its one model, the GGUF file, with its size and time', async () => {
    const file = tinyModelFile();
    const r = await railbook(['models'], { RAILBOOK_AI_PROVIDER: 'llama', RAILBOOK_AI_MODEL_FILE: file });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    const size = statSync(file).size;
    assert.match(lines[1]!, new RegExp(`^${basename(file).replace(/\./g, '\\.')}\\s+${Math.round(size / 1000)} kB\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$`));
    assert.match(r.stderr, /RAILBOOK_AI_PROVIDER is llama: the embedded llama\.cpp with /);
    const j = await railbook(['models', '--json'], { RAILBOOK_AI_PROVIDER: 'llama', RAILBOOK_AI_MODEL_FILE: file });
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout), {
      provider: 'llama',
      why: `RAILBOOK_AI_PROVIDER is llama: the embedded llama.cpp with ${file}`,
      models: [{ id: basename(file), size, modified: statSync(file).mtime.toISOString(), family: null }],
    });
  });

  test('the embedded provider with a file that is missing or not a GGUF: what is wrong, exit 1', async () => {
    const missing = await railbook(['models'], { RAILBOOK_AI_PROVIDER: 'llama', RAILBOOK_AI_MODEL_FILE: '/m/tiny.gguf' });
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^railbook: The model file \/m\/tiny\.gguf does not exist\. Set RAILBOOK_AI_MODEL_FILE/);
    const text = path.join(cliDir.dir, 'notes.gguf');
    writeFileSync(text, 'just some notes, not a model\n');
    const notGguf = await railbook(['models'], { RAILBOOK_AI_PROVIDER: 'llama', RAILBOOK_AI_MODEL_FILE: text });
    assert.equal(notGguf.code, 1);
    assert.match(notGguf.stderr, /is not a GGUF model/);
  });

  test('a provider error prints its message, exit 1', async () => {
    const r = await railbook(['models'], { RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: nowhere });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^railbook: Ollama is not answering at ${nowhere} \\(ECONNREFUSED`));
    assert.match(r.stderr, /ollama serve/);
    const wrongPath = await railbook(['models'], { RAILBOOK_AI_PROVIDER: 'openai', RAILBOOK_AI_BASE_URL: openai.baseUrl.replace(/\/v1$/, '') });
    assert.equal(wrongPath.code, 1);
    assert.match(wrongPath.stderr, /HTTP 404 \(is the base URL right\? it usually ends in \/v1\)/);
  });

  test('the API key is sent but never printed, on success or refusal', async () => {
    const wrong = await railbook(['models'], { RAILBOOK_AI_PROVIDER: 'openai', RAILBOOK_AI_BASE_URL: guarded.baseUrl, RAILBOOK_AI_API_KEY: SECRET });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /refused the API key \(HTTP 401\)/);
    assert.equal(guarded.requests.at(-1)?.headers.authorization, `Bearer ${SECRET}`);
    for (const text of [wrong.stdout, wrong.stderr]) assert.ok(!text.includes(SECRET), text);

    const right = await railbook(['models', '--json'], { RAILBOOK_AI_PROVIDER: 'openai', RAILBOOK_AI_BASE_URL: guarded.baseUrl, RAILBOOK_AI_API_KEY: 'the-right-key' });
    assert.equal(right.code, 0, right.stderr);
    assert.ok(!`${right.stdout}${right.stderr}`.includes('the-right-key'));
  });

  test('a setting that is not valid: exit 2, naming the variable', async () => {
    const r = await railbook(['models'], { RAILBOOK_AI_PROVIDER: 'chatgpt' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^railbook: RAILBOOK_AI_PROVIDER must be one of ollama, openai, llama/);
    const key = await railbook(['models'], { RAILBOOK_AI_PROVIDER: 'openai', RAILBOOK_AI_BASE_URL: openai.baseUrl, RAILBOOK_AI_API_KEY: `${SECRET} x` });
    assert.equal(key.code, 2);
    assert.ok(!key.stderr.includes(SECRET));
  });

  test('--help documents the variables and why it exits 1', async () => {
    const r = await railbook(['models', '--help']);
    assert.equal(r.code, 0);
    for (const name of AI_VARS) assert.match(r.stdout, new RegExp(name));
    assert.match(r.stdout, /--json/);
    assert.match(r.stdout, /1 no model provider is available/);
    const top = await railbookCli(['--help']);
    assert.match(top.stdout, /\n {2}models \[options\] +list the AI provider's/);
  });
});
