/**
 * `memory import`: merges an export (memory-export-format.ts) into this memory, in ONE
 * transaction — a file that is malformed, truncated, of another format or of a newer version
 * changes nothing (the error names the line and what is wrong).
 *
 * - Notes: the newer `updated_at` wins; a tie keeps the note here.
 * - Conversations: added as new ones, remembered by their origin (`<memory id>/<id>`), so
 *   importing the same file again adds nothing; a known conversation gets only the turns it
 *   lacks. A profile without a current conversation continues the one that was current there.
 * - Documents by source: the same text is left alone, another text replaces it (as `memory add`).
 * - Vectors: stored only into a set of the same model and dimensions (the active one, or a new
 *   set when there is none), mapped by the chunk's position in the text (chunk ids are local),
 *   and only where they keep the set's cursor whole (embedding-sets.ts); every other chunk waits
 *   for the embedding job / `memory reembed`, like any document added.
 *
 * Streamed: the file is read a line at a time (gunzipped on the fly when it is gzipped). The
 * transaction holds the memory's write lock until the end: other writers wait (busy_timeout).
 */
import { pipeline, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { addDocument, DocumentError, sha256 } from './documents.ts';
import { activate, activeSet, buildingSet, createSet, getSet, storeBatch } from './embedding-sets.ts';
import { MemoryDb, type MemoryConnection } from './memory-db.ts';
import { memoryIdentity, TRANSFER_SCHEMA_PARTS } from './memory-export.ts';
import {
  MemoryFileError,
  parseHeader,
  parseRecord,
  type ConversationRecord,
  type DocumentRecord,
  type HeaderRecord,
  type NoteRecord,
} from './memory-export-format.ts';
import { normaliseKey, NOTE_VALUE_MAX, NoteError } from './notes.ts';

export interface ImportReport {
  notes: { added: number; replaced: number; kept: number };
  /** `merged`: known already, given the turns it lacked; `unchanged`: known, nothing new. */
  conversations: { added: number; merged: number; unchanged: number; turns: number };
  documents: { added: number; replaced: number; unchanged: number };
  /** The file's vectors: how many chunks were stored, and why the rest were not. */
  vectors: { model: string; dims: number; stored: number; skipped: number; why?: string | undefined } | undefined;
  /** Chunks the active set lacks after the import (the embedding job or `memory reembed` embeds them). */
  waiting: number;
}

/** Imports `input` (a file's bytes, gzipped or not) into the memory of `dataDir`. */
export async function importMemory(dataDir: string, input: AsyncIterable<Buffer | string>): Promise<ImportReport> {
  const lines = readLines(input);
  const first = await lines.next();
  if (first.done) throw new MemoryFileError('is empty');
  const header = parseHeader(first.value);
  const memory = MemoryDb.open(dataDir, TRANSFER_SCHEMA_PARTS);
  const db = memory.db;
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      const merge = new Merge(db, header);
      let n = 1;
      let end: { notes: number; conversations: number; documents: number } | undefined;
      for await (const line of lines) {
        n++;
        if (line.trim() === '') continue;
        if (end) throw new MemoryFileError(`line ${n}: there is more after the end record`);
        const record = parseRecord(line, n, header);
        if (record.type === 'end') end = record;
        else merge.apply(record, n);
      }
      if (!end) throw new MemoryFileError(`is truncated: it stops after line ${n}, before its end record`);
      const seen = merge.seen;
      for (const k of ['notes', 'conversations', 'documents'] as const) {
        if (end[k] !== seen[k]) throw new MemoryFileError(`is damaged: its end record counts ${end[k]} ${k}, but it holds ${seen[k]}`);
      }
      const report = merge.finish();
      db.exec('COMMIT');
      return report;
    } catch (e) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw e;
    }
  } finally {
    memory.close();
    // Stop reading a file given up half-way.
    await lines.return(undefined);
  }
}

class Merge {
  readonly seen = { notes: 0, conversations: 0, documents: 0 };
  private readonly report: ImportReport;
  private readonly self: string | undefined;
  /** Where the file's vectors go: a set id, or why not (decided at the first document that has some). */
  private target: { setId: number; created: boolean } | { why: string } | undefined;
  /** A set this import made (activated at the end if it then holds every chunk). */
  private created: number | undefined;

  constructor(private readonly db: MemoryConnection, private readonly header: HeaderRecord) {
    this.self = memoryIdentity(db, false);
    this.report = {
      notes: { added: 0, replaced: 0, kept: 0 },
      conversations: { added: 0, merged: 0, unchanged: 0, turns: 0 },
      documents: { added: 0, replaced: 0, unchanged: 0 },
      vectors: header.vectors ? { ...header.vectors, stored: 0, skipped: 0 } : undefined,
      waiting: 0,
    };
  }

