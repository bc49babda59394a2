/**
 * A real HTTP server on 127.0.0.1 (port 0) speaking OpenAI's API as documented, for the
 * OpenAI-compatible provider's tests: `POST /v1/chat/completions` streamed as server-sent events
 * (`chat.completion.chunk` objects, then `data: [DONE]`), `POST /v1/embeddings`, `GET /v1/models`,
 * and errors as an HTTP status with `{"error":{"message","type","code"}}`.
 * Each chat answer is scripted by the test; every request is recorded (headers and JSON).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One step of a scripted streamed answer. */
export type Step =
  | { kind: 'token'; text: string }
  /** One fragment of a tool call; `id` and `name` normally come only in the first. */
  | { kind: 'tool'; index: number; id?: string; name?: string; args?: string }
  | { kind: 'finish'; reason: 'stop' | 'length' | 'tool_calls' }
  | { kind: 'usage'; prompt: number; completion: number }
  | { kind: 'comment'; text?: string }
  /** Bytes written as they are (to split an event across writes, or send garbage). */
  | { kind: 'raw'; text: string }
  /** An error reported after the stream began, as `data: {"error":{...}}`. */
  | { kind: 'error'; message: string }
  | { kind: 'wait'; ms: number }
  /** Write nothing more until the client goes away. */
  | { kind: 'hold' }
  /** Cut the connection without finishing the response. */
  | { kind: 'drop' }
  | { kind: 'done' };

export interface ChatScript {
  steps: Step[];
  /** Frame lines with CRLF instead of LF. */
  crlf?: boolean;
  /** Hold the response headers back this long (a slow first token). */
  headersDelayMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined for none. */
  json: unknown;
}

/** How a streamed chat answer's connection ended, seen from the server. */
export type StreamEnd = 'finished' | 'closed_early';

export interface FakeOpenAi {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Scripts for the next chat requests, in order; when empty, a short "Hello world" answer. */
  scripts: ChatScript[];
  /** The models the server has; a chat or embeddings request for another is a 404. */
  models: string[];
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey: string | undefined;
  /** How /embeddings misbehaves: give the vectors out of order, or one too few. */
  embeddings: 'in_order' | 'shuffled' | 'one_short';
  /** One promise per streamed chat answer, resolved when its connection ends. */
  streamEnds: Promise<StreamEnd>[];
  close(): Promise<void>;
}

export const DEFAULT_SCRIPT: ChatScript = {
  steps: [
    { kind: 'token', text: 'Hello' },
    { kind: 'token', text: ' world' },
    { kind: 'finish', reason: 'stop' },
    { kind: 'usage', prompt: 5, completion: 2 },
    { kind: 'done' },
  ],
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export async function startFakeOpenAi(opts: { models?: string[]; apiKey?: string } = {}): Promise<FakeOpenAi> {
  const fake: FakeOpenAi = {
    baseUrl: '',
    requests: [],
    scripts: [],
    models: opts.models ?? ['tiny-chat', 'tiny-embed'],
    apiKey: opts.apiKey,
    embeddings: 'in_order',
    streamEnds: [],
    close: async () => undefined,
  };

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let json: unknown;
      try {
        json = raw === '' ? undefined : JSON.parse(raw);
      } catch {
        json = undefined;
      }
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      fake.requests.push({ method: req.method ?? '', path, headers: req.headers, json });
      handle(fake, req.method ?? '', path, req.headers, json, res).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  fake.baseUrl = `http://127.0.0.1:${port}/v1`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

function sendError(res: ServerResponse, status: number, message: string, type: string, code: string | null): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type, param: null, code } }));
}

