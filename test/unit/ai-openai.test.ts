// The OpenAI-compatible provider against a real HTTP server speaking the documented protocol
// (test/helpers/fake-openai.ts), and the event-stream reader under it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { OpenAiProvider } from '../../src/ai/openai.ts';
import { ProviderError, type ChatChunk, type ChatRequest } from '../../src/ai/provider.ts';
import { readSse, SseParser, type SseEvent } from '../../src/ai/sse.ts';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.ts';

const KEY = 'sk-test-5ecret-key-0123456789';
/** A connection that is never closed would hang these tests: fail them instead (not a speed check). */
const HANG_GUARD = { timeout: 20_000 };

async function collect(it: AsyncIterable<ChatChunk>): Promise<{ chunks: ChatChunk[]; error?: unknown }> {
  const chunks: ChatChunk[] = [];
  try {
    for await (const c of it) chunks.push(c);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

function tokens(chunks: ChatChunk[]): string[] {
  return chunks.flatMap((c) => (c.type === 'token' ? [c.text] : []));
}

function assertProviderError(err: unknown, kind: ProviderError['kind']): ProviderError {
  assert.ok(err instanceof ProviderError, `expected a ProviderError, got ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  return err;
}

const ask = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ model: 'tiny-chat', messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('event-stream reader', () => {
  function parseAll(pieces: string[]): SseEvent[] {
    const parser = new SseParser();
    return pieces.flatMap((p) => [...parser.feed(p)]);
  }

  it('splits lines on CRLF, LF and CR, even when a CRLF is split across chunks', () => {
    const events = parseAll(['data: a\r', '\n\r', '\ndata: b\n\ndata: c\r\r', 'data: d\r\n', '\r\n']);
    assert.deepEqual(events.map((e) => e.data), ['a', 'b', 'c', 'd']);
    // A CR ending one chunk and an LF starting the next are one line ending, not a blank line.
    assert.deepEqual(parseAll(['data: a\r', '\ndata: b\r\n\r\n']).map((e) => e.data), ['a\nb']);
  });

  it('joins multi-line data, ignores comments and unknown fields, keeps event and id', () => {
    const events = parseAll([': keep-alive\n\n', 'event: error\nid: 7\nretry: 10\nfoo: bar\ndata: one\ndata:two\ndata\n\n', 'data: next\n\n']);
    assert.equal(events.length, 2);
    assert.deepEqual(events[0], { event: 'error', data: 'one\ntwo\n', id: '7' });
    assert.deepEqual(events[1], { event: 'message', data: 'next', id: '7' });
  });

  it('puts an event split across many chunks back together', () => {
    const text = 'data: {"choices":[{"delta":{"content":"héllo"}}]}\n\n';
    const events = parseAll([...text]);
    assert.deepEqual(events.map((e) => JSON.parse(e.data) as unknown), [{ choices: [{ delta: { content: 'héllo' } }] }]);
  });

  it('discards an event left without its blank line at the end, and reads bytes split inside a character', async () => {
    const bytes = new TextEncoder().encode('\uFEFFdata: é\n\ndata: lost\n');
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const b of bytes) c.enqueue(Uint8Array.of(b)); // one byte at a time splits "é"
        c.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const e of readSse(body)) events.push(e);
    assert.deepEqual(events.map((e) => e.data), ['é']);
  });

  it('refuses a line over the limit as bad_response', () => {
    const parser = new SseParser(1000);
    assert.throws(() => [...parser.feed('data: ' + 'x'.repeat(2000))], (err) => assertProviderError(err, 'bad_response') !== undefined);
    const multi = new SseParser(1000);
    assert.throws(() => [...multi.feed(('data: ' + 'y'.repeat(300) + '\n').repeat(5))], (err) => assertProviderError(err, 'bad_response') !== undefined);
  });
});

describe('OpenAI-compatible provider', () => {
  let fake: FakeOpenAi;
  let provider: OpenAiProvider;

  before(async () => {
    fake = await startFakeOpenAi();
    provider = new OpenAiProvider({ baseUrl: fake.baseUrl + '/' });
  });
  after(async () => {
    await fake.close();
  });

  it('streams tokens in order, then done with the usage, and sends the documented request', async () => {
    fake.requests.length = 0;
    fake.scripts.push({
      steps: [
        { kind: 'token', text: 'Hel' },
        { kind: 'token', text: '' },
        { kind: 'wait', ms: 5 },
        { kind: 'token', text: 'lo' },
        { kind: 'token', text: '!' },
        { kind: 'finish', reason: 'length' },
        { kind: 'usage', prompt: 11, completion: 3 },
        { kind: 'done' },
      ],
    });
    const { chunks, error } = await collect(
      provider.chat({
        model: 'tiny-chat',
        temperature: 0.2,
        maxTokens: 64,
        tools: [{ name: 'remember', description: 'Keep a fact', parameters: { type: 'object', properties: { key: { type: 'string' } } } }],
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Remember my name.' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'remember', arguments: { key: 'name', value: 'Ada' } }] },
          { role: 'tool', content: 'ok', toolCallId: 'call_1', name: 'remember' },
          { role: 'user', content: 'Thanks' },
        ],
      }),
    );
    assert.equal(error, undefined);
    assert.deepEqual(chunks, [
      { type: 'token', text: 'Hel' },
      { type: 'token', text: 'lo' },
      { type: 'token', text: '!' },
      { type: 'done', reason: 'length', usage: { promptTokens: 11, completionTokens: 3 } },
    ]);

    assert.equal(fake.requests.length, 1);
    const req = fake.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/chat/completions');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers.authorization, undefined, 'no Authorization header without a key');
    assert.deepEqual(req.json, {
      model: 'tiny-chat',
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      max_tokens: 64,
      tools: [{ type: 'function', function: { name: 'remember', description: 'Keep a fact', parameters: { type: 'object', properties: { key: { type: 'string' } } } } }],
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Remember my name.' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'remember', arguments: '{"key":"name","value":"Ada"}' } }] },
        { role: 'tool', content: 'ok', tool_call_id: 'call_1' },
        { role: 'user', content: 'Thanks' },
      ],
    });
    assert.equal(await fake.streamEnds.at(-1), 'finished');
  });

  it('assembles tool calls streamed in fragments over several chunks and gives them at the end', async () => {
    fake.scripts.push({
      steps: [
        { kind: 'token', text: 'Let me note that.' },
        { kind: 'tool', index: 0, id: 'call_a', name: 'remember', args: '' },
        { kind: 'tool', index: 0, args: '{"key": "na' },
        { kind: 'tool', index: 1, id: 'call_b', name: 'recall', args: '{"key"' },
        { kind: 'tool', index: 0, args: 'me", "value": "Ada \\"L\\""' },
        { kind: 'tool', index: 1, args: ': "city"}' },
        { kind: 'tool', index: 0, args: '}' },
        { kind: 'tool', index: 2, id: 'call_c', name: 'forget_all' },
        { kind: 'finish', reason: 'tool_calls' },
        { kind: 'done' },
      ],
    });
    const { chunks, error } = await collect(provider.chat(ask()));
    assert.equal(error, undefined);
    assert.deepEqual(chunks, [
      { type: 'token', text: 'Let me note that.' },
      { type: 'tool_call', call: { id: 'call_a', name: 'remember', arguments: { key: 'name', value: 'Ada "L"' } } },
      { type: 'tool_call', call: { id: 'call_b', name: 'recall', arguments: { key: 'city' } } },
      { type: 'tool_call', call: { id: 'call_c', name: 'forget_all', arguments: {} } },
      { type: 'done', reason: 'tool_calls', usage: undefined },
    ]);
  });

  it('refuses tool-call arguments that are not a JSON object as bad_response', async () => {
    fake.scripts.push({
      steps: [
        { kind: 'tool', index: 0, id: 'call_x', name: 'remember', args: '{"key": ' },
        { kind: 'finish', reason: 'tool_calls' },
        { kind: 'done' },
      ],
    });
    const { error } = await collect(provider.chat(ask()));
    assertProviderError(error, 'bad_response');
  });

  it('ignores keep-alive comments and reads CRLF framing, including an event split across writes', async () => {
    fake.scripts.push({
      crlf: true,
      steps: [
        { kind: 'comment' },
        { kind: 'token', text: 'A' },
        { kind: 'comment', text: 'still thinking' },
        { kind: 'raw', text: 'event: message\r\nid: 1\r\ndata: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"B"},' },
        { kind: 'wait', ms: 5 },
        { kind: 'raw', text: '"finish_reason":null}]}\r' },
        { kind: 'wait', ms: 5 },
        { kind: 'raw', text: '\n\r\n' },
        { kind: 'token', text: 'C' },
        { kind: 'finish', reason: 'stop' },
        { kind: 'usage', prompt: 1, completion: 3 },
        { kind: 'comment' },
        { kind: 'done' },
      ],
    });
    const { chunks, error } = await collect(provider.chat(ask()));
    assert.equal(error, undefined);
    assert.deepEqual(tokens(chunks), ['A', 'B', 'C']);
    assert.deepEqual(chunks.at(-1), { type: 'done', reason: 'stop', usage: { promptTokens: 1, completionTokens: 3 } });
  });

  it('a slow first token still arrives', async () => {
    fake.scripts.push({ headersDelayMs: 150, steps: [{ kind: 'wait', ms: 150 }, { kind: 'token', text: 'late' }, { kind: 'finish', reason: 'stop' }, { kind: 'done' }] });
    const { chunks, error } = await collect(provider.chat(ask()));
    assert.equal(error, undefined);
    assert.deepEqual(chunks, [{ type: 'token', text: 'late' }, { type: 'done', reason: 'stop', usage: undefined }]);
  });

  it('abort mid-stream closes the connection and ends with done "aborted", without throwing', HANG_GUARD, async () => {
    fake.scripts.push({ steps: [{ kind: 'token', text: 'one' }, { kind: 'token', text: 'two' }, { kind: 'hold' }] });
    const controller = new AbortController();
    const chunks: ChatChunk[] = [];
    for await (const c of provider.chat(ask({ signal: controller.signal }))) {
      chunks.push(c);
      if (c.type === 'token' && c.text === 'two') controller.abort();
    }
    assert.deepEqual(chunks, [{ type: 'token', text: 'one' }, { type: 'token', text: 'two' }, { type: 'done', reason: 'aborted' }]);
    assert.equal(await fake.streamEnds.at(-1), 'closed_early', 'the server saw the connection close');
  });

  it('abort while waiting for the first token ends with done "aborted"', HANG_GUARD, async () => {
    fake.scripts.push({ steps: [{ kind: 'hold' }] });
    const controller = new AbortController();
    const ends = fake.streamEnds.length;
    const pending = collect(provider.chat(ask({ signal: controller.signal })));
    // Abort once the server holds the request (the fake registers a stream as it starts answering).
    while (fake.streamEnds.length === ends) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const { chunks, error } = await pending;
    assert.equal(error, undefined);
    assert.deepEqual(chunks, [{ type: 'done', reason: 'aborted' }]);
    assert.equal(await fake.streamEnds[ends], 'closed_early');
  });

  it('abort before the server has even answered with headers ends with done "aborted"', HANG_GUARD, async () => {
    fake.scripts.push({ headersDelayMs: 60_000, steps: [{ kind: 'done' }] });
    const controller = new AbortController();
    const ends = fake.streamEnds.length;
    const pending = collect(provider.chat(ask({ signal: controller.signal })));
    while (fake.streamEnds.length === ends) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const { chunks, error } = await pending;
    assert.equal(error, undefined);
    assert.deepEqual(chunks, [{ type: 'done', reason: 'aborted' }]);
    assert.equal(await fake.streamEnds[ends], 'closed_early');
  });

  it('a caller that stops reading early closes the connection too', HANG_GUARD, async () => {
    fake.scripts.push({ steps: [{ kind: 'token', text: 'one' }, { kind: 'hold' }] });
    const ends = fake.streamEnds.length;
    for await (const c of provider.chat(ask())) {
      assert.deepEqual(c, { type: 'token', text: 'one' });
      break;
    }
    assert.equal(await fake.streamEnds[ends], 'closed_early');
  });

  it('a signal aborted before the call sends nothing', async () => {
    const before = fake.requests.length;
    const { chunks } = await collect(provider.chat(ask({ signal: AbortSignal.abort() })));
    assert.deepEqual(chunks, [{ type: 'done', reason: 'aborted' }]);
    assert.equal(fake.requests.length, before);
  });

  it('an error event mid-stream: the tokens first, then stream_broken with the server message', async () => {
    fake.scripts.push({ steps: [{ kind: 'token', text: 'par' }, { kind: 'token', text: 'tial' }, { kind: 'error', message: 'CUDA out of memory' }, { kind: 'done' }] });
    const { chunks, error } = await collect(provider.chat(ask()));
    assert.deepEqual(tokens(chunks), ['par', 'tial']);
    assert.equal(chunks.length, 2);
    assert.match(assertProviderError(error, 'stream_broken').message, /CUDA out of memory/);
  });

  it('an `event: error` event (older llama.cpp servers) is stream_broken too', async () => {
    fake.scripts.push({ steps: [{ kind: 'token', text: 'x' }, { kind: 'raw', text: 'event: error\ndata: {"code":500,"message":"slot unavailable"}\n\n' }, { kind: 'done' }] });
    const { chunks, error } = await collect(provider.chat(ask()));
    assert.deepEqual(tokens(chunks), ['x']);
    assert.match(assertProviderError(error, 'stream_broken').message, /slot unavailable/);
  });

  it('a dropped connection: the tokens first, then stream_broken', async () => {
    fake.scripts.push({ steps: [{ kind: 'token', text: 'a' }, { kind: 'token', text: 'b' }, { kind: 'wait', ms: 10 }, { kind: 'drop' }] });
    const { chunks, error } = await collect(provider.chat(ask()));
    assert.deepEqual(chunks, [{ type: 'token', text: 'a' }, { type: 'token', text: 'b' }]);
    assertProviderError(error, 'stream_broken');
  });

  it('a stream that ends cleanly but without [DONE] is stream_broken', async () => {
    fake.scripts.push({ steps: [{ kind: 'token', text: 'a' }, { kind: 'finish', reason: 'stop' }] });
    const { chunks, error } = await collect(provider.chat(ask()));
    assert.deepEqual(tokens(chunks), ['a']);
    assertProviderError(error, 'stream_broken');
  });

  it('garbage in the stream is bad_response', async () => {
    fake.scripts.push({ steps: [{ kind: 'token', text: 'a' }, { kind: 'raw', text: 'data: <html>oops</html>\n\n' }, { kind: 'done' }] });
    const { chunks, error } = await collect(provider.chat(ask()));
    assert.deepEqual(tokens(chunks), ['a']);
    assertProviderError(error, 'bad_response');
  });

  it('a model the server does not have is model_not_found, before any chunk', async () => {
    const { chunks, error } = await collect(provider.chat(ask({ model: 'no-such-model' })));
    assert.deepEqual(chunks, []);
    const err = assertProviderError(error, 'model_not_found');
    assert.equal(err.status, 404);
    assert.match(err.message, /no-such-model/);
    await assert.rejects(provider.embed('no-such-model', ['x']), (e) => assertProviderError(e, 'model_not_found') !== undefined);
  });

  it('a wrong path (base URL without /v1) is http, not model_not_found', async () => {
    const wrong = new OpenAiProvider({ baseUrl: fake.baseUrl.replace(/\/v1$/, '') });
    const res = await collect(wrong.chat(ask()));
    const err = assertProviderError(res.error, 'http');
    assert.equal(err.status, 404);
    assert.match(err.message, /Invalid URL/);
    assert.match(err.message, /\/v1/, 'the message hints at the base URL');
  });

  it('embeddings come back in input order, sorted by index', async () => {
    fake.embeddings = 'shuffled';
    fake.requests.length = 0;
    const vectors = await provider.embed('tiny-embed', ['a', 'bb', 'ccc']);
    assert.deepEqual(vectors, [[0, 1, 1], [1, 2, 1], [2, 3, 1]]);
    assert.deepEqual(fake.requests[0]?.json, { model: 'tiny-embed', input: ['a', 'bb', 'ccc'] });
    assert.equal(fake.requests[0]?.path, '/v1/embeddings');
    assert.deepEqual(await provider.embed('tiny-embed', []), []);
    assert.equal(fake.requests.length, 1, 'no request for no texts');
  });

  it('embeddings with a vector missing are bad_response', async () => {
    fake.embeddings = 'one_short';
    try {
      await assert.rejects(provider.embed('tiny-embed', ['a', 'b']), (e) => assertProviderError(e, 'bad_response') !== undefined);
    } finally {
      fake.embeddings = 'in_order';
    }
  });

  it('lists the models', async () => {
    const models = await provider.models();
    assert.deepEqual(models, [
      { id: 'tiny-chat', modified: new Date(1_700_000_000_000).toISOString() },
      { id: 'tiny-embed', modified: new Date(1_700_000_000_000).toISOString() },
    ]);
  });

  it('health says ok with the models', async () => {
    const health = await provider.health();
    assert.equal(health.ok, true);
    assert.equal(health.provider, 'openai');
    assert.match(health.detail, /2 models/);
    assert.ok(health.detail.includes(fake.baseUrl));
  });
});

describe('OpenAI-compatible provider with an API key', () => {
  let fake: FakeOpenAi;
  before(async () => {
    fake = await startFakeOpenAi({ apiKey: KEY });
  });
  after(async () => {
    await fake.close();
  });

  it('sends Authorization: Bearer <key>', async () => {
    const provider = new OpenAiProvider({ baseUrl: fake.baseUrl, apiKey: KEY });
    const { chunks, error } = await collect(provider.chat(ask()));
    assert.equal(error, undefined);
    assert.deepEqual(tokens(chunks), ['Hello', ' world']);
    assert.equal(fake.requests.at(-1)?.headers.authorization, `Bearer ${KEY}`);
  });

  it('a refused key is unauthorized, and the key is in no error message even when the server echoes it', async () => {
    const wrongKey = `${KEY}-wrong`;
    const provider = new OpenAiProvider({ baseUrl: fake.baseUrl, apiKey: wrongKey });
    const { chunks, error } = await collect(provider.chat(ask()));
    assert.deepEqual(chunks, []);
    const err = assertProviderError(error, 'unauthorized');
    assert.equal(err.status, 401);
    assert.match(err.message, /Incorrect API key/, 'the server message is kept');
    assert.ok(!err.message.includes(KEY), err.message);
    assert.ok(!String(err.stack).includes(KEY));

    for (const p of [provider.models(), provider.embed('tiny-embed', ['x'])]) {
      await assert.rejects(p, (e) => {
        const pe = assertProviderError(e, 'unauthorized');
        assert.ok(!pe.message.includes(KEY), pe.message);
        return true;
      });
    }
    const health = await provider.health();
    assert.equal(health.ok, false);
    assert.ok(!health.detail.includes(KEY), health.detail);
  });
});

describe('OpenAI-compatible provider with nothing at the address', () => {
  it('is unreachable, naming the base URL, and health says why without throwing', async () => {
    // A port that was free a moment ago: nothing listens there now.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const baseUrl = `http://127.0.0.1:${port}/v1`;
    const provider = new OpenAiProvider({ baseUrl, apiKey: KEY });

    const { chunks, error } = await collect(provider.chat(ask()));
    assert.deepEqual(chunks, []);
    const err = assertProviderError(error, 'unreachable');
    assert.ok(err.message.includes(baseUrl), err.message);
    assert.ok(!err.message.includes(KEY));
    await assert.rejects(provider.models(), (e) => assertProviderError(e, 'unreachable') !== undefined);
    await assert.rejects(provider.embed('m', ['x']), (e) => assertProviderError(e, 'unreachable') !== undefined);

    const health = await provider.health();
    assert.equal(health.ok, false);
    assert.equal(health.provider, 'openai');
    assert.ok(health.detail.includes(baseUrl), health.detail);
  });
});
