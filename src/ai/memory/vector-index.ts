/**
 * One embedding set's vectors: the vec0 table `vec_set_<id>`, made when the set is made, so its
 * dimension is fixed and no other model's vectors can be in it.
 *
 *   vec_set_<id>(chunk_id INTEGER PRIMARY KEY, coarse bit[B], +embedding blob)
 *
 * `embedding` is the model's float32 vector (an auxiliary column), `coarse` its sign bits.
 * Measured on this machine (bench/retrieval.ts; DECISIONS §52): vec0's brute-force float
 * KNN takes ~100 ms at 100k × 384, far over the 15 ms goal, and its KNN over the bit column
 * costs more the more candidates it returns. So a large set's query is two passes: the sign
 * bits, held in memory (coarse-index.ts), give a few hundred candidates by Hamming distance,
 * and those are re-ranked by exact cosine distance to their float vectors (one vec0 lookup by
 * key each). Small sets (≤ EXACT_SCAN_MAX vectors) are scanned exactly instead: cheap at that
 * size, and exact whatever the model's vectors look like.
 *
 * The sign bits are taken here, in JavaScript, for stored and query vectors alike (padded to a
 * whole byte), so any dimension works, not only multiples of 8.
 */
import { coarseCandidates, type SetVersion } from './coarse-index.ts';
import type { MemoryConnection } from './memory-db.ts';

/** At or below this many vectors a query is an exact scan (~5 µs a vector here: ≤ ~5 ms). */
export const EXACT_SCAN_MAX = 1000;

export interface VectorHit {
  chunkId: number;
  /** Cosine distance (0 = same direction, 2 = opposite). */
  distance: number;
}

export interface VectorSearchOptions {
  /** Candidates the coarse pass hands to the exact re-ranking (default max(20·k, 200)). */
  candidates?: number | undefined;
  /** Skip the coarse pass: an exact scan of every vector. */
  exact?: boolean | undefined;
}

export function vecTable(setId: number): string {
  if (!Number.isSafeInteger(setId) || setId < 1) throw new Error(`bad embedding set id ${setId}`);
  return `vec_set_${setId}`;
}

export function createVectorTable(db: MemoryConnection, setId: number, dims: number): void {
  if (!Number.isInteger(dims) || dims < 1 || dims > 16384) throw new Error(`an embedding of ${dims} dimensions cannot be stored`);
  const bits = Math.ceil(dims / 8) * 8;
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${vecTable(setId)} USING vec0(chunk_id INTEGER PRIMARY KEY, coarse bit[${bits}], +embedding blob)`);
}

export function dropVectorTable(db: MemoryConnection, setId: number): void {
  db.exec(`DROP TABLE IF EXISTS ${vecTable(setId)}`);
}

/** float32 bytes of a vector, as vec0 and vec_distance_cosine read them. */
export function float32Blob(v: readonly number[] | Float32Array): Buffer {
  const f = v instanceof Float32Array ? v : Float32Array.from(v);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
}

/** One bit per dimension, set where the value is positive; the last byte padded with zeros. */
export function signBits(v: readonly number[] | Float32Array): Buffer {
  const out = Buffer.alloc(Math.ceil(v.length / 8));
  for (let i = 0; i < v.length; i++) if (v[i]! > 0) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/** Adds vectors (in the caller's transaction); a chunk already in the set is replaced. */
export function insertVectors(db: MemoryConnection, setId: number, rows: readonly { chunkId: number; vector: readonly number[] | Float32Array }[]): void {
  const table = vecTable(setId);
  const del = db.prepare(`DELETE FROM ${table} WHERE chunk_id = ?`);
  const ins = db.prepare(`INSERT INTO ${table} (chunk_id, coarse, embedding) VALUES (?, vec_bit(?), ?)`);
  for (const r of rows) {
    // vec0 wants an integer key; better-sqlite3 binds plain numbers as floats.
    const id = BigInt(r.chunkId);
    del.run(id);
    ins.run(id, signBits(r.vector), float32Blob(r.vector));
  }
}

export function deleteVectors(db: MemoryConnection, setId: number, chunkIds: readonly number[]): void {
  const del = db.prepare(`DELETE FROM ${vecTable(setId)} WHERE chunk_id = ?`);
  for (const id of chunkIds) del.run(BigInt(id));
}

export function countVectors(db: MemoryConnection, setId: number): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${vecTable(setId)}`).get() as { n: number }).n;
}

/** The set as a search needs it: which, how far embedded, and how many vectors it holds. */
export interface SearchableSet extends SetVersion {
  size: number;
}

/**
 * The k nearest chunks to `query` by cosine distance, nearest first. Call inside a read
 * transaction, so the set's row and its table are seen at the same moment.
 */
export function searchVectors(db: MemoryConnection, set: SearchableSet, query: readonly number[] | Float32Array, k: number, opts: VectorSearchOptions = {}): VectorHit[] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, not ${k}`);
  const table = vecTable(set.id);
  const q = float32Blob(query);
  if (opts.exact || set.size <= EXACT_SCAN_MAX) {
    type Row = { chunk_id: number; distance: number };
    const rows = db.prepare(`SELECT chunk_id, vec_distance_cosine(embedding, ?) AS distance FROM ${table} ORDER BY distance LIMIT ?`).all(q, k) as Row[];
    return rows.map((r) => ({ chunkId: Number(r.chunk_id), distance: r.distance }));
  }
  const candidates = Math.max(k, opts.candidates ?? Math.max(20 * k, 200));
  const rescore = db.prepare(`SELECT vec_distance_cosine(embedding, ?) FROM ${table} WHERE chunk_id = ?`).pluck();
  const hits: VectorHit[] = [];
  for (const id of coarseCandidates(db, table, set, signBits(query), candidates)) {
    const distance = rescore.get(q, BigInt(id)) as number | undefined;
    if (distance !== undefined) hits.push({ chunkId: id, distance });
  }
  hits.sort((a, b) => a.distance - b.distance || a.chunkId - b.chunkId);
  return hits.slice(0, k);
}
