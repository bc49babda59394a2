/**
 * Documents as raw text, kept forever (the source of truth: every embedding is made again from
 * them when the model changes), and their chunks. A source (a file's path, a URL,
 * `run:<key>/<step>`, `text:…`) names one document: adding it again with new text replaces its
 * chunks (and their vectors in every live set); with the same text it changes nothing.
 */
import { createHash } from 'node:crypto';
import { chunkText, type ChunkOptions } from './chunking.ts';
import { removeChunkVectors } from './embedding-sets.ts';
import type { MemoryConnection } from './memory-db.ts';

export interface DocumentInput {
  /** Unique name of where it came from: an absolute path, a URL, `run:<key>/<step>`, `text:…`. */
  source: string;
  /** What it is, for people and filters: `markdown`, `html`, `notebook`, `run-output`, … */
  kind: string;
  title: string;
  text: string;
}

export type AddStatus = 'added' | 'replaced' | 'unchanged';

export interface AddResult {
  documentId: number;
  status: AddStatus;
  chunks: number;
}

export interface DocumentRow {
  id: number;
  source: string;
  kind: string;
  title: string;
  sha256: string;
  addedAt: number;
  chars: number;
  chunks: number;
  /** The highest chunk id (0 without chunks): a set whose cursor reaches it holds the whole document. */
  lastChunkId: number;
}

/** The largest document kept (characters); sources read files and pages under their own limits. */
export const DOCUMENT_MAX_CHARS = 20_000_000;

export class DocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocumentError';
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function addDocument(db: MemoryConnection, input: DocumentInput, chunking: ChunkOptions = {}, now = Date.now()): AddResult {
  const source = input.source.trim();
  if (source === '') throw new DocumentError('A document needs a source (where it came from).');
  if (input.text.trim() === '') throw new DocumentError(`${source}: there is no text in it to remember.`);
  if (input.text.length > DOCUMENT_MAX_CHARS) throw new DocumentError(`${source}: ${input.text.length} characters is more than the ${DOCUMENT_MAX_CHARS} a document may have.`);
  const hash = sha256(input.text);
  // Chunked before the write lock is taken: the lock is held only for the writes.
  const chunks = chunkText(input.text, chunking);
  const write = db.transaction((): AddResult => {
    const old = db.prepare('SELECT id, sha256 FROM documents WHERE source = ?').get(source) as { id: number; sha256: string } | undefined;
    if (old && old.sha256 === hash) {
      const n = (db.prepare('SELECT count(*) AS n FROM chunks WHERE document_id = ?').get(old.id) as { n: number }).n;
      return { documentId: old.id, status: 'unchanged', chunks: n };
    }
    let id: number;
    if (old) {
      const ids = (db.prepare('SELECT id FROM chunks WHERE document_id = ?').all(old.id) as { id: number }[]).map((r) => r.id);
      removeChunkVectors(db, ids);
      db.prepare('DELETE FROM chunks WHERE document_id = ?').run(old.id);
      db.prepare('UPDATE documents SET kind = ?, title = ?, text = ?, sha256 = ?, added_at = ? WHERE id = ?').run(input.kind, input.title, input.text, hash, now, old.id);
      id = old.id;
    } else {
      id = Number(db.prepare('INSERT INTO documents (source, kind, title, text, sha256, added_at) VALUES (?, ?, ?, ?, ?, ?)').run(source, input.kind, input.title, input.text, hash, now).lastInsertRowid);
    }
    const ins = db.prepare('INSERT INTO chunks (document_id, seq, start, "end", text) VALUES (?, ?, ?, ?, ?)');
    for (const c of chunks) ins.run(id, c.seq, c.start, c.end, c.text);
    return { documentId: id, status: old ? 'replaced' : 'added', chunks: chunks.length };
  });
  return write.immediate();
}

/** Forgets a document, its chunks and their vectors. False when there was none. */
export function removeDocument(db: MemoryConnection, source: string): boolean {
  const tx = db.transaction(() => {
    const doc = db.prepare('SELECT id FROM documents WHERE source = ?').get(source) as { id: number } | undefined;
    if (!doc) return false;
    removeChunkVectors(db, (db.prepare('SELECT id FROM chunks WHERE document_id = ?').all(doc.id) as { id: number }[]).map((r) => r.id));
    db.prepare('DELETE FROM chunks WHERE document_id = ?').run(doc.id);
    db.prepare('DELETE FROM documents WHERE id = ?').run(doc.id);
    return true;
  });
  return tx.immediate();
}

export function listDocuments(db: MemoryConnection): DocumentRow[] {
  type Row = { id: number; source: string; kind: string; title: string; sha256: string; added_at: number; chars: number; chunks: number; last_chunk: number | null };
  const rows = db
    .prepare(
      `SELECT d.id, d.source, d.kind, d.title, d.sha256, d.added_at, length(d.text) AS chars,
              count(c.id) AS chunks, max(c.id) AS last_chunk
         FROM documents d LEFT JOIN chunks c ON c.document_id = d.id
        GROUP BY d.id ORDER BY d.added_at, d.id`,
    )
    .all() as Row[];
  return rows.map((r) => ({ id: r.id, source: r.source, kind: r.kind, title: r.title, sha256: r.sha256, addedAt: r.added_at, chars: r.chars, chunks: r.chunks, lastChunkId: r.last_chunk ?? 0 }));
}

export function getDocumentText(db: MemoryConnection, source: string): string | undefined {
  return (db.prepare('SELECT text FROM documents WHERE source = ?').get(source) as { text: string } | undefined)?.text;
}