  apply(record: NoteRecord | ConversationRecord | DocumentRecord, n: number): void {
    if (record.type === 'note') this.note(record, n);
    else if (record.type === 'conversation') this.conversation(record);
    else this.document(record, n);
  }

  finish(): ImportReport {
    const t = this.target;
    if (this.created !== undefined) activate(this.db, this.created);
    const active = activeSet(this.db);
    this.report.waiting = (this.db.prepare('SELECT count(*) AS n FROM chunks WHERE id > ?').get(active?.cursor ?? 0) as { n: number }).n;
    if (this.report.vectors && t && 'why' in t) this.report.vectors.why = t.why;
    return this.report;
  }

  private note(r: NoteRecord, n: number): void {
    this.seen.notes++;
    let key: string;
    try {
      key = normaliseKey(r.key);
    } catch (e) {
      if (e instanceof NoteError) throw new MemoryFileError(`line ${n}: ${e.message}`);
      throw e;
    }
    const value = r.value.trim();
    if (value === '' || value.length > NOTE_VALUE_MAX) throw new MemoryFileError(`line ${n}: the note "${key}" has an empty value or one longer than ${NOTE_VALUE_MAX} characters`);
    const here = this.db.prepare('SELECT updated_at FROM notes WHERE key = ?').get(key) as { updated_at: number } | undefined;
    if (here && here.updated_at >= r.updated_at) {
      this.report.notes.kept++;
      return;
    }
    this.db
      .prepare('INSERT INTO notes (key, value, source, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, source = excluded.source, updated_at = excluded.updated_at')
      .run(key, value, r.source, r.updated_at);
    if (here) this.report.notes.replaced++;
    else this.report.notes.added++;
  }

  private conversation(r: ConversationRecord): void {
    this.seen.conversations++;
    const db = this.db;
    const known = this.localConversation(r.origin);
    if (known !== undefined) {
      // Known already: only the turns it lacks (the same role, time and text is the same turn).
      const has = db.prepare('SELECT 1 FROM turns WHERE conversation_id = ? AND created_at = ? AND role = ? AND content = ? LIMIT 1');
      const missing = r.turns.filter((t) => has.get(known, t.created_at, t.role, t.content) === undefined);
      for (const t of missing) this.insertTurn(known, t);
      this.report.conversations.turns += missing.length;
      if (missing.length) this.report.conversations.merged++;
      else this.report.conversations.unchanged++;
      return;
    }
    const id = Number(db.prepare('INSERT INTO conversations (profile, created_at) VALUES (?, ?)').run(r.profile, r.created_at).lastInsertRowid);
    db.prepare('INSERT INTO imported_conversations (origin, conversation_id) VALUES (?, ?)').run(r.origin, id);
    const ids = r.turns.map((t) => this.insertTurn(id, t));
    if (r.summary.turns > 0) db.prepare('UPDATE conversations SET summary = ?, summary_upto = ? WHERE id = ?').run(r.summary.text, ids[r.summary.turns - 1], id);
    if (r.current) db.prepare('INSERT INTO conversation_current (profile, conversation_id) VALUES (?, ?) ON CONFLICT (profile) DO NOTHING').run(r.profile, id);
    this.report.conversations.added++;
    this.report.conversations.turns += ids.length;
  }

  /** The local conversation an origin names: one imported before, or one of this memory's own. */
  private localConversation(origin: string): number | undefined {
    const imported = this.db.prepare('SELECT conversation_id FROM imported_conversations WHERE origin = ?').get(origin) as { conversation_id: number } | undefined;
    if (imported) return imported.conversation_id;
    if (this.self !== undefined && origin.startsWith(`${this.self}/`)) {
      const id = Number(origin.slice(this.self.length + 1));
      if (Number.isSafeInteger(id) && this.db.prepare('SELECT 1 FROM conversations WHERE id = ?').get(id) !== undefined) return id;
    }
    return undefined;
  }

  private insertTurn(conversationId: number, t: ConversationRecord['turns'][number]): number {
    return Number(
      this.db
        .prepare('INSERT INTO turns (conversation_id, role, content, status, error, place, model, citations, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(
          conversationId,
          t.role,
          t.content,
          t.status,
          t.error ?? null,
          t.place === undefined ? null : JSON.stringify(t.place),
          t.model ?? null,
          t.citations === undefined || t.citations.length === 0 ? null : JSON.stringify(t.citations),
          t.created_at,
        ).lastInsertRowid,
    );
  }

  private document(r: DocumentRecord, n: number): void {
    this.seen.documents++;
    if (sha256(r.text) !== r.sha256) throw new MemoryFileError(`line ${n}: the text of ${r.source} does not match its sha256: the file is damaged`);
    let added;
    try {
      added = addDocument(this.db, { source: r.source, kind: r.kind, title: r.title, text: r.text }, {}, r.added_at);
    } catch (e) {
      if (e instanceof DocumentError) throw new MemoryFileError(`line ${n}: ${e.message}`);
      throw e;
    }
    this.report.documents[added.status]++;
    if (!r.chunks || added.status === 'unchanged' || !this.report.vectors) return;
    if (!this.storeVectors(added.documentId, r.chunks)) this.report.vectors.skipped += r.chunks.length;
    else this.report.vectors.stored += r.chunks.length;
  }

