/**
 * What memory needs of a model: one vector per text, and the model's name (the name keys the
 * embedding set, so a query is always embedded by the model that embedded the set it searches).
 */
import type { Provider } from '../provider.ts';

export interface Embedder {
  readonly model: string;
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

/** Makes the embedder of a model: retrieval asks for the active set's model, whatever is configured now. */
export type EmbedderFor = (model: string) => Embedder;

export function providerEmbedder(provider: Provider, model: string): Embedder {
  return { model, embed: (texts, signal) => provider.embed(model, texts, signal) };
}

/** A provider's answer checked: one finite vector per text, all of `dims` (or the first one's) length. */
export function checkVectors(model: string, texts: readonly string[], vectors: number[][], dims?: number): number[][] {
  if (!Array.isArray(vectors) || vectors.length !== texts.length) {
    throw new Error(`the embedding model ${model} returned ${Array.isArray(vectors) ? vectors.length : 'no'} vectors for ${texts.length} texts`);
  }
  const want = dims ?? vectors[0]?.length ?? 0;
  for (const v of vectors) {
    if (!Array.isArray(v) || v.length === 0 || v.length !== want) {
      throw new Error(`the embedding model ${model} returned vectors of ${Array.isArray(v) ? v.length : 0} dimensions where ${want} were expected`);
    }
    for (const x of v) if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`the embedding model ${model} returned a vector with a value that is not a finite number`);
  }
  return vectors;
}
