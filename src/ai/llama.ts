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
 * - Contexts run on half the CPUs unless told otherwise (option `threads`, or the environment
 *   variable RAILBOOK_AI_THREADS): on a 2-core machine shared with other work, llama.cpp's default
 *   of every core was measured twenty times slower than one thread.
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
import type { ChatHistoryItem, ChatModelFunctions, LlamaChat, LlamaChatResponse, LlamaModel } from 'node-llama-cpp';
import { formatBytes } from '../widgets/format.ts';
import { AI_ENV } from './ai-settings.ts';
import { toFunctions } from './llama-functions.ts';
import { fitHistory, historyTokens, promptTokens, toHistory } from './llama-history.ts';
import { loadShared, LoadedModel } from './llama-models.ts';
import {
  ProviderError,
  type ChatChunk,
  type ChatRequest,
  type Health,
  type ModelInfo,
  type Provider,
  type ToolCall,
} from './provider.ts';
import { isRecord, messageOf } from './wire.ts';

export { sharedLlama, unloadLlamaModels } from './llama-models.ts';
export { fitHistory, historyTokens, toHistory } from './llama-history.ts';
export { toFunctions, toGbnfSchema } from './llama-functions.ts';

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

function envThreads(): number | undefined {
  const n = Number(process.env['RAILBOOK_AI_THREADS']);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
