// Real inference end to end: the assistant (src/ai/assistant.ts) with the embedded llama.cpp
// provider on tiny GGUF models the suite writes itself (test/helpers/tiny-gguf.ts), one thread.
// Model A (64 dimensions) and model B (32) are two files; the settings switch from one to the
// other as the Settings page or the environment would. What is asserted is the plumbing (streamed
// tokens stored, which model's vectors answer, what the model is given), not the gibberish.
//
// The chat's provider is observed, not replaced: `choose` wraps the real LlamaProvider and
// records the messages each chat request gives it, then lets the real model answer.
process.env.RAILBOOK_AI_THREADS = '1';

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadAiSettings } from '../../src/ai/ai-settings.ts';
import { openAssistant, type Assistant } from '../../src/ai/assistant.ts';
import type { ChatEvent } from '../../src/ai/chat/chat-types.ts';
import { chooseProvider } from '../../src/ai/choose-provider.ts';
import { LlamaProvider, unloadLlamaModels } from '../../src/ai/llama.ts';
import { providerEmbedder } from '../../src/ai/memory/embedder.ts';
import { activeSet, buildingSet, listSets } from '../../src/ai/memory/embedding-sets.ts';
import { MemoryDb } from '../../src/ai/memory/memory-db.ts';
import { DOCUMENTS_SCHEMA } from '../../src/ai/memory/documents-schema.ts';
import { runReembed } from '../../src/ai/memory/reembed.ts';
import { VectorMemory } from '../../src/ai/memory/vector-memory.ts';
import { countVectors } from '../../src/ai/memory/vector-index.ts';
import type { ChatMessage, Provider } from '../../src/ai/provider.ts';
import { Store } from '../../src/store/store.ts';
import { BIN, cleanEnv, railbookCli } from '../helpers/railbook-cli.ts';
import { tempDir } from '../helpers/temp-engine.ts';
import { tinyModelFile } from '../helpers/tiny-gguf.ts';

const AI_VARS = ['RAILBOOK_AI_PROVIDER', 'RAILBOOK_AI_BASE_URL', 'RAILBOOK_AI_API_KEY', 'RAILBOOK_AI_CHAT_MODEL', 'RAILBOOK_AI_EMBED_MODEL', 'RAILBOOK_AI_MODEL_FILE'];
const A = tinyModelFile({ dim: 64, contextLength: 4096 });
const B = tinyModelFile({ dim: 32, seed: 2, contextLength: 4096 });
const nameA = path.basename(A);
const nameB = path.basename(B);

const data = tempDir('railbook-ai-embedded-');
let store: Store;
/** The environment the settings are read from: the test switches the model file in it. */
const env: NodeJS.ProcessEnv = { RAILBOOK_AI_PROVIDER: 'llama', RAILBOOK_AI_MODEL_FILE: A };
/** Every chat request the real provider was given: which model file, and the messages. */
const seen: { model: string; messages: ChatMessage[] }[] = [];
let assistant: Assistant;
const backgroundErrors: unknown[] = [];

/** The real provider, with its chat requests recorded on the way in. */
function observed(p: Provider): Provider {
  const name = (p as { modelName?: string }).modelName ?? p.kind;
  return {
    kind: p.kind,
    // assistant.ts reads the embedded provider's model file from here (its embedding model).
    ...({ modelName: name, modelFile: (p as { modelFile?: string }).modelFile } as object),
    chat: (req) => {
      seen.push({ model: name, messages: req.messages.map((m) => ({ ...m })) });
      return p.chat(req);
    },
    embed: (model, texts, signal) => p.embed(model, texts, signal),
    models: (signal) => p.models(signal),
    health: (signal) => p.health(signal),
  };
}

before(async () => {
  store = await Store.open(data.dir);
  assistant = openAssistant({
    dataDir: data.dir,
    settings: () => loadAiSettings(store, env),
    choose: async (s) => {
      const c = await chooseProvider(s);
      return c.provider ? { ...c, provider: observed(c.provider) } : c;
    },
    onBackgroundError: (e) => { backgroundErrors.push(e); },
  });
});

after(async () => {
  await assistant.close();
  await store.close();
  await unloadLlamaModels();
  data.cleanup();
});

async function turn(message: string): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const e of assistant.chat.turn({ profile: 'default', message })) events.push(e);
  return events;
}

/** Resolves with the first state of the embedding job that `pred` accepts. */
function jobState(pred: (s: ReturnType<Assistant['embedding']['state']>) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (pred(assistant.embedding.state())) return resolve();
    const on = (s: ReturnType<Assistant['embedding']['state']>) => {
      if (!pred(s)) return;
      assistant.embedding.off('change', on);
      resolve();
    };
    assistant.embedding.on('change', on);
  });
}

