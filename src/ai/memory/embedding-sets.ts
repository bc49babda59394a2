/**
 * Embedding sets: all the chunks' vectors by one model, in one vec0 table (vector-index.ts). At
 * most one set is `active` (what retrieval uses) and one `building` (a re-embed under way).
 *
 * A set's `cursor` is the highest chunk id it has embedded, and every chunk up to it is in the
 * set: chunks are embedded in id order and ids only grow (AUTOINCREMENT, and SQLite commits
 * writers one at a time), so "what is missing" is `chunks.id > cursor` — which is what makes a
 * build resumable after a crash without redoing anything committed.
 */
import type { MemoryConnection } from './memory-db.ts';
import { createVectorTable, deleteVectors, dropVectorTable, insertVectors } from './vector-index.ts';

export type SetState = 'building' | 'active' | 'retired' | 'cancelled';

export interface EmbeddingSet {
  id: number;
  model: string;
  dims: number;
  state: SetState;
  cursor: number;
  /** Bumped whenever vectors are removed from the set (in-memory copies of it are then stale). */
  generation: number;
  /** Chunks embedded, and chunks in all, when the set last moved. */
  done: number;
  total: number;
  createdAt: number;
  activatedAt: number | null;
  endedAt: number | null;
}

export interface PendingChunk {
  id: number;
  text: string;
}

type Row = { id: number; model: string; dims: number; state: SetState; cursor: number; generation: number; done: number; total: number; created_at: number; activated_at: number | null; ended_at: number | null };

function fromRow(r: Row): EmbeddingSet {
  return { id: r.id, model: r.model, dims: r.dims, state: r.state, cursor: r.cursor, generation: r.generation, done: r.done, total: r.total, createdAt: r.created_at, activatedAt: r.activated_at, endedAt: r.ended_at };
}

export function getSet(db: MemoryConnection, id: number): EmbeddingSet | undefined {
  const r = db.prepare('SELECT * FROM embedding_sets WHERE id = ?').get(id) as Row | undefined;
  return r && fromRow(r);
}

function setIn(db: MemoryConnection, state: 'active' | 'building'): EmbeddingSet | undefined {
  const r = db.prepare('SELECT * FROM embedding_sets WHERE state = ?').get(state) as Row | undefined;
  return r && fromRow(r);
}

export const activeSet = (db: MemoryConnection) => setIn(db, 'active');
export const buildingSet = (db: MemoryConnection) => setIn(db, 'building');

export function listSets(db: MemoryConnection): EmbeddingSet[] {
  return (db.prepare('SELECT * FROM embedding_sets ORDER BY id').all() as Row[]).map(fromRow);
}

/** A new `building` set and its vec0 table, in one transaction (fails if one is building already). */
export function createSet(db: MemoryConnection, model: string, dims: number, now = Date.now()): EmbeddingSet {
  const tx = db.transaction(() => {
    const total = chunkCount(db);
    const id = Number(db.prepare(`INSERT INTO embedding_sets (model, dims, state, total, created_at) VALUES (?, ?, 'building', ?, ?)`).run(model, dims, total, now).lastInsertRowid);
    createVectorTable(db, id, dims);
    return getSet(db, id)!;
  });
  return tx.immediate();
}

export function chunkCount(db: MemoryConnection): number {
  return (db.prepare('SELECT count(*) AS n FROM chunks').get() as { n: number }).n;
}

/** The next chunks the set lacks, in id order. */
export function pendingChunks(db: MemoryConnection, set: EmbeddingSet, limit: number): PendingChunk[] {
  return db.prepare('SELECT id, text FROM chunks WHERE id > ? ORDER BY id LIMIT ?').all(set.cursor, limit) as PendingChunk[];
}

/**
 * Stores a batch of vectors (for chunks in id order, as pendingChunks gave them) and moves the
 * cursor past it, in one transaction. Chunks another writer stored meanwhile, or that were
 * deleted meanwhile, are skipped. Returns the set as it now is, or undefined when it is no longer
 * live (cancelled, retired).
 */
