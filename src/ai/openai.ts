/**
 * The provider for any server speaking OpenAI's HTTP API (LM Studio, llama.cpp's server, vLLM,
 * hosted services): `POST /chat/completions` streamed as server-sent events, `POST /embeddings`,
 * `GET /models`. The base URL is the one those servers document, ending in `/v1`.
 */
import { randomUUID } from 'node:crypto';
import {
  ProviderError,
  type ChatChunk,
  type ChatMessage,
  type ChatRequest,
  type Health,
  type ModelInfo,
  type Provider,
  type ProviderErrorKind,
  type ToolCall,
} from './provider.ts';
import { readSse } from './sse.ts';
import { fetchFailure, isRecord, snippet } from './wire.ts';

export interface OpenAiOptions {
  /** e.g. http://127.0.0.1:1234/v1 */
  baseUrl: string;
  apiKey?: string | undefined;
  fetch?: typeof fetch | undefined;
}

type DoneReason = Extract<ChatChunk, { type: 'done' }>['reason'];
type Usage = NonNullable<Extract<ChatChunk, { type: 'done' }>['usage']>;

/** A tool call as its fragments arrive, keyed by the stream's `index`. */
interface PartialCall {
  id: string;
  name: string;
  args: string;
}

/** How long health() waits for an answer before saying the server does not answer. */
const HEALTH_TIMEOUT_MS = 5000;
/** Error bodies are read for their message, not kept: a sane cap. */
const ERROR_BODY_MAX = 64 * 1024;