async function handle(fake: FakeOpenAi, method: string, path: string, headers: IncomingHttpHeaders, json: unknown, res: ServerResponse): Promise<void> {
  if (fake.apiKey !== undefined && headers.authorization !== `Bearer ${fake.apiKey}`) {
    // Real servers have echoed the key they were given in this message; the client must not repeat it.
    const given = (headers.authorization ?? '').replace(/^Bearer /, '');
    sendError(res, 401, `Incorrect API key provided: ${given}.`, 'invalid_request_error', 'invalid_api_key');
    return;
  }
  const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const model = typeof body.model === 'string' ? body.model : '';
  const wantsModel = (path === '/v1/chat/completions' || path === '/v1/embeddings') && method === 'POST';
  if (wantsModel && !fake.models.includes(model)) {
    sendError(res, 404, `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found');
    return;
  }
  if (method === 'GET' && path === '/v1/models') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: fake.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' })) }));
    return;
  }
  if (method === 'POST' && path === '/v1/embeddings') {
    const input = Array.isArray(body.input) ? (body.input as unknown[]) : [body.input];
    // A vector that says which text it belongs to: [position, length of the text, 1].
    let data = input.map((text, index) => ({ object: 'embedding', index, embedding: [index, String(text).length, 1] }));
    if (fake.embeddings === 'shuffled') data = data.reverse();
    if (fake.embeddings === 'one_short') data = data.slice(1);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data, model, usage: { prompt_tokens: input.length, total_tokens: input.length } }));
    return;
  }
  if (method === 'POST' && path === '/v1/chat/completions') {
    await streamChat(fake, fake.scripts.shift() ?? DEFAULT_SCRIPT, model, body, res);
    return;
  }
  // What OpenAI answers for a path it does not have.
  sendError(res, 404, `Invalid URL (${method} ${path})`, 'invalid_request_error', null);
}

async function streamChat(fake: FakeOpenAi, script: ChatScript, model: string, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
  let closed = false;
  const closedPromise = new Promise<void>((resolve) => res.on('close', () => { closed = true; resolve(); }));
  fake.streamEnds.push(closedPromise.then((): StreamEnd => (res.writableFinished ? 'finished' : 'closed_early')));

  const eol = script.crlf ? '\r\n' : '\n';
  const id = `chatcmpl-fake${fake.requests.length}`;
  const created = Math.floor(Date.now() / 1000);
  const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
  const withUsage = streamOptions?.include_usage === true;
  let roleSent = false;
  const write = (text: string) => {
    if (!closed) res.write(text);
  };
  const event = (payload: unknown) => write(`data: ${JSON.stringify(payload)}${eol}${eol}`);
  const chunk = (delta: Record<string, unknown>, finish: string | null) => {
    if (!roleSent) {
      delta = { role: 'assistant', ...delta };
      roleSent = true;
    }
    // With include_usage, every chunk but the last carries "usage": null, as documented.
    const payload: Record<string, unknown> = { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] };
    if (withUsage) payload.usage = null;
    event(payload);
  };

  // Waits end early when the client goes away, so no timer outlives the test.
  const pause = (ms: number) => Promise.race([sleep(ms), closedPromise]);
  if (script.headersDelayMs) await pause(script.headersDelayMs);
  if (closed) return;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();

  for (const step of script.steps) {
    if (closed) return;
    switch (step.kind) {
      case 'token':
        chunk({ content: step.text }, null);
        break;
      case 'tool': {
        const fn: Record<string, string> = {};
        if (step.name !== undefined) fn.name = step.name;
        if (step.args !== undefined) fn.arguments = step.args;
        const call: Record<string, unknown> = { index: step.index, function: fn };
        if (step.id !== undefined) Object.assign(call, { id: step.id, type: 'function' });
        chunk({ tool_calls: [call] }, null);
        break;
      }
      case 'finish':
        chunk({}, step.reason);
        break;
      case 'usage':
        event({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: step.prompt, completion_tokens: step.completion, total_tokens: step.prompt + step.completion } });
        break;
      case 'comment':
        write(`: ${step.text ?? 'keep-alive'}${eol}${eol}`);
        break;
      case 'raw':
        write(step.text);
        break;
      case 'error':
        event({ error: { message: step.message, type: 'server_error', param: null, code: null } });
        break;
      case 'wait':
        await pause(step.ms);
        break;
      case 'hold':
        await closedPromise;
        return;
      case 'drop':
        res.socket?.destroy();
        return;
      case 'done':
        write(`data: [DONE]${eol}${eol}`);
        break;
    }
  }
  res.end();
}