export function storeBatch(db: MemoryConnection, setId: number, rows: readonly { chunkId: number; vector: readonly number[] }[]): EmbeddingSet | undefined {
  const tx = db.transaction(() => {
    const set = getSet(db, setId);
    if (!set || (set.state !== 'building' && set.state !== 'active')) return undefined;
    const exists = db.prepare('SELECT 1 FROM chunks WHERE id = ?');
    const fresh = rows.filter((r) => r.chunkId > set.cursor && exists.get(r.chunkId) !== undefined);
    for (const r of fresh) {
      if (r.vector.length !== set.dims) throw new Error(`the embedding model ${set.model} returned ${r.vector.length} dimensions; this set has ${set.dims}`);
    }
    insertVectors(db, setId, fresh);
    const cursor = Math.max(set.cursor, ...rows.map((r) => r.chunkId));
    const done = (db.prepare('SELECT count(*) AS n FROM chunks WHERE id <= ?').get(cursor) as { n: number }).n;
    db.prepare('UPDATE embedding_sets SET cursor = ?, done = ?, total = ? WHERE id = ?').run(cursor, done, chunkCount(db), setId);
    return getSet(db, setId);
  });
  return tx.immediate();
}

/** Counts brought up to date (documents added or removed since the set last moved). */
export function refreshCounts(db: MemoryConnection, setId: number): EmbeddingSet | undefined {
  const tx = db.transaction(() => {
    const set = getSet(db, setId);
    if (!set) return undefined;
    const done = (db.prepare('SELECT count(*) AS n FROM chunks WHERE id <= ?').get(set.cursor) as { n: number }).n;
    db.prepare('UPDATE embedding_sets SET done = ?, total = ? WHERE id = ?').run(done, chunkCount(db), setId);
    return getSet(db, setId);
  });
  return tx.immediate();
}

/**
 * The switch: if the building set holds every chunk, it becomes active and the active one
 * retired, in one transaction — a query sees the old set or the new, never both. The retired
 * set's vectors are dropped (the documents remain; going back to that model re-embeds them).
 * False when chunks arrived since the last batch (the builder embeds them, then tries again).
 */
export function activate(db: MemoryConnection, setId: number, now = Date.now()): boolean {
  const tx = db.transaction(() => {
    const set = getSet(db, setId);
    if (!set || set.state !== 'building') throw new Error(`embedding set ${setId} is not building (it is ${set?.state ?? 'gone'})`);
    if (db.prepare('SELECT 1 FROM chunks WHERE id > ? LIMIT 1').get(set.cursor) !== undefined) return false;
    const old = activeSet(db);
    if (old) {
      db.prepare(`UPDATE embedding_sets SET state = 'retired', ended_at = ? WHERE id = ?`).run(now, old.id);
      dropVectorTable(db, old.id);
    }
    db.prepare(`UPDATE embedding_sets SET state = 'active', activated_at = ? WHERE id = ?`).run(now, setId);
    return true;
  });
  return tx.immediate();
}

/** Gives up a building set for good: `cancelled`, its vectors dropped. */
export function cancelSet(db: MemoryConnection, setId: number, now = Date.now()): void {
  const tx = db.transaction(() => {
    const set = getSet(db, setId);
    if (!set || set.state !== 'building') return;
    db.prepare(`UPDATE embedding_sets SET state = 'cancelled', ended_at = ? WHERE id = ?`).run(now, setId);
    dropVectorTable(db, setId);
  });
  tx.immediate();
}

/** Removes chunks' vectors from every live set (call inside the transaction that deletes them). */
export function removeChunkVectors(db: MemoryConnection, chunkIds: readonly number[]): void {
  if (chunkIds.length === 0) return;
  const live = db.prepare(`SELECT id FROM embedding_sets WHERE state IN ('active', 'building')`).all() as { id: number }[];
  for (const s of live) deleteVectors(db, s.id, chunkIds);
  db.prepare(`UPDATE embedding_sets SET generation = generation + 1 WHERE state IN ('active', 'building')`).run();
}
