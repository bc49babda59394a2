// Steps talk to the model (ctx.ai.comment, the "peanut gallery"): a real engine on SQLite runs the
// built-in peanut_gallery workflow with peanutGallery() as its StepAi, against a real HTTP server
// that speaks Ollama's streamed NDJSON (fake-ollama.ts). The comment streams into the step's
// partial output, ends in its stored output, goes with a revert, and never fails the step.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadAiSettings } from '../../src/ai/ai-settings.ts';
import { chooseProvider } from '../../src/ai/choose-provider.ts';
import { dataForPrompt, peanutGallery, type PeanutComment } from '../../src/ai/peanut-gallery.ts';
import type { PartialEvent } from '../../src/engine/engine.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import type { ModelComment, StepPlace } from '../../src/engine/workflow.ts';
import { modelComment } from '../../src/widgets/index.ts';
import { closedPort, FakeOllama } from '../helpers/fake-ollama.ts';
import { tempEngine, type TempEngine } from '../helpers/temp-engine.ts';

interface Out {
  stats: { lines: number; numbers: number; mean: number | null };
  comment: ModelComment;
}

describe('peanut gallery: a step asks the model for a comment', () => {
  let fake: FakeOllama;
  let t: TempEngine;
  let noOllama: string;
  /** The environment the settings are read from, per test. */
  let env: NodeJS.ProcessEnv = {};
  const told: PeanutComment[] = [];
  const partials: PartialEvent[] = [];

  before(async () => {
    [fake, noOllama] = await Promise.all([FakeOllama.start(), closedPort().then((p) => `http://127.0.0.1:${p}`)]);
    const ai = peanutGallery({
      settings: () => loadAiSettings(t.engine.store, env),
      // Nothing listens where the probe looks for Ollama when no provider is set: a fresh install.
      choose: (s, signal) => chooseProvider(s, { signal, ollamaUrl: noOllama }),
      onComment: (c) => void told.push(c),
    });
    t = await tempEngine({ engine: { ai } });
    t.engine.bus.on('partial', (p) => partials.push(p));
  });
  after(async () => {
    await t?.close();
    await fake?.close();
  });

  const ollama = (model = 'gemma3:1b'): NodeJS.ProcessEnv => ({ RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: fake.url, RAILBOOK_AI_CHAT_MODEL: model });

  /** A run with its data step done; the comment step submitted. */
  async function ask(key: string, lines = '3\n4\n5\n100'): Promise<{ completion: Promise<RunState> }> {
    await t.engine.open('peanut_gallery', { key });
    await (await t.engine.submit(key, 'data', { lines })).completion;
    return t.engine.submit(key, 'comment', { question: 'What stands out?' });
  }

  function output(st: RunState): Out {
    const s = st.steps.comment!;
    assert.equal(s.status, 'done', `the step completed (${s.error ?? ''})`);
    return s.output as Out;
  }

  test('the comment streams into the partial output, ends in the stored output, and a revert clears it', async () => {
    env = ollama();
    // The model holds after its second token until the engine has sent a half-streamed comment.
    let release!: () => void;
    const halfSeen = new Promise<void>((r) => { release = r; });
    const watch = (p: PartialEvent) => {
      const c = (p.output as Out).comment;
      if (p.run === 'pg-stream' && c.status === 'streaming' && c.text === 'The outlier ') release();
    };
    t.engine.bus.on('partial', watch);
    fake.chat = { tokens: ['The ', 'outlier ', 'is ', '**100**', '.'], hold: { after: 1, release: halfSeen } };
    const before = fake.requests.length;
    const st = await (await ask('pg-stream')).completion;
    t.engine.bus.off('partial', watch);

    const out = output(st);
    assert.deepEqual(out.comment, { status: 'done', text: 'The outlier is **100**.', model: 'gemma3:1b' });
    assert.deepEqual({ lines: out.stats.lines, numbers: out.stats.numbers, mean: out.stats.mean }, { lines: 4, numbers: 4, mean: 28 });

    // Watchers saw it grow: a comment still streaming, with some words but not all of them.
    const mine = partials.filter((p) => p.run === 'pg-stream' && p.step === 'comment').map((p) => (p.output as Out).comment);
    assert.ok(mine.some((c) => c.status === 'streaming' && c.text !== '' && c.text.length < out.comment.text.length), `an intermediate state was sent: ${JSON.stringify(mine)}`);
    assert.ok(mine.every((c) => c.status === 'streaming' && out.comment.text.startsWith(c.text)));

    // The model was asked once, as the persona, with the step's data as JSON.
    const chats = fake.requests.slice(before).filter((r) => r.path === '/api/chat');
    assert.equal(chats.length, 1);
    const body = chats[0]!.body as { model: string; messages: { role: string; content: string }[] };
    assert.equal(body.model, 'gemma3:1b');
    assert.match(body.messages[0]!.content, /You are Railbook, commenting briefly/);
    assert.match(body.messages[0]!.content, /the step is "Stats and a comment"/);
    assert.match(body.messages[1]!.content, /^What stands out\?/);
    assert.match(body.messages[1]!.content, /"mean":28/);

    // The chat is told of it (to show it beside the run).
    assert.deepEqual(told.at(-1), { profile: 'default', runKey: 'pg-stream', workflowId: 'peanut_gallery', stepId: 'comment', status: 'done', text: 'The outlier is **100**.', model: 'gemma3:1b' });

    const reverted = await t.engine.revert('pg-stream', 'comment');
    assert.notEqual(reverted.steps.comment!.status, 'done');
    assert.equal(reverted.steps.comment!.output, null, 'the comment went with the output');
    assert.equal(JSON.stringify(await t.engine.get('pg-stream')).includes('outlier'), false);
  });

  test('no model: the comment is unavailable with how to connect one, and the step completes', async () => {
    env = {};
    const out = output(await (await ask('pg-none')).completion);
    assert.equal(out.comment.status, 'unavailable');
    assert.equal(out.comment.text, '');
    assert.match(out.comment.note ?? '', /No AI model is available/);
    assert.match(out.comment.note ?? '', /ollama pull gemma3:1b/);
    assert.equal(out.stats.numbers, 4, 'the step did its own work');

    // The run goes on: finalize it.
    assert.ok((await t.engine.finalize('pg-none')).finalized);

    // An engine given no StepAi at all says so plainly.
    const bare = await tempEngine();
    try {
      await bare.engine.open('peanut_gallery', { key: 'bare' });
      await (await bare.engine.submit('bare', 'data', { lines: '1' })).completion;
      const st = await (await bare.engine.submit('bare', 'comment', { question: 'Well?' })).completion;
      const c = (st.steps.comment!.output as Out).comment;
      assert.equal(st.steps.comment!.status, 'done');
      assert.equal(c.status, 'unavailable');
      assert.match(c.note ?? '', /No AI model is connected to this Railbook process/);
    } finally {
      await bare.close();
    }
  });

  test('a provider error: the comment failed with the message, what came before is kept, the step completes', async () => {
    env = ollama();
    fake.chat = { tokens: ['Half ', 'a thought'], end: { error: 'llama runner process has terminated' } };
    const out = output(await (await ask('pg-broken')).completion);
    assert.equal(out.comment.status, 'failed');
    assert.equal(out.comment.text, 'Half a thought');
    assert.match(out.comment.note ?? '', /llama runner process has terminated/);

    env = ollama('no-such-model');
    const missing = output(await (await ask('pg-missing')).completion);
    assert.equal(missing.comment.status, 'failed');
    assert.match(missing.comment.note ?? '', /does not have the model "no-such-model".*ollama pull no-such-model/s);
    assert.equal(told.some((c) => c.runKey === 'pg-broken' || c.runKey === 'pg-missing'), false, 'failures are not filed in the chat');
  });

  test('stopping the step stops the model; what came so far stays, shown as stopped', async () => {
    env = ollama();
    fake.chat = { tokens: ['One ', 'two ', 'three ', 'four ', 'five ', 'six'], delayMs: 400 };
    const { completion } = await ask('pg-stop');
    await new Promise<void>((resolve) => {
      const seen = (p: PartialEvent) => {
        if (p.run === 'pg-stop' && (p.output as Out).comment.text !== '') {
          t.engine.bus.off('partial', seen);
          resolve();
        }
      };
      t.engine.bus.on('partial', seen);
    });
    const cancelled = await t.engine.cancel('pg-stop', 'comment');
    await fake.chatConnectionClosed();
    await completion;
    const st = await t.engine.get('pg-stop');
    assert.equal(cancelled.steps.comment!.status, 'cancelled');
    assert.equal(st.steps.comment!.status, 'cancelled');
    const c = (st.steps.comment!.output as Out).comment;
    assert.ok(c.text.startsWith('One '), c.text);
    assert.notEqual(c.text, 'One two three four five six', 'the rest never came');
    // Stored mid-stream: the view says it was stopped, not that it is still thinking.
    const html = String(await modelComment(c));
    assert.match(html, /data-status="stopped"/);
    assert.doesNotMatch(html, /thinking/);

    // The StepAi itself: aborting its signal ends the comment as stopped, with the words so far.
    const ac = new AbortController();
    const ai = peanutGallery({ settings: () => loadAiSettings(t.engine.store, ollama()) });
    const place: StepPlace = { profile: 'default', runKey: 'x', workflowId: 'peanut_gallery', stepId: 'comment', stepTitle: 'Stats' };
    const stopped = await ai.comment({ prompt: 'Hi', place, signal: ac.signal, onText: (s) => { if (s.text.includes('two')) ac.abort(); } });
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.text, 'One two ');
  });

  test('hostile model output is stored as the text it is and rendered inert', async () => {
    env = ollama();
    const hostile = ['<script>alert(1)</script>', '[click](javascript:alert(2)) ', '<img src=x onerror=alert(3)>', ' <a href="javascript:alert(4)" onclick="alert(5)">x</a>'];
    fake.chat = { tokens: hostile };
    const out = output(await (await ask('pg-hostile')).completion);
    assert.equal(out.comment.text, hostile.join(''), 'stored as text, unchanged');
    for (const live of [false, true]) {
      const html = String(await modelComment(live ? { ...out.comment, status: 'streaming' } : out.comment, { live }));
      // "javascript:" may show as words; never as a link, a tag or a handler.
      assert.doesNotMatch(html, /<script|<img|href="?\s*javascript:|\son\w+\s*=/i, html);
      assert.match(html, /click/, 'the words are still there');
    }
    // A note is plain text, whatever it holds.
    const note = String(await modelComment({ status: 'failed', text: '', note: '<script>alert(6)</script>' }));
    assert.match(note, /&lt;script&gt;alert\(6\)&lt;\/script&gt;/);
  });

  test('a comment cut at the token limit says so; the limit is sent to the model', async () => {
    fake.chat = { tokens: ['So ', 'many ', 'words'], doneReason: 'length' };
    const before = fake.requests.length;
    const ai = peanutGallery({ settings: () => loadAiSettings(t.engine.store, ollama()) });
    const place: StepPlace = { profile: 'default', runKey: 'x', workflowId: 'peanut_gallery', stepId: 'comment', stepTitle: 'Stats' };
    const c = await ai.comment({ prompt: 'Hi', maxTokens: 3, place, signal: new AbortController().signal });
    assert.deepEqual(c, { status: 'done', text: 'So many words', model: 'gemma3:1b', note: 'Cut at the limit of 3 tokens.' });
    const body = fake.requests.slice(before).find((r) => r.path === '/api/chat')!.body as { options?: { num_predict?: number } };
    assert.equal(body.options?.num_predict, 3);
  });

  test('the data is sent as JSON within a budget', () => {
    assert.equal(dataForPrompt({ a: [1, 2] }), '{"a":[1,2]}');
    const big = dataForPrompt({ s: 'x'.repeat(50_000) }, 1000);
    assert.ok(big.startsWith('{"s":"xxx'));
    assert.match(big, /\(cut: the data is 50,008 characters as JSON\)$/);
    assert.ok(big.length < 1100);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(dataForPrompt(cyclic), '[object Object]');
  });
});