export class OpenAiProvider implements Provider {
  readonly kind = 'openai' as const;
  private readonly base: string;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: OpenAiOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.apiKey = opts.apiKey ? opts.apiKey : undefined;
    this.fetchImpl = opts.fetch ?? globalThis.fetch;
  }

  async *chat(req: ChatRequest): AsyncGenerator<ChatChunk, void, undefined> {
    const signal = req.signal;
    if (signal?.aborted) {
      yield { type: 'done', reason: 'aborted' };
      return;
    }
    const body: Record<string, unknown> = {
      model: req.model,
      messages: req.messages.map(toOpenAiMessage),
      stream: true,
      // The last chunk then carries the token counts (its `choices` is empty).
      stream_options: { include_usage: true },
    };
    if (req.tools && req.tools.length > 0) {
      body.tools = req.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
    }
    if (req.temperature !== undefined) body.temperature = req.temperature;
    if (req.maxTokens !== undefined) body.max_tokens = req.maxTokens;

    let res: Response;
    try {
      res = await this.send('/chat/completions', { method: 'POST', body: JSON.stringify(body), signal }, req.model);
    } catch (err) {
      if (signal?.aborted) {
        yield { type: 'done', reason: 'aborted' };
        return;
      }
      throw err;
    }
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream') || !res.body) {
      const text = await readCapped(res).catch(() => '');
      throw this.fail('bad_response', `${this.base} answered the streamed chat with ${type || 'no content type'}, not an event stream: ${snippet(text)}`);
    }

    const calls = new Map<number, PartialCall>();
    let reason: DoneReason | undefined;
    let usage: Usage | undefined;
    let sawDone = false;
    try {
      for await (const event of readSse(res.body)) {
        if (event.data.trim() === '[DONE]') {
          sawDone = true;
          break;
        }
        const chunk = this.parseChunk(event.event, event.data);
        if (isRecord(chunk.usage)) usage = toUsage(chunk.usage);
        const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
        if (!isRecord(choice)) continue; // the usage chunk has no choices
        const delta = isRecord(choice.delta) ? choice.delta : {};
        if (typeof delta.content === 'string' && delta.content !== '') yield { type: 'token', text: delta.content };
        if (Array.isArray(delta.tool_calls)) this.addFragments(calls, delta.tool_calls);
        if (typeof choice.finish_reason === 'string') reason = toReason(choice.finish_reason);
      }
    } catch (err) {
      if (signal?.aborted) {
        yield { type: 'done', reason: 'aborted' };
        return;
      }
      if (err instanceof ProviderError) throw err;
      throw this.fail('stream_broken', `The answer from ${this.base} broke off: ${fetchFailure(err)}`);
    }
    if (!sawDone) {
      if (signal?.aborted) {
        yield { type: 'done', reason: 'aborted' };
        return;
      }
      throw this.fail('stream_broken', `The answer from ${this.base} ended before its [DONE] marker: the connection was cut.`);
    }
    // Arguments arrive as string fragments: only the whole is JSON, so calls are given at the end.
    for (const [, partial] of [...calls].sort((a, b) => a[0] - b[0])) yield { type: 'tool_call', call: this.finishCall(partial) };
    // Some servers say "stop" after asking for tools; what matters to the caller is that tools were asked for.
    if (calls.size > 0 && (reason === undefined || reason === 'stop')) reason = 'tool_calls';
    yield { type: 'done', reason: reason ?? 'stop', usage };
  }

  async embed(model: string, texts: string[], signal?: AbortSignal): Promise<number[][]> {
    if (texts.length === 0) return [];
    const res = await this.send('/embeddings', { method: 'POST', body: JSON.stringify({ model, input: texts }), signal }, model);
    const json = await this.readJson(res, 'embeddings', signal);
    const data = isRecord(json) ? json.data : undefined;
    if (!Array.isArray(data)) throw this.fail('bad_response', `${this.base}/embeddings answered without a "data" list.`);
    if (data.length !== texts.length) {
      throw this.fail('bad_response', `${this.base}/embeddings gave ${data.length} vectors for ${texts.length} texts.`);
    }
    const out: number[][] = new Array<number[]>(texts.length);
    for (const item of data) {
      const index = isRecord(item) ? item.index : undefined;
      const vector = isRecord(item) ? item.embedding : undefined;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= texts.length || out[index]) {
        throw this.fail('bad_response', `${this.base}/embeddings gave a vector with a missing, repeated or out-of-range index (${String(index)}).`);
      }
      if (!Array.isArray(vector) || !vector.every((x) => typeof x === 'number')) {
        throw this.fail('bad_response', `${this.base}/embeddings gave vector ${index} that is not a list of numbers.`);
      }
      out[index] = vector as number[];
    }
    return out;
  }

  async models(signal?: AbortSignal): Promise<ModelInfo[]> {
    const res = await this.send('/models', { method: 'GET', signal });
    const json = await this.readJson(res, 'models', signal);
    const data = isRecord(json) ? json.data : undefined;
    if (!Array.isArray(data)) throw this.fail('bad_response', `${this.base}/models answered without a "data" list.`);
    return data.map((m): ModelInfo => {
      if (!isRecord(m) || typeof m.id !== 'string') throw this.fail('bad_response', `${this.base}/models listed a model without an id.`);
      const info: ModelInfo = { id: m.id };
      if (typeof m.created === 'number' && m.created > 0) info.modified = new Date(m.created * 1000).toISOString();
      return info;
    });
  }

  async health(signal?: AbortSignal): Promise<Health> {
    try {
      const timeout = AbortSignal.timeout(HEALTH_TIMEOUT_MS);
      const list = await this.models(signal ? AbortSignal.any([signal, timeout]) : timeout);
      const names = list.slice(0, 3).map((m) => m.id).join(', ');
      const more = list.length > 3 ? ', …' : '';
      return { ok: true, provider: 'openai', detail: `OpenAI-compatible server at ${this.base}: ${list.length} model${list.length === 1 ? '' : 's'}${names ? ` (${names}${more})` : ''}` };
    } catch (err) {
      const detail = err instanceof ProviderError ? err.message : this.redact(`No answer from ${this.base}: ${fetchFailure(err)}`);
      return { ok: false, provider: 'openai', detail };
    }
  }

  /** One request; a refused connection or an HTTP error becomes a ProviderError. Aborts pass through. */
  private async send(path: string, init: { method: string; body?: string; signal?: AbortSignal | undefined }, model?: string): Promise<Response> {
    const headers: Record<string, string> = { accept: path === '/chat/completions' ? 'text/event-stream' : 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let res: Response;
    try {
      res = await this.fetchImpl(this.base + path, { method: init.method, headers, body: init.body ?? null, signal: init.signal ?? null });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw this.fail('unreachable', `Nothing answers at ${this.base}: ${fetchFailure(err)}`);
    }
    if (!res.ok) throw await this.httpError(res, model);
    return res;
  }

  private async httpError(res: Response, model: string | undefined): Promise<ProviderError> {
    const text = await readCapped(res).catch(() => '');
    const info = errorInfo(text);
    const said = info.message ?? (snippet(text) || res.statusText || 'no message');
    if (res.status === 401) return this.fail('unauthorized', `${this.base} refused the API key (HTTP 401): ${said}`, 401);
    // A 404 also answers a wrong path ("Invalid URL (POST /chat/completions)" when the base URL lacks
    // /v1): it is about the model only when the server says so.
    const aboutModel = info.code === 'model_not_found' || (res.status === 404 && info.message !== undefined && /\bmodel\b/i.test(info.message));
    if (model !== undefined && aboutModel) {
      return this.fail('model_not_found', `${this.base} has no model "${model}": ${said}`, res.status);
    }
    const hint = res.status === 404 ? ' (is the base URL right? it usually ends in /v1)' : '';
    return this.fail('http', `${this.base} answered HTTP ${res.status}${hint}: ${said}`, res.status);
  }

  private async readJson(res: Response, what: string, signal: AbortSignal | undefined): Promise<unknown> {
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw err;
      throw this.fail('stream_broken', `The ${what} answer from ${this.base} broke off: ${fetchFailure(err)}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.fail('bad_response', `${this.base} answered ${what} with something that is not JSON: ${snippet(text)}`);
    }
  }

  private parseChunk(eventType: string, data: string): Record<string, unknown> {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      if (eventType === 'error') throw this.fail('stream_broken', `${this.base} reported an error mid-answer: ${snippet(data)}`);
      throw this.fail('bad_response', `${this.base} streamed something that is not JSON: ${snippet(data)}`);
    }
    if (!isRecord(json)) throw this.fail('bad_response', `${this.base} streamed something that is not a chunk: ${snippet(data)}`);
    // vLLM, llama.cpp and OpenAI itself report a failure after the stream began as an error object.
    if (json.error !== undefined && json.error !== null || eventType === 'error') {
      const info = errorInfo(data);
      throw this.fail('stream_broken', `${this.base} reported an error mid-answer: ${info.message ?? snippet(data)}`);
    }
    if (!Array.isArray(json.choices) && !isRecord(json.usage)) {
      throw this.fail('bad_response', `${this.base} streamed a chunk without "choices": ${snippet(data)}`);
    }
    return json;
  }

  private addFragments(calls: Map<number, PartialCall>, fragments: unknown[]): void {
    fragments.forEach((f, position) => {
      if (!isRecord(f)) throw this.fail('bad_response', `${this.base} streamed a tool call that is not an object.`);
      const index = typeof f.index === 'number' ? f.index : position;
      const partial = calls.get(index) ?? { id: '', name: '', args: '' };
      calls.set(index, partial);
      if (typeof f.id === 'string' && f.id !== '' && partial.id === '') partial.id = f.id;
      const fn = isRecord(f.function) ? f.function : {};
      if (typeof fn.name === 'string' && fn.name !== '' && partial.name === '') partial.name = fn.name;
      if (typeof fn.arguments === 'string') partial.args += fn.arguments;
    });
  }

  private finishCall(partial: PartialCall): ToolCall {
    if (partial.name === '') throw this.fail('bad_response', `${this.base} streamed a tool call without a function name.`);
    let args: unknown;
    try {
      args = partial.args.trim() === '' ? {} : JSON.parse(partial.args);
    } catch {
      throw this.fail('bad_response', `${this.base} asked for tool "${partial.name}" with arguments that are not JSON: ${snippet(partial.args)}`);
    }
    if (!isRecord(args)) throw this.fail('bad_response', `${this.base} asked for tool "${partial.name}" with arguments that are not a JSON object: ${snippet(partial.args)}`);
    return { id: partial.id || `call_${randomUUID()}`, name: partial.name, arguments: args };
  }

  /** Every error goes through here, so a server that echoes the key back cannot leak it. */
  private fail(kind: ProviderErrorKind, message: string, status?: number): ProviderError {
    return new ProviderError(kind, this.redact(message), status);
  }

  private redact(text: string): string {
    return this.apiKey ? text.split(this.apiKey).join('[api key]') : text;
  }
}

function toOpenAiMessage(m: ChatMessage): Record<string, unknown> {
  if (m.role === 'tool') {
    const out: Record<string, unknown> = { role: 'tool', content: m.content };
    if (m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
    return out;
  }
  if (m.role === 'assistant' && m.toolCalls && m.toolCalls.length > 0) {
    return {
      role: 'assistant',
      // OpenAI's own answers carry null content beside tool calls.
      content: m.content === '' ? null : m.content,
      tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })),
    };
  }
  return { role: m.role, content: m.content };
}

function toReason(finish: string): DoneReason {
  if (finish === 'length') return 'length';
  if (finish === 'tool_calls' || finish === 'function_call') return 'tool_calls';
  return 'stop'; // "stop", "content_filter", and whatever a server invents
}

function toUsage(u: Record<string, unknown>): Usage {
  const usage: Usage = {};
  if (typeof u.prompt_tokens === 'number') usage.promptTokens = u.prompt_tokens;
  if (typeof u.completion_tokens === 'number') usage.completionTokens = u.completion_tokens;
  return usage;
}

/** The message and code of an error body in OpenAI's shape (`{error:{message,type,code}}`), or the flat shapes some servers use. */
function errorInfo(text: string): { message?: string; code?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isRecord(json)) return {};
  const err = isRecord(json.error) ? json.error : json;
  const message = typeof err.message === 'string' ? err.message : typeof json.error === 'string' ? json.error : typeof json.detail === 'string' ? json.detail : undefined;
  const code = typeof err.code === 'string' ? err.code : undefined;
  const out: { message?: string; code?: string } = {};
  if (message !== undefined) out.message = message;
  if (code !== undefined) out.code = code;
  return out;
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.length > ERROR_BODY_MAX) break;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text;
}
