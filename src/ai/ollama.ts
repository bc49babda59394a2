/**
 * Ollama through its native HTTP API (docs/api.md of ollama/ollama, docs.ollama.com/api):
 * `/api/chat` streamed as NDJSON, `/api/embed`, `/api/tags`, `/api/pull` (streamed progress) and
 * `/api/version` for health. Errors come back as `{"error": "…"}` with a status, or, once a
 * stream has begun, as an `{"error"}` line with the status left at 200.
 */
import { randomUUID } from 'node:crypto';
import { readNdjson } from './ndjson.ts';
import {
  ProviderError,
  type ChatChunk,
  type ChatMessage,
  type ChatRequest,
  type Health,
  type ModelInfo,
  type Provider,
  type PullProgress,
  type ToolCall,
} from './provider.ts';
import { fetchFailure, isRecord, messageOf, snippet } from './wire.ts';

export const DEFAULT_OLLAMA_URL = 'http://127.0.0.1:11434';

/** A health check answers the question "is it there?"; it must not hang the start-up waiting. */
const HEALTH_TIMEOUT_MS = 5000;

export interface OllamaOptions {
  /** Where Ollama listens; default http://127.0.0.1:11434. */
  baseUrl?: string | undefined;
  /** Injected fetch (tests, proxies); default the global one. */
  fetch?: typeof fetch | undefined;
}

type Usage = NonNullable<Extract<ChatChunk, { type: 'done' }>['usage']>;

export class OllamaProvider implements Provider {
  readonly kind = 'ollama' as const;
  readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;

