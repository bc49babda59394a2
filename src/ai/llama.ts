/**
 * The embedded llama.cpp provider: a GGUF file on this machine, run in this process through
 * node-llama-cpp (pinned 3.21.1; its prebuilt CPU binaries ship in npm packages, nothing is
 * compiled). The native work runs off the event loop's thread.
 *
 * - One node-llama-cpp `Llama` per process (its start-up takes about a second), made on first use.
 * - One loaded model per file (path, size and modification time): two providers on the same file
 *   share it. Chats borrow a context sequence from a small pool per model; every chat sends the
 *   whole history, so nothing a chat says carries over to the next (a reused sequence only saves
 *   re-evaluating the prompt prefix they share).
 * - Contexts run on ONE thread unless told otherwise (option `threads`, or the environment
 *   variable RAILBOOK_AI_THREADS): on small machines shared with other work, llama.cpp's default
 *   of every core was measured twenty times slower.
 * - Tool calls: the specs become node-llama-cpp "functions" without handlers, so a call the model
 *   makes ends the answer (`tool_call` chunks, then `done` 'tool_calls'); nothing is executed here.
 * - The provider has one model, the file: `chat` ignores `req.model`; `embed` accepts the file's
 *   name (as `models()` lists it), its path, or '' and refuses any other name, so vectors are never
 *   stored under the name of a model that did not make them.
 */
import { availableParallelism } from 'node:os';
import { randomUUID } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import type {
  ChatHistoryItem,
  ChatModelFunctionCall,
  ChatModelFunctions,
  GbnfJsonSchema,
  Llama,
  LlamaChat,
  LlamaChatResponse,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaModel,
} from 'node-llama-cpp';
import { formatBytes } from '../widgets/format.ts';
import { AI_ENV } from './ai-settings.ts';
import {
  ProviderError,
  type ChatChunk,
  type ChatMessage,
  type ChatRequest,
  type Health,
  type ModelInfo,
  type Provider,
  type ToolCall,
  type ToolSpec,
} from './provider.ts';

export interface LlamaOptions {
  /** The GGUF file. */
  modelFile: string;
  /** CPU threads per context; default RAILBOOK_AI_THREADS, else half the CPUs (at least 1). */
  threads?: number | undefined;
  /** Tokens per context; default the model's training context, at most 4096. */
  contextSize?: number | undefined;
  /** Chats answered at once on this model (each holds a context); default 2. More wait their turn. */
  parallel?: number | undefined;
  // The model is shared per file: the first provider to load it sets threads, contextSize and parallel.
}

/** The default sampling temperature, as Ollama's and llama.cpp's server's. */
const DEFAULT_TEMPERATURE = 0.8;
const MAX_DEFAULT_CONTEXT = 4096;
const GGUF_MAGIC = 'GGUF';

const MODEL_FILE_VAR = AI_ENV.modelFile ?? 'RAILBOOK_AI_MODEL_FILE';

type Usage = NonNullable<Extract<ChatChunk, { type: 'done' }>['usage']>;

export class LlamaProvider implements Provider {
  readonly kind = 'llama' as const;
  readonly modelFile: string;
  private readonly threads: number;
  private readonly contextSize: number | undefined;
  private readonly parallel: number;

  constructor(opts: LlamaOptions) {
    // "~/models/x.gguf" as people write it in a form; the shell expands it only on the command line.
    const file = opts.modelFile.replace(/^~(?=$|[\\/])/, homedir());
    this.modelFile = path.resolve(file);
    // Half the CPUs leaves room for the server and the rest of the machine; on a 2-core machine
    // llama.cpp's own default (all of them) was measured 20× slower than one thread.
    this.threads = opts.threads ?? envThreads() ?? Math.max(1, Math.floor(availableParallelism() / 2));
    this.contextSize = opts.contextSize;
    this.parallel = Math.max(1, opts.parallel ?? 2);
  }

  /** The file's name: the one model this provider has. */
  get modelName(): string {
    return path.basename(this.modelFile);
  }

