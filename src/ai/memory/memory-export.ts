/**
 * `memory export`: the whole memory — notes, every profile's conversations with their turns and
 * summaries, the documents' raw text and (unless told not to) the active set's vectors — as one
 * gzipped JSON-lines file (memory-export-format.ts), so a person can move their assistant to
 * another machine. Its counterpart is memory-import.ts.
 *
 * Streamed: one record at a time is read and written (with the output's backpressure), so the
 * file is never one string in memory; only a single document's text (≤ 20 M characters) is.
 * Consistent: everything is read in one read transaction on a connection of its own (WAL gives it
 * a snapshot), so a chat or a re-embed writing meanwhile does not tear the export.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { CHAT_SCHEMA_PARTS } from '../chat/chat-memory.ts';
import { DOCUMENTS_SCHEMA } from './documents-schema.ts';
import { activeSet } from './embedding-sets.ts';
import { MemoryDb, type MemoryConnection } from './memory-db.ts';
import {
  MEMORY_FORMAT,
  MEMORY_FORMAT_VERSION,
  type ChunkVectorRecord,
  type ConversationRecord,
  type DocumentRecord,
  type EndRecord,
  type HeaderRecord,
  type NoteRecord,
  type TurnRecord,
} from './memory-export-format.ts';
import { MEMORY_TRANSFER_SCHEMA } from './memory-export-schema.ts';
import { vecTable } from './vector-index.ts';

export { MEMORY_FORMAT, MEMORY_FORMAT_VERSION, MemoryFileError } from './memory-export-format.ts';

/** Every part of the memory file: an export or import opens them all. */
export const TRANSFER_SCHEMA_PARTS = [...CHAT_SCHEMA_PARTS, DOCUMENTS_SCHEMA, MEMORY_TRANSFER_SCHEMA];

export interface ExportOptions {
  /** Include the active set's vectors (default true): the target then need not re-embed with the same model. */
  vectors?: boolean | undefined;
  /** Gzip the lines (default true). */
  gzip?: boolean | undefined;
  now?: (() => number) | undefined;
}

export interface ExportCounts {
  notes: number;
  conversations: number;
  turns: number;
  documents: number;
  /** The vectors included: their model, dimensions, and how many chunks. */
  vectors: { model: string; dims: number; chunks: number } | undefined;
}

/** This memory file's id (made on first use): names its conversations wherever they travel. */
export function memoryIdentity(db: MemoryConnection, create: boolean): string | undefined {
  const get = () => (db.prepare('SELECT uuid FROM memory_identity WHERE id = 1').get() as { uuid: string } | undefined)?.uuid;
  const known = get();
  if (known !== undefined || !create) return known;
  db.prepare('INSERT OR IGNORE INTO memory_identity (id, uuid) VALUES (1, ?)').run(randomUUID());
  return get();
}

