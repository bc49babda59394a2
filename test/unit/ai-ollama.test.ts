// The Ollama provider against a real HTTP server speaking Ollama's documented protocol
// (test/helpers/fake-ollama.ts): streaming, the JSON it sends, tool calls both ways, stopping,
// every way an answer can fail, embeddings, models, health and pulling. Plus the NDJSON reader
// on its own, fed chunk boundaries chosen on purpose.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readNdjson } from '../../src/ai/ndjson.ts';
import { OllamaProvider, DEFAULT_OLLAMA_URL } from '../../src/ai/ollama.ts';
import { ProviderError, type ChatChunk, type ChatRequest, type PullProgress } from '../../src/ai/provider.ts';
import { FakeOllama, closedPort } from '../helpers/fake-ollama.ts';

/** A guard against a hang, never a claim about speed. */
const GUARD = { timeout: 15_000 };

const user = (content: string) => ({ role: 'user' as const, content });

/** Everything a chat yields, and the error that ended it if one did. */
async function drain(it: AsyncIterable<ChatChunk>): Promise<{ chunks: ChatChunk[]; error: unknown }> {
  const chunks: ChatChunk[] = [];
  try {
    for await (const c of it) chunks.push(c);
  } catch (error) {
    return { chunks, error };
  }
  return { chunks, error: undefined };
}

const tokens = (chunks: ChatChunk[]) => chunks.flatMap((c) => (c.type === 'token' ? [c.text] : []));

