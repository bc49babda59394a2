// `railbook models pull <name>` against a real HTTP server speaking Ollama's protocol
// (test/helpers/fake-ollama.ts streams /api/pull's progress lines): in this process for the
// output and the errors, and as a real child process for Ctrl-C (SIGINT).
import { runInProcess } from '../helpers/in-process-cli.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { modelsCommand, type ModelsDeps } from '../../src/cli/commands/models.ts';
import { closedPort, FakeOllama } from '../helpers/fake-ollama.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.ts';
import { BIN, cleanEnv } from '../helpers/railbook-cli.ts';
import { tempDir } from '../helpers/temp-engine.ts';
import { tinyModelFile } from '../helpers/tiny-gguf.ts';

const AI_VARS = ['RAILBOOK_AI_PROVIDER', 'RAILBOOK_AI_BASE_URL', 'RAILBOOK_AI_API_KEY', 'RAILBOOK_AI_CHAT_MODEL', 'RAILBOOK_AI_EMBED_MODEL', 'RAILBOOK_AI_MODEL_FILE'];

let ollama: FakeOllama;
let openai: FakeOpenAi;
let nowhere: string;
const data = tempDir('railbook-pull-');

before(async () => {
  ollama = await FakeOllama.start();
  openai = await startFakeOpenAi();
  nowhere = `http://127.0.0.1:${await closedPort()}`;
});

after(async () => {
  await Promise.all([ollama.close(), openai.close()]);
  data.cleanup();
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  progress: string;
}

async function models(args: string[], env: NodeJS.ProcessEnv, deps: ModelsDeps = {}, onProgress?: (text: string) => void): Promise<Result> {
  return runInProcess(['models', ...args, '--data-dir', data.dir], (program, io) => modelsCommand(program, { ollamaUrl: nowhere, ...deps, env, ...io }), { onProgress });
}

const OLLAMA = () => ({ RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: ollama.url });

describe('railbook models pull', () => {
  test('streams the statuses and the bytes, then says it pulled; the listing still works', async () => {
    const r = await models(['pull', 'tinyllama'], OLLAMA());
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.progress.trimEnd().split('\n'), [
      'pulling manifest',
      'downloading 2af3b81862c6 (1.0 kB)',
      'downloading 2af3b81862c6: 1.0 kB of 1.0 kB (100%)',
      'verifying sha256 digest',
      'writing manifest',
      'removing any unused layers',
      'success',
    ]);
    assert.match(r.stderr, /\(RAILBOOK_AI_PROVIDER is ollama: Ollama at http:\/\/127\.0\.0\.1:\d+\)\npulled tinyllama\n/);
    const pull = ollama.requests.filter((q) => q.path === '/api/pull');
    assert.deepEqual(pull.at(-1)!.body, { model: 'tinyllama', stream: true });

    const list = await models(['--json'], OLLAMA());
    assert.equal(list.code, 0, list.stderr);
    assert.equal(JSON.parse(list.stdout).provider, 'ollama');
  });

  test('on a terminal: a bar with the bytes for the download, the other statuses as lines', async () => {
    let drawn = '';
    // A terminal as cli-progress drives one: the cursor moves and line clears are its own business.
    const tty = Object.assign(new Writable({ write(c: Buffer, _e, cb) { drawn += c.toString(); cb(); } }), {
      isTTY: true,
      columns: 100,
      cursorTo: (_x: number, _y?: unknown, cb?: () => void) => { cb?.(); return true; },
      moveCursor: (_x: number, _y: number, cb?: () => void) => { cb?.(); return true; },
      clearLine: (_d: number, cb?: () => void) => { cb?.(); return true; },
      clearScreenDown: (cb?: () => void) => { cb?.(); return true; },
    });
    let stdout = '';
    let stderr = '';
    const program = new Command('railbook').exitOverride();
    modelsCommand(program, { ollamaUrl: nowhere, env: OLLAMA(), stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, progressStream: tty });
    await program.parseAsync(['node', 'railbook', 'models', 'pull', 'tinyllama', '--data-dir', data.dir]);
    assert.match(stderr, /pulled tinyllama/);
    assert.equal(stdout, '');
    assert.match(drawn, /pulling manifest\n/);
    assert.match(drawn, /downloading 2af3b81862c6 \[█+\] 100% 1000\/1000 1\.0 kB of 1\.0 kB/);
    assert.match(drawn, /verifying sha256 digest\n[\s\S]*success\n/);
  });

  test('a model the registry does not have: exit 2 with what Ollama said', async () => {
    const r = await models(['pull', 'no-such-model'], OLLAMA());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Ollama could not pull "no-such-model": pull model manifest: file does not exist/);
  });

  test('another provider, or none: a clear error saying how that provider gets its models', async () => {
    const viaOpenAi = await models(['pull', 'tinyllama'], { RAILBOOK_AI_PROVIDER: 'openai', RAILBOOK_AI_BASE_URL: openai.baseUrl });
    assert.equal(viaOpenAi.code, 2, viaOpenAi.stderr);
    assert.match(viaOpenAi.stderr, /only Ollama pulls models, and the provider in use is not Ollama \(.*\): an OpenAI-compatible server gets its models its own way/);
    const embedded = await models(['pull', 'tinyllama'], { RAILBOOK_AI_PROVIDER: 'llama', RAILBOOK_AI_MODEL_FILE: tinyModelFile() });
    assert.equal(embedded.code, 2, embedded.stderr);
    assert.match(embedded.stderr, /the embedded llama\.cpp runs the GGUF file at RAILBOOK_AI_MODEL_FILE/);
    const none = await models(['pull', 'tinyllama'], {});
    assert.equal(none.code, 1);
    assert.match(none.stderr, /pulling a model needs Ollama, and none answers/);
  });

  test('stopped half-way (as Ctrl-C does): exit 1, says how to continue', async () => {
    const stop = new AbortController();
    const r = await models(['pull', 'tinyllama'], OLLAMA(), { signal: stop.signal }, (p) => { if (p.includes('downloading')) stop.abort(); });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /stopped pulling tinyllama: Ollama keeps what it downloaded, and {2}railbook models pull tinyllama {2}continues from there/);
    assert.doesNotMatch(r.stderr, /pulled tinyllama/);
  });

  test('Ctrl-C (SIGINT) in a real `railbook models pull` stops it', async () => {
    // A long download: a thousand progress lines, 2 ms apart.
    const saved = ollama.pullLines;
    ollama.pullLines = [
      { status: 'pulling manifest' },
      ...Array.from({ length: 1000 }, (_, i) => ({ status: 'downloading sha256:2af3b81862c6', total: 1_000_000, completed: i * 1000 })),
      { status: 'success' },
    ];
    try {
      const child = spawn(process.execPath, [BIN, 'models', 'pull', 'tinyllama', '--data-dir', data.dir], { env: cleanEnv(OLLAMA(), AI_VARS) });
      let stderr = '';
      child.stdout.resume();
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      let sent = false;
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!sent && stderr.includes('downloading')) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      const code = await exited;
      assert.ok(sent, stderr);
      assert.equal(code, 1, stderr);
      assert.match(stderr, /stopped pulling tinyllama/);
      assert.doesNotMatch(stderr, /pulled tinyllama/);
    } finally {
      ollama.pullLines = saved;
    }
  });
});