/** Writes the memory of `dataDir` to `out` (which is ended). */
export async function exportMemory(dataDir: string, out: Writable, opts: ExportOptions = {}): Promise<ExportCounts> {
  const memory = MemoryDb.open(dataDir, TRANSFER_SCHEMA_PARTS);
  const db = memory.db;
  const sink = opts.gzip === false ? undefined : createGzip();
  const target: Writable = sink ?? out;
  const piped = sink ? pipeline(sink, out) : undefined;
  // A failure of the output stops the writing loop below instead of waiting for a drain forever.
  let failed: unknown;
  piped?.catch((e: unknown) => { failed ??= e; });
  const write = async (record: object): Promise<void> => {
    if (failed !== undefined) throw failed;
    if (!target.write(`${JSON.stringify(record)}\n`)) {
      await Promise.race([once(target, 'drain'), piped ?? once(target, 'close')]);
    }
    if (failed !== undefined) throw failed;
  };
  try {
    const uuid = memoryIdentity(db, true)!;
    db.exec('BEGIN');
    try {
      const active = opts.vectors === false ? undefined : activeSet(db);
      const counts: ExportCounts = { notes: 0, conversations: 0, turns: 0, documents: 0, vectors: active && { model: active.model, dims: active.dims, chunks: 0 } };
      const header: HeaderRecord = {
        format: MEMORY_FORMAT,
        version: MEMORY_FORMAT_VERSION,
        exported_at: new Date((opts.now ?? Date.now)()).toISOString(),
        memory: uuid,
        vectors: active ? { model: active.model, dims: active.dims } : null,
      };
      await write(header);

      // Notes are few and small: read at once.
      for (const n of db.prepare('SELECT key, value, source, updated_at FROM notes ORDER BY key').all() as Omit<NoteRecord, 'type'>[]) {
        await write({ type: 'note', ...n } satisfies NoteRecord);
        counts.notes++;
      }

      // One conversation, one document at a time, by id (an open iterator would hold the connection).
      const nextConversation = db.prepare('SELECT id, profile, created_at, summary, summary_upto FROM conversations WHERE id > ? ORDER BY id LIMIT 1');
      for (let after = 0; ;) {
        const c = nextConversation.get(after) as { id: number; profile: string; created_at: number; summary: string; summary_upto: number } | undefined;
        if (!c) break;
        after = c.id;
        const record = conversationRecord(db, uuid, c);
        await write(record);
        counts.conversations++;
        counts.turns += record.turns.length;
      }

      const nextDocument = db.prepare('SELECT id, source, kind, title, text, sha256, added_at FROM documents WHERE id > ? ORDER BY id LIMIT 1');
      for (let after = 0; ;) {
        const d = nextDocument.get(after) as { id: number; source: string; kind: string; title: string; text: string; sha256: string; added_at: number } | undefined;
        if (!d) break;
        after = d.id;
        const record: DocumentRecord = { type: 'document', source: d.source, kind: d.kind, title: d.title, text: d.text, sha256: d.sha256, added_at: d.added_at };
        if (active && counts.vectors) {
          const chunks = documentVectors(db, active.id, active.cursor, d.id);
          if (chunks) {
            record.chunks = chunks;
            counts.vectors.chunks += chunks.length;
          }
        }
        await write(record);
        counts.documents++;
      }
      await write({ type: 'end', notes: counts.notes, conversations: counts.conversations, documents: counts.documents } satisfies EndRecord);
      return counts;
    } finally {
      db.exec('COMMIT');
    }
  } catch (e) {
    target.destroy(e instanceof Error ? e : new Error(String(e)));
    await piped?.catch(() => undefined);
    throw e;
  } finally {
    memory.close();
    if (!target.destroyed) {
      target.end();
      await (piped ?? new Promise<void>((resolve, reject) => {
        if (target.writableFinished) resolve();
        target.once('finish', resolve);
        target.once('error', reject);
      }));
    }
  }
}

function conversationRecord(db: MemoryConnection, uuid: string, c: { id: number; profile: string; created_at: number; summary: string; summary_upto: number }): ConversationRecord {
  // A conversation that came from elsewhere keeps the name it was given there.
  const imported = db.prepare('SELECT origin FROM imported_conversations WHERE conversation_id = ?').get(c.id) as { origin: string } | undefined;
  const current = db.prepare('SELECT 1 FROM conversation_current WHERE conversation_id = ?').get(c.id) !== undefined;
  type Row = { id: number; role: TurnRecord['role']; content: string; status: TurnRecord['status']; error: string | null; place: string | null; model: string | null; citations: string | null; created_at: number };
  const rows = db.prepare('SELECT id, role, content, status, error, place, model, citations, created_at FROM turns WHERE conversation_id = ? ORDER BY id').all(c.id) as Row[];
  let covered = 0;
  const turns = rows.map((r): TurnRecord => {
    if (r.id <= c.summary_upto) covered++;
    const t: TurnRecord = { role: r.role, content: r.content, status: r.status, created_at: r.created_at };
    if (r.error !== null) t.error = r.error;
    if (r.model !== null) t.model = r.model;
    const place = parseJson(r.place);
    if (place !== undefined) t.place = place as NonNullable<TurnRecord['place']>;
    const citations = parseJson(r.citations);
    if (Array.isArray(citations)) t.citations = citations as NonNullable<TurnRecord['citations']>;
    return t;
  });
  return {
    type: 'conversation',
    origin: imported?.origin ?? `${uuid}/${c.id}`,
    profile: c.profile,
    created_at: c.created_at,
    current,
    // The summary's reach as a count of turns: turn ids mean nothing on another machine.
    summary: { text: c.summary, turns: covered },
    turns,
  };
}

/** The document's chunks with their vectors in the set, or undefined unless every chunk has one. */
function documentVectors(db: MemoryConnection, setId: number, cursor: number, documentId: number): ChunkVectorRecord[] | undefined {
  const chunks = db.prepare('SELECT id, seq, start, "end" FROM chunks WHERE document_id = ? ORDER BY seq').all(documentId) as { id: number; seq: number; start: number; end: number }[];
  if (chunks.length === 0 || chunks.some((c) => c.id > cursor)) return undefined;
  const get = db.prepare(`SELECT embedding FROM ${vecTable(setId)} WHERE chunk_id = ?`).pluck();
  const out: ChunkVectorRecord[] = [];
  for (const c of chunks) {
    const blob = get.get(BigInt(c.id)) as Buffer | undefined;
    if (!blob) return undefined;
    out.push({ seq: c.seq, start: c.start, end: c.end, vector: Buffer.from(blob).toString('base64') });
  }
  return out;
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