function assertProviderError(err: unknown, kind: ProviderError['kind'], message?: RegExp): asserts err is ProviderError {
  assert.ok(err instanceof ProviderError, `expected a ProviderError, got ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  if (message) assert.match(err.message, message);
}

describe('NDJSON reader', () => {
  const streamOf = (parts: (string | Uint8Array)[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of parts) controller.enqueue(typeof p === 'string' ? new TextEncoder().encode(p) : p);
        controller.close();
      },
    });
  const all = async (body: ReadableStream<Uint8Array>, maxLineBytes?: number) => {
    const out: unknown[] = [];
    for await (const v of readNdjson(body, { maxLineBytes })) out.push(v);
    return out;
  };

  test('lines split across chunks, several lines in one chunk, blank and CRLF lines, a last line without newline', async () => {
    const got = await all(streamOf(['{"a":', '1}\n{"b":2}\n\n{"c"', ':3}\r\n', '{"d":4}']));
    assert.deepEqual(got, [{ a: 1 }, { b: 2 }, { c: 3 }, { d: 4 }]);
  });

  test('a multi-byte character split between two chunks is decoded whole', async () => {
    const bytes = new TextEncoder().encode('{"t":"héllo ✓"}\n');
    const cut = bytes.indexOf(0xe2) + 1; // inside the three bytes of ✓
    const got = await all(streamOf([bytes.subarray(0, cut), bytes.subarray(cut)]));
    assert.deepEqual(got, [{ t: 'héllo ✓' }]);
  });

  test('a line over the limit is bad_response, whether or not its newline ever comes', async () => {
    const long = `{"x":"${'a'.repeat(100)}"}`;
    await assert.rejects(all(streamOf([long.slice(0, 50), long.slice(50), '\n']), 64), (e) => (assertProviderError(e, 'bad_response', /longer than 64 bytes/), true));
    await assert.rejects(all(streamOf([long.slice(0, 50), long.slice(50)]), 64), (e) => (assertProviderError(e, 'bad_response'), true));
    assert.deepEqual(await all(streamOf([`${long}\n`])), [{ x: 'a'.repeat(100) }]);
  });

  test('a line that is not JSON is bad_response', async () => {
    await assert.rejects(all(streamOf(['{"ok":1}\n', 'not json\n'])), (e) => (assertProviderError(e, 'bad_response', /not JSON: not json/), true));
  });
});

describe('Ollama provider', () => {
  let fake: FakeOllama;
  let ollama: OllamaProvider;

  before(async () => {
    fake = await FakeOllama.start();
    ollama = new OllamaProvider({ baseUrl: fake.url });
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.chat = { tokens: ['Hello', ',', ' world'] };
  });

  const chat = (extra: Partial<ChatRequest> = {}) => ollama.chat({ model: 'gemma3:1b', messages: [user('hi')], ...extra });

  test('defaults and kind', () => {
    assert.equal(DEFAULT_OLLAMA_URL, 'http://127.0.0.1:11434');
    const p = new OllamaProvider();
    assert.equal(p.kind, 'ollama');
    assert.equal(p.baseUrl, DEFAULT_OLLAMA_URL);
    assert.equal(new OllamaProvider({ baseUrl: 'http://h:1/' }).baseUrl, 'http://h:1');
  });

  test('streams the tokens in order, then one done with the reason and usage', GUARD, async () => {
    fake.chat = { tokens: ['The', ' sky', ' is', ' blue', '.'], delayMs: 5, promptEvalCount: 26, evalCount: 5 };
    const { chunks, error } = await drain(chat());
    assert.equal(error, undefined);
    assert.deepEqual(chunks, [
      { type: 'token', text: 'The' },
      { type: 'token', text: ' sky' },
      { type: 'token', text: ' is' },
      { type: 'token', text: ' blue' },
      { type: 'token', text: '.' },
      { type: 'done', reason: 'stop', usage: { promptTokens: 26, completionTokens: 5 } },
    ]);
  });

  test('lines split across network chunks still stream whole; empty content makes no token', GUARD, async () => {
    fake.chat = { tokens: ['a', '', 'b'], splitLines: true };
    const { chunks, error } = await drain(chat());
    assert.equal(error, undefined);
    assert.deepEqual(tokens(chunks), ['a', 'b']);
  });

  test('done_reason "length" is reported as length', GUARD, async () => {
    fake.chat = { tokens: ['cut'], doneReason: 'length' };
    const { chunks } = await drain(chat({ maxTokens: 1 }));
    assert.deepEqual(chunks.at(-1), { type: 'done', reason: 'length', usage: { promptTokens: 26, completionTokens: 1 } });
  });

  test('the request is the documented JSON: model, messages, tools, stream:true, options', GUARD, async () => {
    await drain(
      ollama.chat({
        model: 'gemma3:1b',
        messages: [{ role: 'system', content: 'Be brief.' }, user('Weather in Paris?')],
        tools: [{ name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
        temperature: 0.2,
        maxTokens: 64,
      }),
    );
    assert.equal(fake.requests.length, 1);
    const r = fake.requests[0]!;
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/api/chat');
    assert.deepEqual(r.body, {
      model: 'gemma3:1b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris?' },
      ],
      stream: true,
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      options: { temperature: 0.2, num_predict: 64 },
    });
  });

  test('without tools or options the request carries neither', GUARD, async () => {
    await drain(chat());
    assert.deepEqual(fake.requests[0]!.body, { model: 'gemma3:1b', messages: [{ role: 'user', content: 'hi' }], stream: true });
  });

  test('tool calls from the model: each yielded with a made-up id, done reason tool_calls', GUARD, async () => {
    fake.chat = {
      tokens: [],
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } },
        { name: 'remember', arguments: { key: 'city', value: 'Paris' } },
      ],
    };
    const { chunks, error } = await drain(chat());
    assert.equal(error, undefined);
    const calls = chunks.flatMap((c) => (c.type === 'tool_call' ? [c.call] : []));
    assert.equal(calls.length, 2);
    assert.deepEqual(calls.map((c) => [c.name, c.arguments]), [
      ['get_weather', { city: 'Paris', unit: 'celsius' }],
      ['remember', { key: 'city', value: 'Paris' }],
    ]);
    for (const c of calls) assert.match(c.id, /^call_\w+$/);
    assert.notEqual(calls[0]!.id, calls[1]!.id);
    assert.equal(chunks.at(-1)?.type, 'done');
    assert.equal((chunks.at(-1) as Extract<ChatChunk, { type: 'done' }>).reason, 'tool_calls');
  });

  test('tool calls to the model: the assistant turn with tool_calls objects, the tool turn with role tool and tool_name', GUARD, async () => {
    await drain(
      ollama.chat({
        model: 'gemma3:1b',
        messages: [
          user('Weather in Paris?'),
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] },
          { role: 'tool', content: '{"temp":21}', toolCallId: 'call_1' },
          { role: 'tool', content: 'ok', name: 'remember' },
        ],
      }),
    );
    const body = fake.requests[0]!.body as { messages: unknown[] };
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
      { role: 'tool', content: '{"temp":21}', tool_name: 'get_weather' },
      { role: 'tool', content: 'ok', tool_name: 'remember' },
    ]);
  });

  test('a slow first token still streams', GUARD, async () => {
    fake.chat = { tokens: ['late', ' but', ' here'], firstDelayMs: 300 };
    const { chunks, error } = await drain(chat());
    assert.equal(error, undefined);
    assert.deepEqual(tokens(chunks), ['late', ' but', ' here']);
    assert.equal(chunks.at(-1)?.type, 'done');
  });

  test('abort mid-stream: the connection closes at the server, the stream ends with done "aborted", nothing thrown', GUARD, async () => {
    fake.chat = { tokens: ['one', ' two', ' three'], delayMs: 5, end: 'hang' };
    const ac = new AbortController();
    const seen: ChatChunk[] = [];
    for await (const c of chat({ signal: ac.signal })) {
      seen.push(c);
      if (c.type === 'token' && c.text === ' two') ac.abort();
    }
    assert.deepEqual(tokens(seen).slice(0, 2), ['one', ' two']);
    assert.deepEqual(seen.at(-1), { type: 'done', reason: 'aborted' });
    assert.equal(seen.filter((c) => c.type === 'done').length, 1);
    await fake.chatConnectionClosed(); // resolves only if the server saw its socket close
  });

  test('a consumer that stops reading (break) lets the connection go', GUARD, async () => {
    fake.chat = { tokens: ['one', ' two', ' three'], delayMs: 5, end: 'hang' };
    for await (const c of chat()) {
      if (c.type === 'token') break;
    }
    await fake.chatConnectionClosed();
  });

  test('abort while waiting for the first token also ends with aborted', GUARD, async () => {
    fake.chat = { tokens: ['never'], firstDelayMs: 10_000 };
    const ac = new AbortController();
    const it = chat({ signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const { chunks, error } = await drain(it);
    assert.equal(error, undefined);
    assert.deepEqual(chunks, [{ type: 'done', reason: 'aborted' }]);
    await fake.chatConnectionClosed();
  });

  test('an already aborted signal sends nothing', GUARD, async () => {
    const { chunks } = await drain(chat({ signal: AbortSignal.abort() }));
    assert.deepEqual(chunks, [{ type: 'done', reason: 'aborted' }]);
    assert.equal(fake.requests.length, 0);
  });

  test('an {"error"} line mid-stream: the tokens first, then stream_broken with Ollama\'s words', GUARD, async () => {
    fake.chat = { tokens: ['Yes', '.', ' I'], end: { error: 'an error was encountered while running the model' } };
    const { chunks, error } = await drain(chat());
    assert.deepEqual(tokens(chunks), ['Yes', '.', ' I']);
    assert.ok(!chunks.some((c) => c.type === 'done'));
    assertProviderError(error, 'stream_broken', /an error was encountered while running the model/);
  });

  test('a dropped connection mid-stream: the tokens first, then stream_broken', GUARD, async () => {
    fake.chat = { tokens: ['half', ' an'], end: 'drop' };
    const { chunks, error } = await drain(chat());
    assert.deepEqual(tokens(chunks), ['half', ' an']);
    assertProviderError(error, 'stream_broken', new RegExp(fake.url.replaceAll('.', '\\.')));
  });

  test('a stream that ends cleanly without its done line is stream_broken', GUARD, async () => {
    fake.chat = { tokens: [], raw: '{"model":"gemma3:1b","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"x"},"done":false}\n' };
    const { chunks, error } = await drain(chat());
    assert.deepEqual(tokens(chunks), ['x']);
    assertProviderError(error, 'stream_broken', /ended before it was finished/);
  });

  test('garbage instead of the protocol is bad_response', GUARD, async () => {
    for (const raw of ['<html>oops</html>\n', '[1,2]\n', '{"message":{"content":"no done"}}\n', '{"done":false,"message":{"content":42}}\n']) {
      fake.chat = { tokens: [], raw };
      const { error } = await drain(chat());
      assertProviderError(error, 'bad_response');
    }
  });

  test('a model Ollama does not have: model_not_found with the pull hint, before any chunk', GUARD, async () => {
    const it = ollama.chat({ model: 'nosuch:7b', messages: [user('hi')] })[Symbol.asyncIterator]();
    await assert.rejects(it.next(), (e) => {
      assertProviderError(e, 'model_not_found', /ollama pull nosuch:7b/);
      assert.match(e.message, /model "nosuch:7b" not found, try pulling it first/);
      assert.equal(e.status, 404);
      return true;
    });
  });

  test('nothing listening: unreachable, naming the address, `ollama serve` and RAILBOOK_AI_BASE_URL', GUARD, async () => {
    const port = await closedPort();
    const down = new OllamaProvider({ baseUrl: `http://127.0.0.1:${port}` });
    const { chunks, error } = await drain(down.chat({ model: 'gemma3:1b', messages: [user('hi')] }));
    assert.deepEqual(chunks, []);
    assertProviderError(error, 'unreachable', new RegExp(`http://127\\.0\\.0\\.1:${port}`));
    assert.match(error.message, /ollama serve/);
    assert.match(error.message, /RAILBOOK_AI_BASE_URL/);
    assert.match(error.message, /ECONNREFUSED/);
    await assert.rejects(down.models(), (e) => (assertProviderError(e, 'unreachable'), true));
  });

  test('another HTTP refusal is `http` with Ollama\'s own text and the status', GUARD, async () => {
    // The fake answers unknown routes with a plain-text 404, as Ollama does.
    const odd = new OllamaProvider({ baseUrl: `${fake.url}/api/nowhere` });
    await assert.rejects(odd.models(), (e) => {
      assertProviderError(e, 'http', /404: 404 page not found/);
      assert.equal(e.status, 404);
      return true;
    });
    // An Ollama too old for /api/embed: a 404 for the route is not the model's absence.
    await assert.rejects(odd.embed('nomic-embed-text', ['a']), (e) => (assertProviderError(e, 'http', /404: 404 page not found/), true));
    fake.versionStatus = 500;
    try {
      const h = await ollama.health();
      assert.equal(h.ok, false);
      assert.match(h.detail, /500: something went wrong/);
    } finally {
      fake.versionStatus = undefined;
    }
  });

  test('embed: several inputs, one vector each, in order; the request as documented', GUARD, async () => {
    const texts = ['alpha', 'be', 'gamma ray'];
    const vectors = await ollama.embed('nomic-embed-text', texts);
    assert.deepEqual(vectors, [
      [5, 97, 0.5],
      [2, 98, 0.5],
      [9, 103, 0.5],
    ]);
    assert.deepEqual(fake.requests.at(-1), { method: 'POST', path: '/api/embed', body: { model: 'nomic-embed-text', input: texts } });
    assert.deepEqual(await ollama.embed('nomic-embed-text', []), []);
  });

  test('embed: the wrong number of vectors, or no vectors, is bad_response; a missing model is model_not_found', GUARD, async () => {
    const original = fake.embed;
    try {
      fake.embed = (inputs) => inputs.slice(1).map(() => [1, 2, 3]);
      await assert.rejects(ollama.embed('nomic-embed-text', ['a', 'b']), (e) => (assertProviderError(e, 'bad_response', /1 embeddings for 2 texts/), true));
      fake.embed = () => [['not a number']] as unknown as number[][];
      await assert.rejects(ollama.embed('nomic-embed-text', ['a']), (e) => (assertProviderError(e, 'bad_response'), true));
    } finally {
      fake.embed = original;
    }
    await assert.rejects(ollama.embed('all-minilm', ['a']), (e) => (assertProviderError(e, 'model_not_found', /ollama pull all-minilm/), true));
  });

  test('models: /api/tags mapped to id, size, modified, family', GUARD, async () => {
    assert.deepEqual(await ollama.models(), [
      { id: 'gemma3:1b', size: 815_319_791, modified: '2025-03-12T10:01:02.123456789Z', family: 'gemma3' },
      { id: 'nomic-embed-text:latest', size: 274_302_450, modified: '2025-02-01T08:00:00Z', family: 'nomic-bert' },
    ]);
    assert.deepEqual(fake.requests.at(-1), { method: 'GET', path: '/api/tags', body: undefined });
  });

  test('health: ok with the version and address; not ok (never a throw) when nothing listens', GUARD, async () => {
    assert.deepEqual(await ollama.health(), { ok: true, provider: 'ollama', detail: `Ollama 0.5.7 at ${fake.url}` });
    const port = await closedPort();
    const h = await new OllamaProvider({ baseUrl: `http://127.0.0.1:${port}` }).health();
    assert.equal(h.ok, false);
    assert.equal(h.provider, 'ollama');
    assert.match(h.detail, /ollama serve/);
  });

  test('pull: every progress line reported in order, resolves on success', GUARD, async () => {
    const seen: PullProgress[] = [];
    await ollama.pull('tinyllama', (p) => seen.push(p));
    assert.deepEqual(fake.requests.at(-1), { method: 'POST', path: '/api/pull', body: { model: 'tinyllama', stream: true } });
    assert.deepEqual(seen, [
      { status: 'pulling manifest' },
      { status: 'downloading sha256:2af3b81862c6', total: 1000 },
      { status: 'downloading sha256:2af3b81862c6', total: 1000, completed: 400 },
      { status: 'downloading sha256:2af3b81862c6', total: 1000, completed: 1000 },
      { status: 'verifying sha256 digest' },
      { status: 'writing manifest' },
      { status: 'removing any unused layers' },
      { status: 'success' },
    ]);
  });

  test('pull: a name the registry does not know arrives as an error line → model_not_found', GUARD, async () => {
    const seen: PullProgress[] = [];
    await assert.rejects(ollama.pull('nosuchmodel', (p) => seen.push(p)), (e) => (assertProviderError(e, 'model_not_found', /file does not exist/), true));
    assert.deepEqual(seen, [{ status: 'pulling manifest' }]);
  });

  test('pull: a stream that stops before success is stream_broken', GUARD, async () => {
    const original = fake.pullLines;
    fake.pullLines = original.slice(0, 3);
    try {
      await assert.rejects(ollama.pull('tinyllama', () => {}), (e) => (assertProviderError(e, 'stream_broken', /before it succeeded/), true));
    } finally {
      fake.pullLines = original;
    }
  });
});
