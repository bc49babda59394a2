/**
 * A real, deterministic embedding function for tests: feature hashing of lower-cased words
 * (each word adds ±1 to a dimension chosen by a hash seeded with the model's name), L2-normalised.
 * Texts sharing words point the same way, so retrieval works; two models (different names or
 * dimensions) give recognisably different vectors. It counts what it was asked to embed.
 */
import type { Embedder } from '../../src/ai/memory/embedder.ts';

export interface HashingEmbedder extends Embedder {
  readonly dims: number;
  /** Calls made, and texts embedded, so far. */
  calls: number;
  texts: number;
  /** The vector it gives a text (without counting). */
  vector(text: string): number[];
}

export interface HashingOptions {
  /** Wait this long in each call (to catch a build in the middle). */
  delayMs?: number | undefined;
  /** Called before each call answers; throwing makes the call fail. */
  before?: ((texts: string[]) => void | Promise<void>) | undefined;
}

export function hashingEmbedder(model: string, dims: number, opts: HashingOptions = {}): HashingEmbedder {
  const seed = fnv1a(model, 2166136261);
  const vector = (text: string): number[] => {
    const v = new Array<number>(dims).fill(0);
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
      const h = fnv1a(word, seed);
      v[h % dims]! += (h >>> 31) === 1 ? -1 : 1;
    }
    const norm = Math.hypot(...v);
    // An empty text still needs a direction: a fixed unit vector.
    if (norm === 0) return v.map((_, i) => (i === 0 ? 1 : 0));
    return v.map((x) => x / norm);
  };
  const e: HashingEmbedder = {
    model,
    dims,
    calls: 0,
    texts: 0,
    vector,
    async embed(texts, signal) {
      e.calls++;
      e.texts += texts.length;
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      signal?.throwIfAborted();
      await opts.before?.(texts);
      return texts.map(vector);
    },
  };
  return e;
}

/** Cosine similarity of two vectors. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

function fnv1a(s: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h >>> 0;
}
