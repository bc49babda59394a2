/**
 * Keeps the vector memory embedded with the configured embedding model, in the background: it
 * resumes a build a crash or a restart left, re-embeds everything when the model changes (old
 * vectors answer until the new set is complete: see reembed.ts), and embeds documents added since.
 * One pass at a time per process; across processes the lease in reembed.ts keeps it to one.
 */
import { EventEmitter } from 'node:events';
import type { Embedder } from './embedder.ts';
import type { MemoryConnection } from './memory-db.ts';
import { cancelReembed, runReembed, type ReembedProgress } from './reembed.ts';
import { messageOf } from '../wire.ts';

export type EmbeddingJobState =
  /** Nothing to do, or not started yet. */
  | { state: 'idle' }
  | { state: 'running'; progress: ReembedProgress | undefined }
  /** Stopped by the person: resumable; nothing starts on its own until `resume()`. */
  | { state: 'paused'; progress: ReembedProgress | undefined }
  /** No embedding model is configured: documents are stored and wait. */
  | { state: 'no-model'; message: string }
  /** Another process holds the job; this one tries again later. */
  | { state: 'elsewhere'; message: string }
  | { state: 'failed'; message: string };

export interface EmbeddingJobEvents {
  change: [EmbeddingJobState];
}

/** Which embedder the settings call for now, or why there is none. */
export type EmbedderNow = () => Promise<{ embedder: Embedder } | { embedder: undefined; message: string }>;

const RETRY_ELSEWHERE_MS = 30_000;

export class EmbeddingJob extends EventEmitter<EmbeddingJobEvents> {
  private current: EmbeddingJobState = { state: 'idle' };
  private running: Promise<void> | undefined;
  private again = false;
  private stop: AbortController | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly db: MemoryConnection, private readonly embedderNow: EmbedderNow) {
    super();
  }

  state(): EmbeddingJobState {
    return this.current;
  }

  /** Something changed (start-up, a saved setting, a new document): catch up, unless paused. */
  kick(): void {
    if (this.closed || this.current.state === 'paused') return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Stops the pass now; the build stays resumable (`resume`). */
  async pause(): Promise<void> {
    const progress = this.current.state === 'running' ? this.current.progress : undefined;
    this.again = false;
    this.stop?.abort();
    await this.running;
    this.set({ state: 'paused', progress });
  }

  resume(): void {
    if (this.current.state === 'paused') this.set({ state: 'idle' });
    this.kick();
  }

  /** Drops the set being built (the old vectors stay active) and pauses until `resume`. */
  async cancel(): Promise<void> {
    await this.pause();
    cancelReembed(this.db);
    this.set({ state: 'paused', progress: undefined });
  }

  /** Resolves when no pass is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.stop?.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.pass();
    } while (this.again && !this.closed && this.current.state !== 'paused');
  }

  private async pass(): Promise<void> {
    const now = await this.embedderNow().catch((e: unknown) => ({ embedder: undefined, message: messageOf(e) }));
    if (!now.embedder) {
      this.set({ state: 'no-model', message: now.message });
      return;
    }
    this.stop = new AbortController();
    this.set({ state: 'running', progress: undefined });
    try {
      const result = await runReembed(this.db, now.embedder, {
        signal: this.stop.signal,
        onProgress: (p) => this.set({ state: 'running', progress: p }),
      });
      if (result.status === 'busy') {
        this.set({ state: 'elsewhere', message: `another Railbook process (pid ${result.holder.pid} on ${result.holder.host}) is embedding this memory; this one will check again` });
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.kick(), RETRY_ELSEWHERE_MS);
        this.retry.unref();
      } else if (result.status === 'done') {
        this.set({ state: 'idle' });
      }
      // 'paused': pause() sets the state.
    } catch (e) {
      if (!this.closed) this.set({ state: 'failed', message: messageOf(e) });
    } finally {
      this.stop = undefined;
    }
  }

  private set(s: EmbeddingJobState): void {
    this.current = s;
    this.emit('change', s);
  }
}
