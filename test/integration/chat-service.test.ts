// The chat's core against real HTTP servers speaking Ollama's and OpenAI's protocols
// (test/helpers/fake-*.ts) and a real memory file: turns stream and are stored however they end,
// the note tools work, the context stays within its budget with a running summary, the place is
// described from a real engine's run, and memory survives swapping the model.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadAiSettings, type AiSettings, type AiSettingsStore } from '../../src/ai/ai-settings.ts';
import { chooseProvider } from '../../src/ai/choose-provider.ts';
import { createChatService, type ChatServiceDeps, type RailbookChatService } from '../../src/ai/chat/chat-service.ts';
import type { ChatEvent, ChatTurnRequest } from '../../src/ai/chat/chat-types.ts';
import { messagesTokens } from '../../src/ai/chat/tokens.ts';
import { CONVERSATION_SCHEMA } from '../../src/ai/memory/conversation-schema.ts';
import { Conversations } from '../../src/ai/memory/conversation.ts';
import { MemoryDb } from '../../src/ai/memory/memory-db.ts';
import { NOTES_SCHEMA } from '../../src/ai/memory/notes-schema.ts';
import { Notes } from '../../src/ai/memory/notes.ts';
import type { ChatMessage } from '../../src/ai/provider.ts';
import { FakeOllama } from '../helpers/fake-ollama.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.ts';
import { tempDir, tempEngine } from '../helpers/temp-engine.ts';
import { describePlace } from '../../src/ai/chat/place.ts';

let ollama: FakeOllama;
let openai: FakeOpenAi;
let data: ReturnType<typeof tempDir>;
let memory: MemoryDb;
let conversations: Conversations;
let notes: Notes;

/** Nothing saved: the settings are the environment's. */
const NOTHING_SAVED = { settings: { get: async () => undefined } } as unknown as AiSettingsStore;
const settingsOf = (env: NodeJS.ProcessEnv): Promise<AiSettings> => loadAiSettings(NOTHING_SAVED, env);

let env: NodeJS.ProcessEnv;
const ollamaEnv = (): NodeJS.ProcessEnv => ({ RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: ollama.url, RAILBOOK_AI_CHAT_MODEL: 'gemma3:1b' });
const openaiEnv = (): NodeJS.ProcessEnv => ({ RAILBOOK_AI_PROVIDER: 'openai', RAILBOOK_AI_BASE_URL: openai.baseUrl, RAILBOOK_AI_CHAT_MODEL: 'tiny-chat' });

function service(extra: Partial<ChatServiceDeps> = {}): RailbookChatService {
  return createChatService({ conversations, notes, settings: () => settingsOf(env), ...extra });
}

async function collect(s: RailbookChatService, req: ChatTurnRequest, onEvent?: (e: ChatEvent) => void): Promise<ChatEvent[]> {
  const events: ChatEvent[] = [];
  for await (const e of s.turn(req)) {
    events.push(e);
    onEvent?.(e);
  }
  return events;
}

const tokensOf = (events: ChatEvent[]) => events.flatMap((e) => (e.type === 'token' ? [e.text] : []));
const doneOf = (events: ChatEvent[]) => {
  const d = events.at(-1);
  assert.ok(d && d.type === 'done', 'the last event is done');
  assert.equal(events.filter((e) => e.type === 'done').length, 1, 'exactly one done');
  return d;
};
/** The messages of the Ollama /api/chat requests, in order. */
const ollamaChats = () => ollama.requests.filter((r) => r.path === '/api/chat').map((r) => (r.body as { messages: ChatMessage[] }).messages);
const openaiChats = () => openai.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => (r.json as { messages: { role: string; content: string }[] }).messages);

let profileN = 0;
/** A fresh profile per test: each starts with an empty conversation. */
const freshProfile = () => `p${++profileN}`;

