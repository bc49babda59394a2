/**
 * Re-embedding: every chunk embedded again by another model, into a new `building` set, in the
 * background; retrieval keeps using the active set until the new one holds every chunk
 * (including documents added meanwhile), then the two switch in one transaction.
 *
 * - Progress: `onProgress` after each batch (done/total chunks).
 * - Stop (the AbortSignal, Ctrl-C, a crash, kill -9): the set stays `building` with everything
 *   committed so far; the next run (any process) continues from its cursor and redoes nothing
 *   committed. `cancelReembed` gives the set up for good (`cancelled`, vectors dropped).
 * - A new model while another is building: the older build is cancelled (the newest choice wins).
 * - Dimensions: learnt from the model's first answer; the new set gets its own vec0 table.
 * - One job per memory file: the lease (embed-lease.ts); a second starter gets `busy`.
 */
import { randomUUID } from 'node:crypto';
import { claimLease, DEFAULT_LEASE_MS, releaseLease, renewLease, type LeaseHolder } from './embed-lease.ts';
import { checkVectors, type Embedder } from './embedder.ts';
import { activate, activeSet, buildingSet, cancelSet, createSet, pendingChunks, refreshCounts, storeBatch, type EmbeddingSet } from './embedding-sets.ts';
import type { MemoryConnection } from './memory-db.ts';

export interface ReembedProgress {
  setId: number;
  model: string;
  done: number;
  total: number;
}

export interface ReembedOptions {
  /** Chunks per request to the model (default 32). */
  batchSize?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: ReembedProgress) => void) | undefined;
  leaseMs?: number | undefined;
}

export type ReembedResult =
  /** The set is complete and active; `embedded` chunks were embedded by this run. */
  | { status: 'done'; set: EmbeddingSet; embedded: number; switched: boolean }
  /** Stopped by the signal: the set stays `building`, and a later run continues it. */
  | { status: 'paused'; set: EmbeddingSet | undefined; embedded: number }
  /** Another job holds the memory file. */
  | { status: 'busy'; holder: LeaseHolder };

export const DEFAULT_BATCH_SIZE = 32;

/** Text embedded only to learn a model's dimension when there are no chunks yet. */
const PROBE = 'dimension probe';

/**
 * Brings the memory to `embedder.model`: continues a build of that model, or starts one (when
 * the active set is another model's, or there is none), or — when the active set already is that
 * model's — embeds the chunks it lacks. Resolves when done or stopped; throws the model's errors
 * (the set then stays building, resumable).
 */
export async function runReembed(db: MemoryConnection, embedder: Embedder, opts: ReembedOptions = {}): Promise<ReembedResult> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const owner = randomUUID();
  const claim = claimLease(db, owner, leaseMs);
  if (!claim.ok) return { status: 'busy', holder: claim.holder };
  // Kept alive while a slow model answers a batch.
  const keepAlive = setInterval(() => renewLease(db, owner, leaseMs), Math.max(1000, leaseMs / 3));
  keepAlive.unref();
  let embedded = 0;
  let set: EmbeddingSet | undefined;
  try {
    const active = activeSet(db);
    set = buildingSet(db);
    if (set && set.model !== embedder.model) {
      cancelSet(db, set.id);
      set = undefined;
    }
    if (!set && active?.model === embedder.model) set = active;
    if (!set) {
      // The first batch is embedded before the set exists: its answer gives the dimension.
      const first = pendingChunks(db, { cursor: 0 } as EmbeddingSet, batchSize);
      const texts = first.length ? first.map((c) => c.text) : [PROBE];
      let vectors: number[][];
      try {
        vectors = checkVectors(embedder.model, texts, await embedder.embed(texts, opts.signal));
      } catch (e) {
        if (opts.signal?.aborted) return { status: 'paused', set: undefined, embedded };
        throw e;
      }
      if (opts.signal?.aborted) return { status: 'paused', set: undefined, embedded };
      set = createSet(db, embedder.model, vectors[0]!.length);
      if (first.length) {
        set = storeBatch(db, set.id, first.map((c, i) => ({ chunkId: c.id, vector: vectors[i]! }))) ?? set;
        embedded += first.length;
      }
    } else {
      set = refreshCounts(db, set.id) ?? set;
    }
    opts.onProgress?.({ setId: set.id, model: set.model, done: set.done, total: set.total });

    for (;;) {
      if (opts.signal?.aborted) return { status: 'paused', set, embedded };
      const batch = pendingChunks(db, set, batchSize);
      if (batch.length === 0) {
        if (set.state === 'active') return { status: 'done', set, embedded, switched: false };
        if (activate(db, set.id)) return { status: 'done', set: refreshCounts(db, set.id) ?? set, embedded, switched: true };
        continue;
      }
      const texts = batch.map((c) => c.text);
      let vectors: number[][];
      try {
        vectors = checkVectors(embedder.model, texts, await embedder.embed(texts, opts.signal), set.dims);
      } catch (e) {
        if (opts.signal?.aborted) return { status: 'paused', set, embedded };
        throw e;
      }
      if (!renewLease(db, owner, leaseMs)) throw new Error('the re-embed lost its lease on the memory file (another job took over)');
      const next = storeBatch(db, set.id, batch.map((c, i) => ({ chunkId: c.id, vector: vectors[i]! })));
      if (!next) return { status: 'paused', set: undefined, embedded };
      set = next;
      embedded += batch.length;
      opts.onProgress?.({ setId: set.id, model: set.model, done: set.done, total: set.total });
    }
  } finally {
    clearInterval(keepAlive);
    releaseLease(db, owner);
  }
}

/**
 * Embeds the chunks the active set lacks (documents added since), with its own model, so they
 * are searchable now; nothing when there is no active set or `embedder` is another model's.
 * Returns how many chunks were embedded. Safe beside a running re-embed: it touches only the
 * active set, and a batch another writer stored first is skipped.
 */
export async function embedPending(db: MemoryConnection, embedder: Embedder, opts: { batchSize?: number | undefined; signal?: AbortSignal | undefined } = {}): Promise<number> {
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  let embedded = 0;
  for (;;) {
    const set = activeSet(db);
    if (!set || set.model !== embedder.model) return embedded;
    const batch = pendingChunks(db, set, batchSize);
    if (batch.length === 0) return embedded;
    const texts = batch.map((c) => c.text);
    const vectors = checkVectors(embedder.model, texts, await embedder.embed(texts, opts.signal), set.dims);
    if (!storeBatch(db, set.id, batch.map((c, i) => ({ chunkId: c.id, vector: vectors[i]! })))) return embedded;
    embedded += batch.length;
  }
}

/** Gives up the building set, if any: `cancelled`, its vectors dropped. Returns it. */
export function cancelReembed(db: MemoryConnection): EmbeddingSet | undefined {
  const set = buildingSet(db);
  if (set) cancelSet(db, set.id);
  return set;
}