  constructor(opts: OllamaOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? DEFAULT_OLLAMA_URL).replace(/\/+$/, '');
    this.fetchFn = opts.fetch ?? globalThis.fetch;
  }

  async *chat(req: ChatRequest): AsyncGenerator<ChatChunk, void, undefined> {
    const signal = req.signal;
    if (signal?.aborted) {
      yield { type: 'done', reason: 'aborted' };
      return;
    }
    let res: Response;
    try {
      res = await this.request('/api/chat', chatBody(req), signal, req.model);
    } catch (err) {
      if (signal?.aborted) {
        yield { type: 'done', reason: 'aborted' };
        return;
      }
      throw err;
    }

    let toolCalls = 0;
    try {
      for await (const value of readNdjson(this.body(res), { source: 'Ollama' })) {
        const line = chatLine(value);
        if (line.message) {
          const { content, tool_calls } = line.message;
          if (content) yield { type: 'token', text: content };
          for (const call of tool_calls ?? []) {
            toolCalls++;
            yield { type: 'tool_call', call: toToolCall(call) };
          }
        }
        if (signal?.aborted) break;
        if (line.done) {
          const usage = usageOf(line);
          const reason = toolCalls > 0 ? 'tool_calls' : line.done_reason === 'length' ? 'length' : 'stop';
          yield usage ? { type: 'done', reason, usage } : { type: 'done', reason };
          return;
        }
      }
    } catch (err) {
      if (!signal?.aborted) throw this.streamError(err);
    }
    if (signal?.aborted) {
      yield { type: 'done', reason: 'aborted' };
      return;
    }
    throw new ProviderError('stream_broken', `The answer from Ollama at ${this.baseUrl} ended before it was finished (no final "done" line).`);
  }

  async embed(model: string, texts: string[], signal?: AbortSignal): Promise<number[][]> {
    if (texts.length === 0) return [];
    const res = await this.request('/api/embed', { model, input: texts }, signal, model);
    const body = await this.json(res, signal);
    const vectors = isRecord(body) ? body['embeddings'] : undefined;
    if (!Array.isArray(vectors) || !vectors.every(isVector)) {
      throw new ProviderError('bad_response', `Ollama's /api/embed answer has no list of vectors under "embeddings".`);
    }
    if (vectors.length !== texts.length) {
      throw new ProviderError('bad_response', `Ollama returned ${vectors.length} embeddings for ${texts.length} texts.`);
    }
    return vectors;
  }

  async models(signal?: AbortSignal): Promise<ModelInfo[]> {
    const res = await this.request('/api/tags', undefined, signal);
    const body = await this.json(res, signal);
    const list = isRecord(body) ? body['models'] : undefined;
    if (!Array.isArray(list)) throw new ProviderError('bad_response', `Ollama's /api/tags answer has no "models" list.`);
    return list.map((m): ModelInfo => {
      if (!isRecord(m) || typeof m['name'] !== 'string') throw new ProviderError('bad_response', `Ollama's /api/tags lists a model without a name.`);
      const info: ModelInfo = { id: m['name'] };
      if (typeof m['size'] === 'number') info.size = m['size'];
      if (typeof m['modified_at'] === 'string') info.modified = m['modified_at'];
      const details = m['details'];
      if (isRecord(details) && typeof details['family'] === 'string') info.family = details['family'];
      return info;
    });
  }

  async health(signal?: AbortSignal): Promise<Health> {
    const timeout = AbortSignal.timeout(HEALTH_TIMEOUT_MS);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const res = await this.request('/api/version', undefined, both);
      const body = await this.json(res, both);
      const version = isRecord(body) ? body['version'] : undefined;
      if (typeof version !== 'string') return { ok: false, provider: 'ollama', detail: `Something answers at ${this.baseUrl}, but not as Ollama does (no version).` };
      return { ok: true, provider: 'ollama', detail: `Ollama ${version} at ${this.baseUrl}` };
    } catch (err) {
      if (timeout.aborted && !signal?.aborted) {
        return { ok: false, provider: 'ollama', detail: `Ollama at ${this.baseUrl} did not answer within ${HEALTH_TIMEOUT_MS / 1000} s.` };
      }
      if (signal?.aborted) return { ok: false, provider: 'ollama', detail: 'The health check was cancelled.' };
      return { ok: false, provider: 'ollama', detail: messageOf(err) };
    }
  }

  /** Resolves on Ollama's `{"status":"success"}`; an abort rejects with the signal's reason. */
  async pull(model: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.request('/api/pull', { model, stream: true }, signal, model);
    try {
      for await (const value of readNdjson(this.body(res), { source: 'Ollama' })) {
        if (!isRecord(value)) throw new ProviderError('bad_response', 'Ollama sent a pull progress line that is not an object.');
        const error = value['error'];
        if (typeof error === 'string') {
          // The registry not knowing the name arrives as a line, the status already 200.
          const kind = /not found|does not exist/i.test(error) ? 'model_not_found' : 'stream_broken';
          throw new ProviderError(kind, `Ollama could not pull "${model}": ${error}`);
        }
        const status = value['status'];
        if (typeof status !== 'string') throw new ProviderError('bad_response', 'Ollama sent a pull progress line without a status.');
        const progress: PullProgress = { status };
        if (typeof value['completed'] === 'number') progress.completed = value['completed'];
        if (typeof value['total'] === 'number') progress.total = value['total'];
        onProgress(progress);
        if (status === 'success') return;
      }
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw this.streamError(err);
    }
    if (signal?.aborted) throw signal.reason;
    throw new ProviderError('stream_broken', `Pulling "${model}" from Ollama at ${this.baseUrl} stopped before it succeeded.`);
  }

  /** One request; refusals and non-2xx answers become ProviderErrors, an abort rethrows as is. */
  private async request(path: string, body: unknown, signal: AbortSignal | undefined, model?: string): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.baseUrl}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/x-ndjson, application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw new ProviderError(
        'unreachable',
        `Ollama is not answering at ${this.baseUrl} (${fetchFailure(err)}). Start it with \`ollama serve\`, or set RAILBOOK_AI_BASE_URL to where it runs.`,
      );
    }
    if (res.ok) return res;

    const text = await res.text().catch(() => '');
    const said = errorText(text);
    // A route Ollama lacks (an old version) is also 404, as plain "404 page not found": not a model.
    if (res.status === 404 && model !== undefined && said !== undefined && /not found/i.test(said) && !/page not found/i.test(said)) {
      throw new ProviderError(
        'model_not_found',
        `Ollama at ${this.baseUrl} does not have the model "${model}"${said ? ` (${said})` : ''}. Download it with \`ollama pull ${model}\`.`,
        404,
      );
    }
    throw new ProviderError('http', `Ollama at ${this.baseUrl} refused ${path} with ${res.status}: ${said ?? snippet(text.trim() || res.statusText)}`, res.status);
  }

  private body(res: Response): ReadableStream<Uint8Array> {
    if (!res.body) throw new ProviderError('bad_response', 'Ollama answered with an empty body.');
    return res.body;
  }

  private async json(res: Response, signal: AbortSignal | undefined): Promise<unknown> {
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw this.streamError(err);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ProviderError('bad_response', `Ollama at ${this.baseUrl} answered with something that is not JSON: ${snippet(text)}`);
    }
  }

  /** Our own errors pass through; anything else while reading is the connection breaking. */
  private streamError(err: unknown): ProviderError {
    if (err instanceof ProviderError) return err;
    return new ProviderError('stream_broken', `The connection to Ollama at ${this.baseUrl} broke off mid-answer (${fetchFailure(err)}).`);
  }
}

// ---- the request ---------------------------------------------------------------------------

function chatBody(req: ChatRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model: req.model, messages: toOllamaMessages(req.messages), stream: true };
  if (req.tools && req.tools.length > 0) {
    body['tools'] = req.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
  }
  const options: Record<string, number> = {};
  if (req.temperature !== undefined) options['temperature'] = req.temperature;
  if (req.maxTokens !== undefined) options['num_predict'] = req.maxTokens;
  if (Object.keys(options).length > 0) body['options'] = options;
  return body;
}