before(async () => {
  ollama = await FakeOllama.start();
  openai = await startFakeOpenAi();
  data = tempDir('railbook-chat-');
  memory = MemoryDb.open(data.dir, [CONVERSATION_SCHEMA, NOTES_SCHEMA]);
  conversations = new Conversations(memory);
  notes = new Notes(memory);
});

after(async () => {
  memory.close();
  data.cleanup();
  await Promise.all([ollama.close(), openai.close()]);
});

beforeEach(() => {
  env = ollamaEnv();
  ollama.chat = { tokens: ['Hello', ',', ' world'] };
  ollama.requests.length = 0;
  openai.requests.length = 0;
  openai.scripts.length = 0;
  for (const n of notes.list()) notes.remove(n.key);
});

describe('a turn', () => {
  test('streams the tokens and stores both turns', async () => {
    const s = service();
    const profile = freshProfile();
    const events = await collect(s, { profile, message: 'Hi there' });
    assert.equal(events[0]?.type, 'start');
    assert.deepEqual(tokensOf(events), ['Hello', ',', ' world']);
    const done = doneOf(events);
    assert.equal(done.reason, 'stop');
    const history = await s.history(profile);
    assert.deepEqual(history.map((t) => [t.role, t.content, t.status]), [['user', 'Hi there', 'done'], ['assistant', 'Hello, world', 'done']]);
    assert.equal(history[1]?.id, done.assistantTurnId);
    assert.equal(history[1]?.model, 'gemma3:1b');
    const start = events[0];
    assert.ok(start?.type === 'start' && start.userTurnId === history[0]?.id);
    // The system prompt names the persona; the question is last.
    const [messages] = ollamaChats();
    assert.equal(messages?.[0]?.role, 'system');
    assert.match(messages?.[0]?.content ?? '', /You are Railbook/);
    assert.deepEqual(messages?.at(-1), { role: 'user', content: 'Hi there' });
  });

  test('stopped mid-stream keeps the partial answer, marked stopped', async () => {
    const s = service();
    const profile = freshProfile();
    ollama.chat = { tokens: ['One', ' two', ' three', ' four'], delayMs: 40, end: 'hang' };
    const stop = new AbortController();
    const events = await collect(s, { profile, message: 'Count', signal: stop.signal }, (e) => {
      if (e.type === 'token' && e.text === ' two') stop.abort();
    });
    const done = doneOf(events);
    assert.equal(done.reason, 'aborted');
    await ollama.chatConnectionClosed();
    const answer = (await s.history(profile)).at(-1);
    assert.equal(answer?.status, 'stopped');
    assert.equal(answer?.role, 'assistant');
    assert.ok(answer?.content.startsWith('One two'), answer?.content);
    assert.equal(answer?.id, done.assistantTurnId);
  });

  test('an error mid-stream is stored as failed, with words a person can act on', async () => {
    const s = service();
    const profile = freshProfile();
    ollama.chat = { tokens: ['Part'], end: { error: 'model runner has unexpectedly stopped' } };
    const events = await collect(s, { profile, message: 'Go' });
    const done = doneOf(events);
    assert.equal(done.reason, 'error');
    assert.match(done.message ?? '', /unexpectedly stopped/);
    const answer = (await s.history(profile)).at(-1);
    assert.equal(answer?.status, 'failed');
    assert.equal(answer?.content, 'Part');
    assert.match(answer?.error ?? '', /unexpectedly stopped/);
  });

  test('no provider: one done with the help, and the message stays stored', async () => {
    env = { RAILBOOK_AI_PROVIDER: 'openai' };
    const s = service();
    const profile = freshProfile();
    const events = await collect(s, { profile, message: 'Anyone there?' });
    assert.deepEqual(events.map((e) => e.type), ['start', 'done']);
    const done = doneOf(events);
    assert.equal(done.reason, 'error');
    assert.match(done.message ?? '', /no base URL is set/);
    assert.deepEqual((await s.history(profile)).map((t) => [t.role, t.content]), [['user', 'Anyone there?']]);
    const ready = await s.readiness();
    assert.equal(ready.ready, false);
    assert.match(ready.help ?? '', /RAILBOOK_AI_BASE_URL/);
  });

  test('no chat model: says so, and suggests the provider’s own', async () => {
    env = { RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: ollama.url };
    const s = service();
    const done = doneOf(await collect(s, { profile: freshProfile(), message: 'Hello?' }));
    assert.equal(done.reason, 'error');
    assert.match(done.message ?? '', /No chat model is chosen/);
    assert.match(done.message ?? '', /RAILBOOK_AI_CHAT_MODEL=gemma3:1b/);
    assert.doesNotMatch(done.message ?? '', /nomic-embed/);
    const ready = await s.readiness();
    assert.equal(ready.ready, false);
    assert.match(ready.detail, /no chat model chosen/);
  });

  test('a model the provider does not have: failed, saying so', async () => {
    env = { ...ollamaEnv(), RAILBOOK_AI_CHAT_MODEL: 'no-such-model' };
    const s = service();
    const profile = freshProfile();
    const done = doneOf(await collect(s, { profile, message: 'Hi' }));
    assert.equal(done.reason, 'error');
    assert.match(done.message ?? '', /no-such-model/);
    const answer = (await s.history(profile)).at(-1);
    assert.equal(answer?.status, 'failed');
    assert.equal(answer?.content, '');
  });

  test('a consumer that goes away mid-answer leaves the partial answer stored as stopped', async () => {
    const s = service();
    const profile = freshProfile();
    ollama.chat = { tokens: ['Going', ' on', ' and on'], delayMs: 30, end: 'hang' };
    for await (const e of s.turn({ profile, message: 'Talk' })) {
      if (e.type === 'token') break;
    }
    await ollama.chatConnectionClosed();
    const answer = (await s.history(profile)).at(-1);
    assert.equal(answer?.role, 'assistant');
    assert.equal(answer?.status, 'stopped');
    assert.equal(answer?.content, 'Going');
  });

  test('readiness names the provider and the model', async () => {
    const ready = await service().readiness();
    assert.equal(ready.ready, true);
    assert.match(ready.detail, new RegExp(`${ollama.url}.*gemma3:1b`));
  });

  test('the provider is chosen again when the settings change', async () => {
    let chooses = 0;
    const s = service({ choose: (settings) => (chooses++, chooseProvider(settings)) });
    await collect(s, { profile: freshProfile(), message: 'a' });
    await collect(s, { profile: freshProfile(), message: 'b' });
    assert.equal(chooses, 1);
    env = openaiEnv();
    await collect(s, { profile: freshProfile(), message: 'c' });
    assert.equal(chooses, 2);
  });
});

