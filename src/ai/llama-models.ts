/**
 * node-llama-cpp's side of the embedded provider: one Llama per process (starting it costs about a
 * second), one loaded model per GGUF file shared by every provider on it, and the context
 * sequences its chats borrow from a small pool. llama.ts builds the Provider on top.
 */
import path from 'node:path';
import type { Llama, LlamaContextSequence, LlamaEmbeddingContext, LlamaModel } from 'node-llama-cpp';
import { ProviderError } from './provider.ts';
import { messageOf } from './wire.ts';

/** The context made when the model's own is larger: prompt and answer, within memory. */
const MAX_DEFAULT_CONTEXT = 4096;

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

export interface LoadSettings {
  threads: number;
  contextSize: number | undefined;
  parallel: number;
}

const models = new Map<string, Promise<LoadedModel>>();

export function loadShared(file: string, info: { size: number; mtimeMs: number }, settings: LoadSettings): Promise<LoadedModel> {
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

export interface Lease {
  sequence: LlamaContextSequence;
  /** Back to the pool; `reusable` false disposes its context instead (after an error). */
  release(reusable: boolean): void;
}

/** A loaded model with its pool of chat sequences and one embedding context. */
export class LoadedModel {
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


function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted.', 'AbortError');
}