/** Ollama matches a tool's answer to its call by the tool's name (`tool_name`), not by an id. */
function toOllamaMessages(messages: ChatMessage[]): Record<string, unknown>[] {
  const nameOfCall = new Map<string, string>();
  return messages.map((m) => {
    const out: Record<string, unknown> = { role: m.role, content: m.content };
    if (m.role === 'assistant' && m.toolCalls && m.toolCalls.length > 0) {
      for (const c of m.toolCalls) nameOfCall.set(c.id, c.name);
      out['tool_calls'] = m.toolCalls.map((c) => ({ function: { name: c.name, arguments: c.arguments } }));
    }
    if (m.role === 'tool') {
      const name = m.name ?? (m.toolCallId !== undefined ? nameOfCall.get(m.toolCallId) : undefined);
      if (name !== undefined) out['tool_name'] = name;
    }
    return out;
  });
}

// ---- the answer ----------------------------------------------------------------------------

interface OllamaToolCall {
  id?: string;
  function: { name: string; arguments: Record<string, unknown> };
}

interface ChatLine {
  done: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  message?: { content?: string; tool_calls?: OllamaToolCall[] };
}

/** Checks one streamed line against the documented shape; an `{"error"}` line ends the stream. */
function chatLine(value: unknown): ChatLine {
  if (!isRecord(value)) throw bad('a line that is not an object');
  if (typeof value['error'] === 'string') throw new ProviderError('stream_broken', `Ollama stopped mid-answer: ${value['error']}`);
  if (typeof value['done'] !== 'boolean') throw bad('a line without "done"');
  const line: ChatLine = { done: value['done'] };
  if (typeof value['done_reason'] === 'string') line.done_reason = value['done_reason'];
  if (typeof value['prompt_eval_count'] === 'number') line.prompt_eval_count = value['prompt_eval_count'];
  if (typeof value['eval_count'] === 'number') line.eval_count = value['eval_count'];
  const message = value['message'];
  if (message !== undefined && message !== null) {
    if (!isRecord(message)) throw bad('a "message" that is not an object');
    const msg: NonNullable<ChatLine['message']> = {};
    const content = message['content'];
    if (content !== undefined && content !== null) {
      if (typeof content !== 'string') throw bad('a "content" that is not text');
      msg.content = content;
    }
    const calls = message['tool_calls'];
    if (calls !== undefined && calls !== null) {
      if (!Array.isArray(calls)) throw bad('"tool_calls" that is not a list');
      msg.tool_calls = calls.map(toolCallOf);
    }
    line.message = msg;
  }
  return line;
}

function toolCallOf(value: unknown): OllamaToolCall {
  const fn = isRecord(value) ? value['function'] : undefined;
  if (!isRecord(value) || !isRecord(fn) || typeof fn['name'] !== 'string') throw bad('a tool call without a function name');
  let args: unknown = fn['arguments'] ?? {};
  // Ollama sends an object; some servers imitating it send the JSON text of one.
  if (typeof args === 'string') {
    try {
      args = JSON.parse(args) as unknown;
    } catch {
      throw bad(`tool call arguments that are not JSON for "${fn['name']}"`);
    }
  }
  if (!isRecord(args)) throw bad(`tool call arguments that are not an object for "${fn['name']}"`);
  const call: OllamaToolCall = { function: { name: fn['name'], arguments: args } };
  if (typeof value['id'] === 'string' && value['id'] !== '') call.id = value['id'];
  return call;
}

/** Ollama gives no ids (newer versions sometimes do): make one, unique beyond this answer. */
function toToolCall(c: OllamaToolCall): ToolCall {
  return { id: c.id ?? `call_${randomUUID().replaceAll('-', '').slice(0, 16)}`, name: c.function.name, arguments: c.function.arguments };
}

function usageOf(line: ChatLine): Usage | undefined {
  const usage: Usage = {};
  if (line.prompt_eval_count !== undefined) usage.promptTokens = line.prompt_eval_count;
  if (line.eval_count !== undefined) usage.completionTokens = line.eval_count;
  return Object.keys(usage).length > 0 ? usage : undefined;
}

// ---- small helpers -------------------------------------------------------------------------

function bad(what: string): ProviderError {
  return new ProviderError('bad_response', `Ollama sent ${what}; that is not its chat protocol.`);
}

function isVector(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Ollama's own words from an `{"error": "…"}` body, when it is one. */
function errorText(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    if (isRecord(body) && typeof body['error'] === 'string') return body['error'];
  } catch {
    // not JSON: the caller shows the raw text
  }
  return undefined;
}