describe('memory', () => {
  test('the model remembers through a tool, and the next turn’s system prompt has the note', async () => {
    env = openaiEnv();
    const s = service();
    const profile = freshProfile();
    openai.scripts.push(
      {
        steps: [
          { kind: 'token', text: 'Let me note that. ' },
          { kind: 'tool', index: 0, id: 'call_1', name: 'remember', args: '{"key":"Favourite  Colour",' },
          { kind: 'tool', index: 0, args: '"value":"green"}' },
          { kind: 'finish', reason: 'tool_calls' },
          { kind: 'done' },
        ],
      },
      { steps: [{ kind: 'token', text: 'Noted.' }, { kind: 'finish', reason: 'stop' }, { kind: 'done' }] },
    );
    const events = await collect(s, { profile, message: 'My favourite colour is green.' });
    assert.equal(doneOf(events).reason, 'stop');
    const tool = events.find((e) => e.type === 'tool');
    assert.ok(tool?.type === 'tool');
    assert.equal(tool.name, 'remember');
    assert.match(tool.summary, /favourite colour/);
    assert.deepEqual(tokensOf(events), ['Let me note that. ', 'Noted.']);
    const note = notes.get('favourite colour');
    assert.equal(note?.value, 'green');
    assert.equal(note?.source, 'model');

    // The second request carried the call and its result; the tools were offered.
    const second = openai.requests.filter((r) => r.path === '/v1/chat/completions')[1]?.json as { messages: Record<string, unknown>[]; tools?: unknown[] };
    const tail = second.messages.slice(-2);
    assert.equal(tail[0]?.['role'], 'assistant');
    assert.equal(tail[1]?.['role'], 'tool');
    assert.equal(tail[1]?.['tool_call_id'], 'call_1');
    assert.match(String(tail[1]?.['content']), /Remembered/);
    assert.ok(Array.isArray(second.tools) && second.tools.length === 3);
    assert.equal((await s.history(profile)).at(-1)?.content, 'Let me note that. Noted.');

    await collect(s, { profile, message: 'What colour do I like?' });
    const system = openaiChats().at(-1)?.[0];
    assert.equal(system?.role, 'system');
    assert.match(system?.content ?? '', /- favourite colour: green/);
  });

  test('a model that keeps calling tools is stopped after the last round (Ollama)', async () => {
    const s = service({ maxToolRounds: 2 });
    ollama.chat = { tokens: ['Hm.'], toolCalls: [{ name: 'recall', arguments: {} }] };
    const events = await collect(s, { profile: freshProfile(), message: 'Loop' });
    assert.equal(doneOf(events).reason, 'stop');
    assert.equal(events.filter((e) => e.type === 'tool').length, 2);
    const bodies = ollama.requests.filter((r) => r.path === '/api/chat').map((r) => r.body as { tools?: unknown[]; messages: Record<string, unknown>[] });
    assert.deepEqual(bodies.map((b) => b.tools?.length ?? 0), [3, 3, 0], 'the last round offers no tools');
    assert.equal(bodies[1]?.messages.at(-1)?.['tool_name'], 'recall');
  });

  test('a bad tool call is answered to the model, not failed', async () => {
    env = openaiEnv();
    const s = service();
    openai.scripts.push(
      { steps: [{ kind: 'tool', index: 0, id: 'c', name: 'forget', args: '{"key":"nothing here"}' }, { kind: 'tool', index: 1, id: 'd', name: 'remember', args: '{"key":""}' }, { kind: 'finish', reason: 'tool_calls' }, { kind: 'done' }] },
      { steps: [{ kind: 'token', text: 'Done.' }, { kind: 'finish', reason: 'stop' }, { kind: 'done' }] },
    );
    const events = await collect(s, { profile: freshProfile(), message: 'x' });
    assert.equal(doneOf(events).reason, 'stop');
    assert.deepEqual(events.filter((e) => e.type === 'tool').map((e) => e.type === 'tool' && e.name), ['forget', 'remember']);
  });

  test('many long turns: the context stays within budget and carries the summary, made after the answer', async () => {
    const budget = { contextTokens: 800, answerTokens: 200, summaryTokens: 100 };
    const s = service({ budget });
    const profile = freshProfile();
    const id = conversations.current(profile);
    for (let i = 0; i < 12; i++) {
      conversations.addTurn(id, { role: 'user', content: `Question ${i}: ${'lorem ipsum '.repeat(30)}`, status: 'done' });
      conversations.addTurn(id, { role: 'assistant', content: `Answer ${i}: ${'dolor sit amet '.repeat(25)}`, status: 'done' });
    }
    let summaryAtDone: string | undefined;
    await collect(s, { profile, message: 'And now?' }, (e) => {
      if (e.type === 'done') {
        summaryAtDone = conversations.summary(id).text;
        ollama.chat = { tokens: ['The person asked twelve questions about lorem ipsum.'] };
      }
    });
    assert.equal(summaryAtDone, '', 'no summary before the answer is done');
    await s.idle();
    const summary = conversations.summary(id);
    assert.equal(summary.text, 'The person asked twelve questions about lorem ipsum.');
    assert.ok(summary.upto > 0);

    const chats = ollamaChats();
    assert.equal(chats.length, 2, 'the answer, then the summary');
    assert.match(chats[1]?.[0]?.content ?? '', /running summary/);
    assert.match(chats[1]?.[1]?.content ?? '', /Question 0:/, 'the oldest turns are folded');
    const first = chats[0]!;
    assert.ok(messagesTokens(first) <= budget.contextTokens - budget.answerTokens, `${messagesTokens(first)} tokens sent`);
    assert.match(first.at(-2)?.content ?? '', /^Answer 11:/, 'the newest turns are kept');
    assert.doesNotMatch(JSON.stringify(first), /Question 0:/);

    ollama.chat = { tokens: ['ok'] };
    await collect(s, { profile, message: 'And then?' });
    await s.idle();
    const next = ollamaChats()[2]!;
    assert.ok(messagesTokens(next) <= budget.contextTokens - budget.answerTokens);
    assert.match(next[0]?.content ?? '', /summary of the earlier part of this conversation:\nThe person asked twelve questions/);
    // No turn is lost: every one is still stored.
    assert.equal(conversations.turns(id).length, 12 * 2 + 4);
  });

  test('a summary that fails fails nothing', async () => {
    const failures: unknown[] = [];
    const s = service({ budget: { contextTokens: 400, answerTokens: 100 }, onBackgroundError: (e) => failures.push(e) });
    const profile = freshProfile();
    const id = conversations.current(profile);
    for (let i = 0; i < 6; i++) conversations.addTurn(id, { role: 'user', content: 'long '.repeat(100), status: 'done' });
    const events = await collect(s, { profile, message: 'Hm?' }, (e) => {
      if (e.type === 'done') ollama.chat = { tokens: [], end: { error: 'out of memory' } };
    });
    assert.equal(doneOf(events).reason, 'stop');
    await s.idle();
    assert.equal(failures.length, 1);
    assert.equal(conversations.summary(id).text, '');
  });

  test('a model swap keeps the notes and the conversation', async () => {
    const s = service();
    const profile = freshProfile();
    notes.set('project', 'the Rotterdam bridge survey', 'person');
    ollama.chat = { tokens: ['Bridges are fun.'] };
    await collect(s, { profile, message: 'Tell me about model A’s day.' });

    env = openaiEnv();
    await collect(s, { profile, message: 'Do you remember?' });
    const messages = openaiChats().at(-1)!;
    assert.match(messages[0]?.content ?? '', /- project: the Rotterdam bridge survey/);
    assert.deepEqual(messages.slice(1).map((m) => [m.role, m.content]), [
      ['user', 'Tell me about model A’s day.'],
      ['assistant', 'Bridges are fun.'],
      ['user', 'Do you remember?'],
    ]);
    const history = await s.history(profile);
    assert.deepEqual(history.filter((t) => t.role === 'assistant').map((t) => t.model), ['gemma3:1b', 'tiny-chat']);
  });

  test('a new conversation starts empty; search still finds the old turn', async () => {
    const s = service();
    const profile = freshProfile();
    await collect(s, { profile, message: 'The zeppelin inventory is due Friday' });
    const oldId = conversations.current(profile);
    const newId = await s.newConversation(profile);
    assert.notEqual(newId, oldId);
    assert.deepEqual(await s.history(profile), []);
    await collect(s, { profile, message: 'Something else' });
    assert.equal(ollamaChats().at(-1)?.length, 2, 'only the system prompt and the question');

    const found = await s.search(profile, 'zeppelin invent');
    assert.deepEqual(found.map((t) => [t.conversationId, t.content]), [[oldId, 'The zeppelin inventory is due Friday']]);
    assert.deepEqual(await s.search(freshProfile(), 'zeppelin'), [], 'other profiles do not see it');
    assert.deepEqual(await s.search(profile, '"); DROP TABLE turns; --'), []);

    const exported = conversations.exportAll(profile);
    assert.deepEqual(exported.map((c) => c.turns.length), [2, 2]);
    conversations.clear(oldId);
    assert.deepEqual(await s.search(profile, 'zeppelin'), []);
  });

  test('retrieved passages go into the prompt with [n] markers and come back as citations', async () => {
    const queries: string[] = [];
    const s = service({
      retrieve: async (q) => {
        queries.push(q);
        return [{ n: 1, documentId: 3, source: '/docs/bridges.md', title: 'Bridges', excerpt: 'The survey is due in May.', score: 0.82 }];
      },
    });
    const profile = freshProfile();
    const events = await collect(s, { profile, message: 'When is the survey due?' });
    assert.deepEqual(queries, ['When is the survey due?']);
    assert.match(ollamaChats().at(-1)?.[0]?.content ?? '', /\[1\] Bridges \(\/docs\/bridges\.md\): The survey is due in May\./);
    const cited = events.find((e) => e.type === 'citations');
    assert.ok(cited?.type === 'citations' && cited.citations[0]?.documentId === 3);
    assert.equal(events.indexOf(cited), events.length - 2, 'after the answer, before done');
    assert.equal((await s.history(profile)).at(-1)?.citations?.[0]?.source, '/docs/bridges.md');

    // A retrieval that fails leaves the passages out; the turn goes on.
    const broken = service({ retrieve: async () => { throw new Error('no vectors'); } });
    assert.equal(doneOf(await collect(broken, { profile, message: 'again' })).reason, 'stop');
  });

  test('a step’s comment joins the conversation', async () => {
    const s = service();
    const profile = freshProfile();
    const c = conversations.addComment(profile, { workflowId: 'hello', runKey: 'default-1', stepId: 'name' }, 'Nice name!', 'gemma3:1b');
    assert.equal(c.role, 'comment');
    await collect(s, { profile, message: 'What did you say?' });
    const messages = ollamaChats().at(-1)!;
    assert.deepEqual(messages[1], { role: 'assistant', content: '(My comment on the step "name" of the run default-1:) Nice name!' });
  });
});