  /**
   * Stores the document's vectors if they are the set's next chunks (nothing before them is
   * missing) and match this machine's chunks one for one; false otherwise.
   */
  private storeVectors(documentId: number, given: NonNullable<DocumentRecord['chunks']>): boolean {
    const db = this.db;
    const vectors = this.header.vectors!;
    const target = this.vectorTarget();
    if ('why' in target && target.why !== '') return false;
    const cursor = 'setId' in target ? getSet(db, target.setId)!.cursor : 0;
    const pending = db.prepare('SELECT id, document_id, seq, start, "end" FROM chunks WHERE id > ? ORDER BY id').all(cursor) as { id: number; document_id: number; seq: number; start: number; end: number }[];
    if (pending.length !== given.length || pending.some((c) => c.document_id !== documentId)) {
      this.noteWhy('some documents here are not embedded yet: the imported vectors cannot join the set after them');
      return false;
    }
    const bySeq = new Map(given.map((c) => [c.seq, c]));
    const rows: { chunkId: number; vector: number[] }[] = [];
    for (const c of pending) {
      const g = bySeq.get(c.seq);
      if (!g || g.start !== c.start || g.end !== c.end) {
        this.noteWhy('the documents are cut into chunks differently here');
        return false;
      }
      const bytes = Buffer.from(g.vector, 'base64');
      const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      const vector = Array.from(floats);
      if (!vector.every(Number.isFinite)) throw new MemoryFileError(`the vector of chunk ${g.seq} of a document has a value that is not a finite number`);
      rows.push({ chunkId: c.id, vector });
    }
    let setId: number;
    if ('setId' in target) setId = target.setId;
    else {
      setId = createSet(db, vectors.model, vectors.dims).id;
      this.target = { setId, created: true };
      this.created = setId;
    }
    storeBatch(db, setId, rows);
    return true;
  }

  /** Where vectors can go: the live set of the same model and dimensions; '' = a new set may be made. */
  private vectorTarget(): { setId: number; created: boolean } | { why: string } {
    if (this.target) return this.target;
    const { model, dims } = this.header.vectors!;
    const active = activeSet(this.db);
    const building = buildingSet(this.db);
    const same = (s: { model: string; dims: number }) => s.model === model && s.dims === dims;
    if (active) {
      this.target = same(active) ? { setId: active.id, created: false } : { why: `the memory here is embedded by ${active.model} (${active.dims} dimensions), not ${model} (${dims})` };
    } else if (building) {
      this.target = same(building) ? { setId: building.id, created: false } : { why: `a re-embed with ${building.model} is under way here` };
    } else {
      return { why: '' };
    }
    return this.target;
  }

  /** The set cannot take more of the file's vectors: a chunk before them stays missing until embedded. */
  private noteWhy(why: string): void {
    if (this.report.vectors && this.report.vectors.why === undefined) this.report.vectors.why = why;
    this.target = { why };
  }
}

/**
 * The file's lines, decoded as UTF-8: gunzipped on the fly when it starts with gzip's magic
 * bytes, as is otherwise. A line is only ever held once (parts joined at its end).
 */
async function* readLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<string, void, undefined> {
  const decoder = new StringDecoder('utf8');
  let parts: string[] = [];
  for await (const chunk of decompressed(input)) {
    let text = decoder.write(chunk);
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n')) {
      parts.push(text.slice(0, nl));
      yield parts.join('');
      parts = [];
      text = text.slice(nl + 1);
    }
    if (text !== '') parts.push(text);
  }
  const rest = parts.join('') + decoder.end();
  if (rest !== '') yield rest;
}

async function* decompressed(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer, void, undefined> {
  const it = input[Symbol.asyncIterator]();
  let head: Buffer | undefined;
  for (;;) {
    const n = await it.next();
    if (n.done) return;
    head = typeof n.value === 'string' ? Buffer.from(n.value) : n.value;
    if (head.length > 0) break;
  }
  const all = (async function* () {
    yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield typeof n.value === 'string' ? Buffer.from(n.value) : n.value;
    }
  })();
  if (!(head[0] === 0x1f && head[1] === 0x8b)) {
    if (head[0] !== 0x7b) throw new MemoryFileError('is not a Railbook memory export (it is neither gzip nor JSON lines)');
    yield* all;
    return;
  }
  const gunzip = createGunzip();
  pipeline(Readable.from(all), gunzip, () => undefined);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (e) {
    throw new MemoryFileError(`is truncated or damaged (gzip: ${e instanceof Error ? e.message : String(e)})`);
  }
}
