// `railbook chat` and `railbook memory notes` in this process, against a real HTTP server
// speaking Ollama's protocol (test/helpers/fake-ollama.ts) and a real data folder: the answer
// streams to stdout, the conversation is the one the web pane's ChatService sees, --new starts
// another, the prompt reads lines, and notes set on the command line reach the model.
import { runInProcess } from '../helpers/in-process-cli.ts';
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { openChatMemory } from '../../src/ai/chat/chat-memory.ts';
import type { ChatMessage } from '../../src/ai/provider.ts';
import { chatCommand, type ChatDeps, type ChatInput } from '../../src/cli/commands/chat.ts';
import { memoryNotesCommand } from '../../src/cli/commands/memory-notes.ts';
import { FakeOllama } from '../helpers/fake-ollama.ts';
import { tempDir } from '../helpers/temp-engine.ts';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let ollama: FakeOllama;
let data: ReturnType<typeof tempDir>;
const env = (): NodeJS.ProcessEnv => ({ RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: ollama.url, RAILBOOK_AI_CHAT_MODEL: 'gemma3:1b' });

before(async () => {
  ollama = await FakeOllama.start();
  data = tempDir('railbook-chat-cli-');
});

after(async () => {
  data.cleanup();
  await ollama.close();
});

beforeEach(() => {
  ollama.chat = { tokens: ['Hello', ',', ' world'] };
  ollama.requests.length = 0;
});

/** Piped input (not a terminal). */
const piped = (text: string): ChatInput => Readable.from([Buffer.from(text)]);

/** The command on a program of its own, its output collected, its errors reported as main() does. */
async function railbook(args: string[], o: { env?: NodeJS.ProcessEnv; stdin?: ChatInput; deps?: Partial<ChatDeps>; onStdout?: (t: string) => void } = {}): Promise<Result> {
  return runInProcess([...args, '--data-dir', data.dir], (program, io) => {
    const write = { stdout: io.stdout, stderr: io.stderr };
    chatCommand(program, { env: o.env ?? env(), stdin: o.stdin ?? piped(''), onInterrupt: () => () => {}, ...write, ...o.deps });
    memoryNotesCommand(program.command('memory').exitOverride(), write);
  }, { onStdout: o.onStdout });
}

/** What the web pane would show: the profile's current conversation. */
function history(profile = 'default') {
  const m = openChatMemory(data.dir);
  try {
    return { turns: m.conversations.history(profile), conversations: m.conversations.list(profile) };
  } finally {
    m.memory.close();
  }
}

const lastMessages = () => (ollama.requests.filter((r) => r.path === '/api/chat').at(-1)?.body as { messages: ChatMessage[] }).messages;