  /** The loaded model, shared by every provider on the same file (loaded on first use). */
  async loadModel(): Promise<LlamaModel> {
    return (await this.loaded()).model;
  }

  async *chat(req: ChatRequest): AsyncGenerator<ChatChunk, void, undefined> {
    const signal = req.signal;
    if (signal?.aborted) {
      yield { type: 'done', reason: 'aborted' };
      return;
    }
    const loaded = await this.loaded();
    const functions = req.tools && req.tools.length > 0 ? toFunctions(req.tools) : undefined;
    const lease = await loaded.lease(signal);
    if (!lease) {
      yield { type: 'done', reason: 'aborted' };
      return;
    }
    let chat: LlamaChat;
    let history: ChatHistoryItem[];
    let room: number;
    try {
      const { LlamaChat } = await import('node-llama-cpp');
      chat = new LlamaChat({ contextSequence: lease.sequence });
      // A context holds prompt and answer together: the prompt, with the tools' documentation the
      // chat template adds to it, gets at most three quarters of it.
      const count = (t: string) => loaded.model.tokenize(t).length;
      const toolTokens = functions ? promptTokens(chat, loaded.model, functions) - promptTokens(chat, loaded.model, undefined) : 0;
      history = fitHistory(toHistory(req.messages), count, Math.floor((loaded.contextSize * 3) / 4) - toolTokens);
      // The answer gets the room the prompt leaves: generating past the context would make
      // llama.cpp shift it, which fails when the system prompt fills most of it.
      room = loaded.contextSize - historyTokens(history, count) - toolTokens - 16;
    } catch (e) {
      lease.release(true);
      throw new ProviderError('bad_response', `The embedded llama.cpp could not prepare the prompt for ${this.modelName}: ${messageOf(e)}`);
    }

    // The generation runs on its own; its chunks wait here until the caller takes them.
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const pending: ChatChunk[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    let result: LlamaChatResponse<ChatModelFunctions> | undefined;
    let completionTokens = 0;
    const push = (c: ChatChunk) => {
      if (stop.signal.aborted) return;
      pending.push(c);
      wake?.();
      wake = undefined;
    };
    const maxTokens = Math.min(req.maxTokens ?? lease.sequence.contextSize, Math.max(1, room));
    const run = (async () => {
      try {
        return await chat.generateResponse(history, {
          signal: stop.signal,
          stopOnAbortSignal: true,
          maxTokens: Math.max(1, maxTokens),
          temperature: req.temperature ?? DEFAULT_TEMPERATURE,
          ...(functions ? { functions } : {}),
          onTextChunk: (text) => {
            if (text !== '') push({ type: 'token', text });
          },
          onToken: (tokens) => {
            completionTokens += tokens.length;
          },
        });
      } finally {
        chat.dispose();
      }
    })();
    run.then(
      (r) => {
        result = r;
      },
      (e: unknown) => {
        failure = e;
      },
    ).finally(() => {
      finished = true;
      wake?.();
      wake = undefined;
    });

    try {
      for (;;) {
        while (pending.length > 0) yield pending.shift()!;
        if (finished) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (signal?.aborted) {
        yield { type: 'done', reason: 'aborted' };
        return;
      }
      if (failure !== undefined || !result) {
        throw new ProviderError('stream_broken', `The embedded llama.cpp stopped while answering with ${this.modelName}: ${messageOf(failure)}`);
      }
      const usage: Usage = { completionTokens, promptTokens: Math.max(0, lease.sequence.contextTokens.length - completionTokens) };
      const calls = result.functionCalls ?? [];
      if (calls.length > 0) {
        for (const c of calls) {
          const call: ToolCall = { id: `call_${randomUUID()}`, name: c.functionName, arguments: isRecord(c.params) ? c.params : {} };
          yield { type: 'tool_call', call };
        }
        yield { type: 'done', reason: 'tool_calls', usage };
        return;
      }
      const why = result.metadata.stopReason;
      yield { type: 'done', reason: why === 'maxTokens' ? 'length' : why === 'abort' ? 'aborted' : 'stop', usage };
    } finally {
      // Also when the caller stops reading early: the generation is stopped before the sequence
      // goes back to the pool.
      const broken = finished && failure !== undefined && !signal?.aborted;
      stop.abort();
      signal?.removeEventListener('abort', onAbort);
      await run.catch(() => undefined);
      lease.release(!broken);
    }
  }

  async embed(model: string, texts: string[], signal?: AbortSignal): Promise<number[][]> {
    if (model !== '' && model !== this.modelName && path.resolve(model) !== this.modelFile) {
      throw new ProviderError(
        'model_not_found',
        `The embedded llama.cpp provider has one model, ${this.modelName} (the file ${this.modelFile}); it cannot embed with "${model}". ` +
          `Set the embedding model (RAILBOOK_AI_EMBED_MODEL) to ${this.modelName}, or use Ollama or an OpenAI-compatible server for "${model}".`,
      );
    }
    if (texts.length === 0) return [];
    // One model for the whole batch, even if the file is replaced meanwhile.
    return (await this.loaded()).embed(texts, signal);
  }

  async models(): Promise<ModelInfo[]> {
    const info = await this.checkFile();
    return [{ id: this.modelName, size: info.size, modified: info.mtime.toISOString() }];
  }

  async health(): Promise<Health> {
    try {
      const info = await this.checkFile();
      await this.loaded();
      return { ok: true, provider: 'llama', detail: `embedded llama.cpp · ${this.modelName} (${formatBytes(info.size)})` };
    } catch (e) {
      return { ok: false, provider: 'llama', detail: messageOf(e) };
    }
  }

  /** The file's size and time if it is there and starts like a GGUF, else a ProviderError saying what to do. */
  private async checkFile(): Promise<{ size: number; mtime: Date; mtimeMs: number }> {
    const file = this.modelFile;
    let info;
    try {
      info = await stat(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? messageOf(e)})`;
      throw new ProviderError('model_not_found', `The model file ${file} ${why}. Set ${MODEL_FILE_VAR} (or the model file on the Settings page) to a GGUF file on this machine.`);
    }
    if (!info.isFile()) {
      throw new ProviderError('model_not_found', `The model file ${file} is not a file. Set ${MODEL_FILE_VAR} (or the model file on the Settings page) to a GGUF file on this machine.`);
    }
    const head = Buffer.alloc(4);
    let read = 0;
    try {
      const fh = await open(file, 'r');
      try {
        read = (await fh.read(head, 0, 4, 0)).bytesRead;
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw new ProviderError('model_not_found', `The model file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? messageOf(e)}).`);
    }
    if (read < 4 || head.toString('latin1') !== GGUF_MAGIC) {
      throw new ProviderError(
        'bad_response',
        `The model file ${file} is not a GGUF model (it does not start with "GGUF"). The embedded provider needs a .gguf file, as Hugging Face lists under "GGUF"; set ${MODEL_FILE_VAR} to one.`,
      );
    }
    return { size: info.size, mtime: info.mtime, mtimeMs: info.mtimeMs };
  }

  private async loaded(): Promise<LoadedModel> {
    const info = await this.checkFile();
    return loadShared(this.modelFile, info, { threads: this.threads, contextSize: this.contextSize, parallel: this.parallel });
  }
}

// ---- One Llama, one model per file ---------------------------------------------------------------

let llamaPromise: Promise<Llama> | undefined;

/** The process's node-llama-cpp instance (CPU or a GPU it finds; never compiles llama.cpp). */
export function sharedLlama(): Promise<Llama> {
  if (!llamaPromise) {
    const p = (async () => {
      const { getLlama } = await import('node-llama-cpp');
      try {
        return await getLlama({ build: 'never' });
      } catch (e) {
        throw new ProviderError(
          'unreachable',
          `llama.cpp cannot start on this machine (${process.platform}-${process.arch}): ${messageOf(e)}. ` +
            'Reinstall Railbook\'s dependencies (npm ci) so node-llama-cpp finds its prebuilt binary, or use Ollama or an OpenAI-compatible server instead.',
        );
      }
    })();
    llamaPromise = p;
    // A failure is not kept: the next use tries again.
    p.catch(() => {
      if (llamaPromise === p) llamaPromise = undefined;
    });
  }
  return llamaPromise;
}

interface LoadSettings {
  threads: number;
  contextSize: number | undefined;
  parallel: number;
}

const models = new Map<string, Promise<LoadedModel>>();

function loadShared(file: string, info: { size: number; mtimeMs: number }, settings: LoadSettings): Promise<LoadedModel> {
  // A new version of the file at the same path is a new model; the old one goes once unused.
  const key = `${file}\0${info.size}\0${info.mtimeMs}`;
  const known = models.get(key);
  if (known) return known;
  for (const [k, p] of models) {
    if (k.startsWith(`${file}\0`)) {
      models.delete(k);
      void p.then((m) => m.retire(), () => undefined);
    }
  }
  const p = (async () => {
    const llama = await sharedLlama();
    try {
      return new LoadedModel(await llama.loadModel({ modelPath: file }), file, settings);
    } catch (e) {
      throw new ProviderError('bad_response', `llama.cpp could not load the model file ${file}: ${messageOf(e)}. Is it a complete GGUF model (not a partial download)?`);
    }
  })();
  models.set(key, p);
  p.catch(() => {
    if (models.get(key) === p) models.delete(key);
  });
  return p;
}

/** Unloads every model (a server's shutdown; tests). The Llama instance stays. */
export async function unloadLlamaModels(): Promise<void> {
  const all = [...models.values()];
  models.clear();
  await Promise.all(all.map((p) => p.then((m) => m.retire(), () => undefined)));
}

interface Lease {
  sequence: LlamaContextSequence;
  /** Back to the pool; `reusable` false disposes its context instead (after an error). */
  release(reusable: boolean): void;
}

/** A loaded model with its pool of chat sequences and one embedding context. */
class LoadedModel {
  private readonly idle: LlamaContextSequence[] = [];
  private readonly waiting: (() => void)[] = [];
  /** Chats holding a sequence (at most `parallel`). */
  private chats = 0;
  /** Embedding batches running or queued. */
  private embeds = 0;
  private retired = false;
  private embedding: Promise<LlamaEmbeddingContext> | undefined;
  /** Embeddings one at a time: the context evaluates one input at once. */
  private embedQueue: Promise<unknown> = Promise.resolve();

  /** The file's name, for messages. */
  private readonly name: string;

  constructor(
    readonly model: LlamaModel,
    file: string,
    private readonly settings: LoadSettings,
  ) {
    this.name = path.basename(file);
  }

  get contextSize(): number {
    return this.settings.contextSize ?? Math.min(this.model.trainContextSize, MAX_DEFAULT_CONTEXT);
  }

  /** A sequence for one chat, waiting while `parallel` are in use; undefined if aborted first. */
  async lease(signal: AbortSignal | undefined): Promise<Lease | undefined> {
    if (signal?.aborted) return undefined;
    if (this.chats < this.settings.parallel) this.chats++;
    else {
      // A chat that ends hands its slot over (see chatDone): `chats` already counts this one then.
      const handedOver = await new Promise<boolean>((resolve) => {
        const take = () => {
          signal?.removeEventListener('abort', giveUp);
          resolve(true);
        };
        const giveUp = () => {
          const i = this.waiting.indexOf(take);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve(false);
        };
        this.waiting.push(take);
        signal?.addEventListener('abort', giveUp, { once: true });
      });
      if (!handedOver) return undefined;
    }
    let sequence = this.idle.pop();
    if (!sequence) {
      try {
        const context = await this.model.createContext({ threads: this.settings.threads, contextSize: this.contextSize, sequences: 1 });
        sequence = context.getSequence();
      } catch (e) {
        this.chatDone();
        throw new ProviderError('bad_response', `llama.cpp could not make a context of ${this.contextSize} tokens for ${this.name}: ${messageOf(e)}`);
      }
    }
    const seq = sequence;
    let released = false;
    return {
      sequence: seq,
      release: (reusable) => {
        if (released) return;
        released = true;
        if (reusable && !this.retired && !seq.disposed) this.idle.push(seq);
        else void seq.context.dispose();
        this.chatDone();
      },
    };
  }

  /** One vector per text; the model stays loaded until the batch is done. */
  async embed(texts: string[], signal: AbortSignal | undefined): Promise<number[][]> {
    this.embeds++;
    const turn = this.embedQueue.then(async () => {
      this.embedding ??= this.model.createEmbeddingContext({ threads: this.settings.threads, contextSize: this.contextSize });
      const ctx = await this.embedding;
      const vectors: number[][] = [];
      for (const text of texts) {
        if (signal?.aborted) throw abortError(signal);
        // Longer texts are cut to the context (callers chunk documents well below it).
        const tokens = this.model.tokenize(text).slice(0, Math.max(1, this.contextSize - 1));
        vectors.push([...(await ctx.getEmbeddingFor(tokens)).vector]);
      }
      return vectors;
    });
    this.embedQueue = turn.catch(() => undefined);
    try {
      return await turn;
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new ProviderError('stream_broken', `The embedded llama.cpp could not embed a text with ${this.name}: ${messageOf(e)}`);
    } finally {
      this.embeds--;
      this.disposeIfUnused();
    }
  }

  /** Disposed once the chats and embeddings running end. */
  retire(): void {
    this.retired = true;
    this.disposeIfUnused();
  }

  private chatDone(): void {
    const next = this.waiting.shift();
    if (next) return next();
    this.chats--;
    this.disposeIfUnused();
  }

  private disposeIfUnused(): void {
    if (this.retired && this.chats === 0 && this.embeds === 0) void this.dispose();
  }

  private async dispose(): Promise<void> {
    for (const s of this.idle.splice(0)) await s.context.dispose();
    const e = this.embedding;
    this.embedding = undefined;
    if (e) await e.then((c) => c.dispose(), () => undefined);
    if (!this.model.disposed) await this.model.dispose();
  }
}

// ---- Messages and tools, in node-llama-cpp's terms ------------------------------------------------

/**
 * The chat's messages as node-llama-cpp's history. An assistant turn's tool calls become function
 * calls in its response, each with the result of the `tool` message that answers it (by id, else
 * the next unanswered call of that name); a tool message that answers no call is given to the
 * model as a user turn that says which tool returned it.
 */
export function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const calls = new Map<string, ChatModelFunctionCall>();
  const unanswered: { name: string; call: ChatModelFunctionCall }[] = [];
  for (const m of messages) {
    if (m.role === 'system') history.push({ type: 'system', text: m.content });
    else if (m.role === 'user') history.push({ type: 'user', text: m.content });
    else if (m.role === 'assistant') {
      const response: (string | ChatModelFunctionCall)[] = m.content === '' ? [] : [m.content];
      for (const c of m.toolCalls ?? []) {
        const call: ChatModelFunctionCall = { type: 'functionCall', name: c.name, params: c.arguments, result: undefined };
        response.push(call);
        calls.set(c.id, call);
        unanswered.push({ name: c.name, call });
      }
      history.push({ type: 'model', response });
    } else {
      const byId = m.toolCallId === undefined ? undefined : calls.get(m.toolCallId);
      const i = byId ? unanswered.findIndex((u) => u.call === byId) : unanswered.findIndex((u) => m.name === undefined || u.name === m.name);
      const target = byId ?? unanswered[i]?.call;
      if (target && i >= 0) {
        unanswered.splice(i, 1);
        target.result = jsonOrText(m.content);
      } else {
        history.push({ type: 'user', text: `(The tool ${m.name ?? 'called'} returned:)\n${m.content}` });
      }
    }
  }
  return history;
}

/**
 * Makes the history fit `budget` tokens, as counted by the model's own tokenizer: the oldest turns
 * after the system prompt go first (the newest turn always stays), then the system prompt is cut,
 * then the newest turn. Without this a long prompt on a small context fails in llama.cpp's
 * context shift instead of answering.
 */
export function fitHistory(history: ChatHistoryItem[], count: (text: string) => number, budget: number): ChatHistoryItem[] {
  const size = (h: ChatHistoryItem): number => historyTokens([h], count);
  const items = history.map((h) => ({ h, n: size(h) }));
  let total = items.reduce((a, b) => a + b.n, 0);
  if (total <= budget) return history;
  const firstTurn = items[0]?.h.type === 'system' ? 1 : 0;
  while (total > budget && items.length - firstTurn > 1) total -= items.splice(firstTurn, 1)[0]!.n;
  for (const i of firstTurn === 1 ? [0, items.length - 1] : [items.length - 1]) {
    const it = items[i];
    if (total <= budget || !it || it.h.type === 'model') continue;
    const text = itemText(it.h);
    const textTokens = Math.max(1, it.n - 8);
    const keep = Math.max(0, textTokens - (total - budget));
    // Tokens to characters by this text's own ratio, rounded down: the cut errs on the short side.
    const cut = text.slice(0, Math.floor((text.length * keep) / textTokens));
    it.h = { ...it.h, text: cut } as ChatHistoryItem;
    const n = size(it.h);
    total += n - it.n;
    it.n = n;
  }
  return items.map((i) => i.h);
}

/** Tokens of a minimal prompt as the model's chat template writes it, with or without the tools' documentation. */
function promptTokens(chat: LlamaChat, model: LlamaModel, functions: ChatModelFunctions | undefined): number {
  const { contextText } = chat.chatWrapper.generateContextState({
    chatHistory: [{ type: 'system', text: '' }, { type: 'user', text: '' }],
    ...(functions ? { availableFunctions: functions, documentFunctionParams: true } : {}),
  });
  return contextText.tokenize(model.tokenizer).length;
}

/** The history's size in tokens, as fitHistory counts it (each item's text plus its framing). */
export function historyTokens(history: ChatHistoryItem[], count: (text: string) => number): number {
  return history.reduce((n, h) => n + count(itemText(h)) + 8, 0);
}

function itemText(h: ChatHistoryItem): string {
  if (h.type === 'model') {
    return h.response.map((r) => (typeof r === 'string' ? r : r.type === 'segment' ? r.text : JSON.stringify(r.params ?? null) + JSON.stringify(r.result ?? null))).join('');
  }
  return typeof h.text === 'string' ? h.text : JSON.stringify(h.text);
}

/** The tool specs as node-llama-cpp functions (no handlers: the caller runs the tools). */
export function toFunctions(tools: ToolSpec[]): ChatModelFunctions {
  const functions: Record<string, { description?: string; params?: GbnfJsonSchema }> = {};
  for (const t of tools) {
    const params = toGbnfSchema(t.parameters);
    const hasParams = params !== undefined && !('type' in params && params.type === 'object' && Object.keys(params.properties ?? {}).length === 0 && !params.additionalProperties);
    functions[t.name] = { description: t.description, ...(hasParams ? { params } : {}) };
  }
  return functions;
}

const IMMUTABLE = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const STRING_FORMATS = new Set(['date-time', 'time', 'date']);
/** Any JSON value: what a schema node this cannot express becomes. */
const ANY_JSON: GbnfJsonSchema = {
  oneOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'array' }, { type: 'object', additionalProperties: true }],
};

/**
 * A tool's JSON Schema in the subset node-llama-cpp turns into a grammar (types, properties,
 * required, items, enum, const, oneOf/anyOf, lengths and counts); anything else is left out, and
 * a node it cannot express at all allows any JSON value there. Undefined: no parameters.
 */
export function toGbnfSchema(schema: unknown): GbnfJsonSchema | undefined {
  if (!isRecord(schema)) return undefined;
  return convert(schema, 0);
}

function convert(s: Record<string, unknown>, depth: number): GbnfJsonSchema {
  if (depth > 16) return ANY_JSON;
  const description = typeof s['description'] === 'string' ? { description: s['description'] } : {};
  if ('const' in s && isPrimitive(s['const'])) return { const: s['const'], ...description };
  if (Array.isArray(s['enum'])) {
    const values = s['enum'].filter(isPrimitive);
    if (values.length > 0) return { enum: values, ...description };
  }
  const alternatives = Array.isArray(s['oneOf']) ? s['oneOf'] : Array.isArray(s['anyOf']) ? s['anyOf'] : undefined;
  if (alternatives) {
    const each = alternatives.filter(isRecord).map((a) => convert(a, depth + 1));
    if (each.length > 0) return { oneOf: each, ...description };
  }
  const type = s['type'];
  if (Array.isArray(type)) {
    const types = type.filter((t): t is string => typeof t === 'string');
    if (types.length > 0 && types.every((t) => IMMUTABLE.has(t))) return { type: types as ('string' | 'number' | 'integer' | 'boolean' | 'null')[], ...description };
    return { oneOf: types.map((t) => convert({ ...s, type: t }, depth + 1)), ...description };
  }
  if (type === 'string') {
    const format = s['format'];
    if (typeof format === 'string' && STRING_FORMATS.has(format)) return { type: 'string', format: format as 'date-time' | 'time' | 'date', ...description };
    return { type: 'string', ...count(s, 'minLength'), ...count(s, 'maxLength'), ...description };
  }
  if (type === 'number' || type === 'integer' || type === 'boolean' || type === 'null') return { type, ...description };
  if (type === 'array') {
    const items = isRecord(s['items']) ? { items: convert(s['items'], depth + 1) } : {};
    const prefix = Array.isArray(s['prefixItems']) ? { prefixItems: s['prefixItems'].filter(isRecord).map((p) => convert(p, depth + 1)) } : {};
    return { type: 'array', ...items, ...prefix, ...count(s, 'minItems'), ...count(s, 'maxItems'), ...description };
  }
  if (type === 'object' || isRecord(s['properties'])) {
    const props = isRecord(s['properties']) ? s['properties'] : {};
    const properties: Record<string, GbnfJsonSchema> = {};
    for (const [k, v] of Object.entries(props)) properties[k] = isRecord(v) ? convert(v, depth + 1) : ANY_JSON;
    const required = Array.isArray(s['required']) ? s['required'].filter((r): r is string => typeof r === 'string' && r in properties) : undefined;
    const extra = s['additionalProperties'];
    const additional = typeof extra === 'boolean' ? { additionalProperties: extra } : isRecord(extra) ? { additionalProperties: convert(extra, depth + 1) } : {};
    return {
      type: 'object',
      properties,
      ...(required && required.length > 0 ? { required } : {}),
      ...additional,
      ...count(s, 'minProperties'),
      ...count(s, 'maxProperties'),
      ...description,
    };
  }
  return ANY_JSON;
}

function count<K extends string>(s: Record<string, unknown>, key: K): Partial<Record<K, number>> {
  const v = s[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? ({ [key]: v } as Partial<Record<K, number>>) : {};
}

function isPrimitive(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A tool's result as the model sees it: its JSON when it is JSON, else the text. */
function jsonOrText(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

function envThreads(): number | undefined {
  const n = Number(process.env['RAILBOOK_AI_THREADS']);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function messageOf(e: unknown): string {
  if (e === undefined) return 'no answer';
  return e instanceof Error ? e.message : String(e);
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted.', 'AbortError');
}