const TOPICS = ['volcano lava magma', 'bread yeast oven', 'garden tomato soil', 'comet orbit telescope', 'river delta flood', 'violin string bow'];

describe('the assistant on the embedded llama.cpp', () => {
  test('a chat turn streams tokens through the chat service and is stored', async () => {
    const events = await turn('Hello, tiny model.');
    const tokens = events.filter((e): e is Extract<ChatEvent, { type: 'token' }> => e.type === 'token');
    const done = events.at(-1)!;
    assert.equal(events[0]!.type, 'start');
    assert.ok(tokens.length > 1, 'several tokens were streamed');
    assert.equal(done.type, 'done');
    assert.ok(done.type === 'done' && (done.reason === 'stop' || done.reason === 'length'), JSON.stringify(done));
    const history = await assistant.chat.history('default');
    assert.deepEqual(history.map((t) => t.role), ['user', 'assistant']);
    assert.equal(history[0]!.content, 'Hello, tiny model.');
    assert.equal(history[1]!.content, tokens.map((t) => t.text).join(''));
    // The turn names the model that said it (the embedded provider's model is its file).
    assert.equal(path.basename(history[1]!.model!), nameA);
    assert.equal(seen.at(-1)!.model, nameA);
    assert.ok(seen.at(-1)!.messages.some((m) => m.role === 'user' && m.content.includes('Hello, tiny model.')));

    // What model B must know later (test 3): a note, and a turn with its answer, made with A.
    assistant.notes.set('favourite instrument', 'the theremin', 'person');
    await turn('My cat is called Pixel.');
    assert.equal(seen.at(-1)!.model, nameA);
    assert.deepEqual(backgroundErrors, []);
  });

  test('switching the model file re-embeds in the background: A answers until B is complete, then only B; nothing lost', async () => {
    for (let i = 0; i < 120; i++) {
      assistant.vectors.addDocument({ source: `text:doc-${i}`, kind: 'text', title: `doc ${i}`, text: `Document ${i} is about ${TOPICS[i % TOPICS.length]}.` });
    }
    assistant.embedding.kick();
    await jobState((s) => s.state === 'idle' && activeSet(assistant.memory.db)?.model === A && buildingSet(assistant.memory.db) === undefined);
    const setA = activeSet(assistant.memory.db)!;
    assert.equal(setA.dims, 64);
    assert.equal(setA.done, 120);

    // The switch, caught after B's first batch: the job is paused there so the test can look.
    env.RAILBOOK_AI_MODEL_FILE = B;
    const firstBatch = jobState((s) => s.state === 'running' && s.progress !== undefined && s.progress.model === B && s.progress.done > 0);
    assistant.settingsChanged();
    await firstBatch;
    await assistant.embedding.pause();
    const building = buildingSet(assistant.memory.db)!;
    assert.equal(building.model, B);
    assert.equal(building.dims, 32);
    assert.ok(building.done > 0 && building.done < building.total, `mid-way: ${building.done}/${building.total}`);
    const during = await assistant.vectors.search('volcano lava', 5);
    assert.equal(during.length, 5);
    assert.ok(during.every((h) => h.model === A), `during the build only A answers: ${during.map((h) => h.model)}`);

    assistant.embedding.resume();
    await jobState((s) => s.state === 'idle');
    await assistant.embedding.idle();
    const sets = listSets(assistant.memory.db);
    assert.deepEqual(sets.map((s) => [s.model, s.state]), [[A, 'retired'], [B, 'active']]);
    const setB = activeSet(assistant.memory.db)!;
    assert.equal(countVectors(assistant.memory.db, setB.id), assistant.vectors.status().chunks);
    const afterSwitch = await assistant.vectors.search('volcano lava', 5);
    assert.ok(afterSwitch.length === 5 && afterSwitch.every((h) => h.model === B));
    const docs = assistant.vectors.documents();
    assert.equal(docs.length, 120);
    assert.ok(docs.every((d) => d.embedding.state === 'embedded' && d.embedding.model === B));
  });

  test("notes and the conversation from model A are in model B's context", async () => {
    // The swap (made by the previous test already; the note and the turns were made with A).
    env.RAILBOOK_AI_MODEL_FILE = B;
    assistant.settingsChanged();
    const events = await turn('What is my cat called?');
    assert.equal(events.at(-1)!.type, 'done');
    const request = seen.at(-1)!;
    assert.equal(request.model, nameB, 'model B answered');
    const text = request.messages.map((m) => m.content).join('\n');
    assert.match(text, /favourite instrument/);
    assert.match(text, /the theremin/);
    assert.ok(request.messages.some((m) => m.role === 'user' && m.content.includes('My cat is called Pixel.')), 'the earlier turn is in the context');
    assert.ok(request.messages.some((m) => m.role === 'assistant'), "model A's answers are in the context");
    const stored = (await assistant.chat.history('default')).filter((t) => t.role === 'assistant');
    assert.deepEqual(stored.map((t) => path.basename(t.model!)), [nameA, nameA, nameB]);
    assert.deepEqual(backgroundErrors, []);
  });

  test('`railbook memory reembed` killed with SIGKILL mid-way, run again: it completes, never mixing the models', async () => {
    const dir = tempDir('railbook-ai-reembed-');
    try {
      // A memory embedded by A (in this process, with the model already loaded).
      const mem = MemoryDb.open(dir.dir, [DOCUMENTS_SCHEMA]);
      const vectors = VectorMemory.on(mem.db);
      for (let i = 0; i < 600; i++) vectors.addDocument({ source: `text:n${i}`, kind: 'text', title: `n${i}`, text: `Note ${i}: ${TOPICS[i % TOPICS.length]} and more about ${TOPICS[(i * 5) % TOPICS.length]}.` });
      const providerA = new LlamaProvider({ modelFile: A, threads: 1 });
      assert.equal((await runReembed(mem.db, providerEmbedder(providerA, nameA), { batchSize: 64 })).status, 'done');
      const total = vectors.status().chunks;

      // `memory reembed` with B's file, no embedding model set: the file's name is the model.
      const childEnv = cleanEnv({ RAILBOOK_AI_PROVIDER: 'llama', RAILBOOK_AI_MODEL_FILE: B, RAILBOOK_AI_THREADS: '1' }, AI_VARS);
      const child = spawn(process.execPath, [BIN, 'memory', 'reembed', '--data-dir', dir.dir], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      child.stdout.resume();
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
      // Watch the set's progress in the file; kill as soon as some of it is committed.
      const progress = mem.db.prepare("SELECT done, total FROM embedding_sets WHERE state = 'building' AND model = ?");
      let killedAt: { done: number; total: number } | undefined;
      while (!killedAt) {
        const row = progress.get(B) as { done: number; total: number } | undefined;
        if (row && row.done > 0) {
          child.kill('SIGKILL');
          killedAt = row;
          break;
        }
        if (child.exitCode !== null) assert.fail(`the re-embed ended before it could be killed: ${stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(await exited, 'SIGKILL');

      // Mid-way: A still answers, complete; B is partial, in its own table.
      const partial = buildingSet(mem.db)!;
      assert.equal(partial.model, B);
      assert.ok(partial.done > 0 && partial.done < total, `killed mid-way: ${partial.done}/${total}`);
      assert.equal(countVectors(mem.db, partial.id), partial.done, 'no half batch: exactly the committed chunks');
      const a = activeSet(mem.db)!;
      assert.equal(a.model, nameA);
      assert.equal(countVectors(mem.db, a.id), total);
      const searchA = VectorMemory.on(mem.db, { embedderFor: (m) => providerEmbedder(m === nameA ? providerA : new LlamaProvider({ modelFile: B, threads: 1 }), m) });
      assert.ok((await searchA.search('bread yeast', 5)).every((h) => h.model === nameA));

      // Again: it continues (the lease of the killed process is not waited out: it died on this host).
      const again = await railbookCli(['memory', 'reembed', '--data-dir', dir.dir], { env: { RAILBOOK_AI_PROVIDER: 'llama', RAILBOOK_AI_MODEL_FILE: B, RAILBOOK_AI_THREADS: '1' }, unset: AI_VARS });
      assert.equal(again.code, 0, again.stderr);
      assert.ok(again.stderr.includes(`done: ${total} chunks embedded by ${B} (32 dimensions)`), again.stderr);
      const b = activeSet(mem.db)!;
      assert.equal(b.id, partial.id, 'the same set was continued, not started again');
      assert.equal(b.model, B);
      assert.equal(countVectors(mem.db, b.id), total);
      assert.deepEqual(listSets(mem.db).map((s) => [s.model, s.state]), [[nameA, 'retired'], [B, 'active']]);
      const hits = await searchA.search('bread yeast', 5);
      assert.ok(hits.length === 5 && hits.every((h) => h.model === B));

      const cli = await railbookCli(['memory', 'search', 'bread yeast', '--json', '--data-dir', dir.dir], { env: { RAILBOOK_AI_PROVIDER: 'llama', RAILBOOK_AI_MODEL_FILE: B, RAILBOOK_AI_THREADS: '1' }, unset: AI_VARS });
      assert.equal(cli.code, 0, cli.stderr);
      const found = JSON.parse(cli.stdout) as { model: string; results: unknown[] };
      assert.equal(found.model, B);
      assert.equal(found.results.length, 5);
      mem.close();
    } finally {
      dir.cleanup();
    }
  });
});