describe('the place', () => {
  test('the step on screen, its docs and form, and the completed values reach the system prompt', async () => {
    const t = await tempEngine();
    try {
      const { state } = await t.engine.open('hello', {});
      await (await t.engine.submit(state.key, 'name', { name: 'Ada Lovelace' })).completion;
      const text = await describePlace(t.engine, { runKey: state.key });
      assert.ok(text);
      assert.match(text, /Workflow: "Hello" \(hello\) — Tell Railbook your name/);
      assert.match(text, /The step on screen: "Greeting" \(greeting\), step 2/);
      assert.match(text, /Its docs: A greeting, suggested from your name/);
      assert.match(text, /Its form fields: greeting \("Greeting", text\)/);
      assert.match(text, /- Your name \(name\): \{"name":"Ada Lovelace"\}/);

      // Looking at another step, and a tight budget.
      const first = await describePlace(t.engine, { runKey: state.key, stepId: 'name' });
      assert.match(first ?? '', /Its docs: What should we call you\?/);
      const small = await describePlace(t.engine, { runKey: state.key }, { maxChars: 120 });
      assert.ok((small ?? '').length <= 120);
      assert.equal(await describePlace(t.engine, { workflowId: 'no_such' }), undefined);
      assert.match((await describePlace(t.engine, { workflowId: 'hello', runKey: 'gone-1' })) ?? '', /Workflow: "Hello"/);

      const s = service({ place: (p) => describePlace(t.engine, p) });
      await collect(s, { profile: freshProfile(), message: 'What now?', place: { workflowId: 'hello', runKey: state.key } });
      const system = ollamaChats().at(-1)?.[0]?.content ?? '';
      assert.match(system, /Where the person is now in Railbook:\nWorkflow: "Hello"/);
      assert.match(system, /Ada Lovelace/);
    } finally {
      await t.close();
    }
  });
});