describe('railbook chat', () => {
  test('streams the answer to stdout and stores the turns where the web pane reads them', async () => {
    const pieces: string[] = [];
    const r = await railbook(['chat', 'Say', 'hello'], { onStdout: (t) => pieces.push(t) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Hello, world\n');
    assert.deepEqual(pieces.slice(0, 3), ['Hello', ',', ' world'], 'tokens as they come');
    const turns = history().turns.slice(-2);
    assert.deepEqual(turns.map((t) => [t.role, t.content, t.status]), [['user', 'Say hello', 'done'], ['assistant', 'Hello, world', 'done']]);
  });

  test('--new starts a new conversation; the next message is asked in it', async () => {
    await railbook(['chat', 'remember this one']);
    const before = history().conversations.length;
    const r = await railbook(['chat', '--new', 'A fresh start']);
    assert.equal(r.code, 0, r.stderr);
    const h = history();
    assert.equal(h.conversations.length, before + 1);
    assert.deepEqual(h.turns.map((t) => t.content), ['A fresh start', 'Hello, world']);
    assert.deepEqual(lastMessages().slice(1), [{ role: 'user', content: 'A fresh start' }]);
    // Without a message (piped, empty): only the new conversation.
    const only = await railbook(['chat', '--new']);
    assert.equal(only.code, 0, only.stderr);
    assert.match(only.stderr, /a new conversation/);
    assert.equal(history().turns.length, 0);
  });

  test('reads the message from a pipe; --json prints the whole answer', async () => {
    const r = await railbook(['chat', '--json'], { stdin: piped('What is in the pipe?\n') });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { answer: string; reason: string; conversationId: number; assistantTurnId: number };
    assert.equal(j.answer, 'Hello, world');
    assert.equal(j.reason, 'stop');
    assert.equal(history().turns.at(-1)?.id, j.assistantTurnId);
    assert.equal(history().turns.at(-2)?.content, 'What is in the pipe?\n');
    const empty = await railbook(['chat'], { stdin: piped('  \n') });
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /nothing to send/);
  });

  test('no model: exit 1 with the help on stderr; a failing model: exit 1 with why', async () => {
    const none = await railbook(['chat', 'hello?'], { env: { RAILBOOK_AI_PROVIDER: 'openai' } });
    assert.equal(none.code, 1);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /no base URL is set/);

    ollama.chat = { tokens: ['Half'], end: { error: 'model runner has unexpectedly stopped' } };
    const failed = await railbook(['chat', 'go on']);
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout, 'Half\n');
    assert.match(failed.stderr, /unexpectedly stopped/);
    assert.equal(history().turns.at(-1)?.status, 'failed');
  });

  test('Ctrl-C stops the answer and keeps it, marked stopped', async () => {
    ollama.chat = { tokens: ['Slow', ' and', ' steady', ' wins'], delayMs: 40, end: 'hang' };
    let interrupt: (() => void) | undefined;
    const r = await railbook(['chat', 'tell me a long story'], {
      deps: { onInterrupt: (h) => ((interrupt = h), () => undefined) },
      onStdout: (t) => {
        if (t === ' and') interrupt?.();
      },
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /stopped/);
    const last = history().turns.at(-1);
    assert.equal(last?.status, 'stopped');
    assert.ok(last?.content.startsWith('Slow and'));
  });

  test('the prompt: one turn per line, /new, /exit', async () => {
    const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
    stdin.isTTY = true;
    stdin.end('First line\n/new\nSecond line\n/exit\nnot sent\n');
    const r = await railbook(['chat'], { stdin, deps: { terminal: false } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Ollama 0\\.5\\.7 at ${ollama.url} · gemma3:1b`));
    assert.equal(r.stdout.split('Hello, world\n').length, 3, r.stdout);
    assert.match(r.stderr, /a new conversation/);
    assert.deepEqual(history().turns.map((t) => t.content), ['Second line', 'Hello, world']);
    assert.equal(ollama.requests.filter((q) => q.path === '/api/chat').length, 2);
  });

  test('an unknown profile is bad usage; another profile has its own conversation', async () => {
    const r = await railbook(['chat', '--profile', 'nobody', 'hi']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no profile "nobody"/);
  });
});

describe('railbook memory notes', () => {
  test('set, list, rm; and the note is in the chat’s system prompt', async () => {
    const set = await railbook(['memory', 'notes', 'set', 'Preferred  Language', 'Dutch,', 'please']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, /noted "preferred language"/);

    const list = await railbook(['memory', 'notes']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^KEY\s+VALUE\s+BY\s+UPDATED\n/);
    assert.match(list.stdout, /preferred language\s+Dutch, please\s+person\s+\d{4}-\d\d-\d\d \d\d:\d\d/);

    const json = JSON.parse((await railbook(['memory', 'notes', '--json'])).stdout) as { key: string; value: string; source: string }[];
    assert.deepEqual(json.map((n) => [n.key, n.value, n.source]), [['preferred language', 'Dutch, please', 'person']]);

    await railbook(['chat', 'Hallo']);
    assert.match(lastMessages()[0]?.content ?? '', /- preferred language: Dutch, please/);

    const rm = await railbook(['memory', 'notes', 'rm', 'preferred language']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(JSON.parse((await railbook(['memory', 'notes', '--json'])).stdout), []);
    const again = await railbook(['memory', 'notes', 'rm', 'preferred language']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /no note "preferred language"/);
  });

  test('bad usage says what to type', async () => {
    assert.equal((await railbook(['memory', 'notes', 'drop', 'x'])).code, 2);
    assert.match((await railbook(['memory', 'notes', 'set', 'only-key'])).stderr, /usage: railbook memory notes set <key> <value>/);
    const long = await railbook(['memory', 'notes', 'set', 'k'.repeat(101), 'v']);
    assert.equal(long.code, 2);
    assert.match(long.stderr, /at most 100 characters/);
    const empty = await railbook(['memory', 'notes']);
    assert.match(empty.stderr, /no notes yet/);
  });
});
