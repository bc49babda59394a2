/**
 * The memory export file, version 1: gzipped JSON lines, one record a line.
 *
 *   {"format":"railbook-memory","version":1,"exported_at":"<ISO>","memory":"<uuid>","vectors":{"model","dims"}|null}
 *   {"type":"note","key","value","source":"person"|"model","updated_at":<ms>}
 *   {"type":"conversation","origin":"<uuid>/<id>","profile","created_at","current":bool,
 *    "summary":{"text","turns":<how many of the turns it covers>},
 *    "turns":[{"role","content","status","error"?,"place"?,"model"?,"citations"?,"created_at"}]}
 *   {"type":"document","source","kind","title","text","sha256","added_at",
 *    "chunks"?:[{"seq","start","end","vector":"<base64 float32 little-endian>"}]}
 *   {"type":"end","notes":n,"conversations":n,"documents":n}
 *
 * Documents are the raw text (the source of truth); `chunks` carries the active set's vectors,
 * named by position in the text (chunk ids are local to a file). The end record proves the file
 * is whole. A reader refuses a higher version than it knows, and any record it cannot check.
 */
import type { ChatPlace, Citation, StoredTurn, TurnRole } from '../chat/chat-types.ts';
import type { NoteSource } from './notes.ts';

export const MEMORY_FORMAT = 'railbook-memory';
export const MEMORY_FORMAT_VERSION = 1;

export interface HeaderRecord {
  format: typeof MEMORY_FORMAT;
  version: number;
  exported_at: string;
  memory: string;
  vectors: { model: string; dims: number } | null;
}

export interface NoteRecord {
  type: 'note';
  key: string;
  value: string;
  source: NoteSource;
  updated_at: number;
}

export interface TurnRecord {
  role: TurnRole;
  content: string;
  status: StoredTurn['status'];
  error?: string;
  place?: ChatPlace;
  model?: string;
  citations?: Citation[];
  created_at: number;
}

export interface ConversationRecord {
  type: 'conversation';
  origin: string;
  profile: string;
  created_at: number;
  current: boolean;
  summary: { text: string; turns: number };
  turns: TurnRecord[];
}

export interface ChunkVectorRecord {
  seq: number;
  start: number;
  end: number;
  vector: string;
}

export interface DocumentRecord {
  type: 'document';
  source: string;
  kind: string;
  title: string;
  text: string;
  sha256: string;
  added_at: number;
  chunks?: ChunkVectorRecord[];
}

export interface EndRecord {
  type: 'end';
  notes: number;
  conversations: number;
  documents: number;
}

export type BodyRecord = NoteRecord | ConversationRecord | DocumentRecord | EndRecord;

/** A file that cannot be imported; the message says what is wrong with it (and where). */
export class MemoryFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemoryFileError';
  }
}

/** A record's field failed its check: `at` is the path inside the record. */
class Bad extends Error {}

const TURN_ROLES = new Set(['user', 'assistant', 'comment']);
const TURN_STATUSES = new Set(['done', 'stopped', 'failed']);

export function parseHeader(line: string): HeaderRecord {
  const v = parseJson(line, 1);
  if (!isObject(v) || !('format' in v)) throw new MemoryFileError('is not a Railbook memory export (its first line has no "format")');
  if (v['format'] !== MEMORY_FORMAT) throw new MemoryFileError(`is not a Railbook memory export (its format is ${JSON.stringify(v['format'])}, not "${MEMORY_FORMAT}")`);
  const version = v['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new MemoryFileError(`line 1: the format version is ${JSON.stringify(version)}, not a whole number`);
  if (version > MEMORY_FORMAT_VERSION) {
    throw new MemoryFileError(`was written by a newer Railbook (format version ${version}; this one reads version ${MEMORY_FORMAT_VERSION}): upgrade Railbook to import it`);
  }
  return check(1, () => {
    const vectors = v['vectors'];
    return {
      format: MEMORY_FORMAT,
      version,
      exported_at: str(v, 'exported_at'),
      memory: str(v, 'memory'),
      vectors: vectors === null ? null : ((o) => ({ model: str(o, 'model', true), dims: int(o, 'dims', 1) }))(obj(vectors, 'vectors')),
    };
  });
}

/** One record after the header, checked field by field. */
export function parseRecord(line: string, n: number, header: HeaderRecord): BodyRecord {
  const v = parseJson(line, n);
  return check(n, () => {
    const o = obj(v, 'record');
    const type = o['type'];
    switch (type) {
      case 'note':
        return { type, key: str(o, 'key', true), value: str(o, 'value', true), source: oneOf(o, 'source', new Set(['person', 'model'])) as NoteSource, updated_at: int(o, 'updated_at', 0) };
      case 'conversation': {
        const turns = arr(o, 'turns').map((t, i) => turn(obj(t, `turns[${i}]`), i));
        const s = obj(o['summary'], 'summary');
        const summary = { text: str(s, 'text'), turns: int(s, 'turns', 0) };
        if (summary.turns > turns.length) throw new Bad(`summary.turns is ${summary.turns} but the conversation has ${turns.length} turns`);
        return { type, origin: str(o, 'origin', true), profile: str(o, 'profile', true), created_at: int(o, 'created_at', 0), current: bool(o, 'current'), summary, turns };
      }
      case 'document': {
        const doc: DocumentRecord = {
          type,
          source: str(o, 'source', true),
          kind: str(o, 'kind', true),
          title: str(o, 'title'),
          text: str(o, 'text', true),
          sha256: str(o, 'sha256', true),
          added_at: int(o, 'added_at', 0),
        };
        if ('chunks' in o && o['chunks'] !== undefined) {
          if (!header.vectors) throw new Bad('has chunks with vectors, but the header says the file has no vectors');
          const bytes = header.vectors.dims * 4;
          doc.chunks = arr(o, 'chunks').map((c, i) => {
            const r = obj(c, `chunks[${i}]`);
            const chunk = { seq: int(r, 'seq', 0), start: int(r, 'start', 0), end: int(r, 'end', 0), vector: str(r, 'vector', true) };
            if (Buffer.byteLength(chunk.vector, 'base64') !== bytes) throw new Bad(`chunks[${i}].vector is not ${header.vectors!.dims} float32 values in base64`);
            return chunk;
          });
        }
        return doc;
      }
      case 'end':
        return { type, notes: int(o, 'notes', 0), conversations: int(o, 'conversations', 0), documents: int(o, 'documents', 0) };
      default:
        throw new Bad(`unknown record type ${JSON.stringify(type)}`);
    }
  });
}

function turn(o: Record<string, unknown>, i: number): TurnRecord {
  const t: TurnRecord = {
    role: oneOf(o, 'role', TURN_ROLES, `turns[${i}].`) as TurnRole,
    content: str(o, 'content'),
    status: oneOf(o, 'status', TURN_STATUSES, `turns[${i}].`) as StoredTurn['status'],
    created_at: int(o, 'created_at', 0),
  };
  if (o['error'] !== undefined) t.error = str(o, 'error');
  if (o['model'] !== undefined) t.model = str(o, 'model');
  // Place and citations are the chat's own shapes, shown and not computed with: kept as given.
  if (o['place'] !== undefined) t.place = obj(o['place'], `turns[${i}].place`) as unknown as ChatPlace;
  if (o['citations'] !== undefined) t.citations = arr(o, 'citations') as Citation[];
  return t;
}

function parseJson(line: string, n: number): unknown {
  try {
    return JSON.parse(line);
  } catch (e) {
    throw new MemoryFileError(`line ${n} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

function check<T>(n: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Bad) throw new MemoryFileError(`line ${n}: ${e.message}`);
    throw e;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (!isObject(v)) throw new Bad(`${what} is not an object`);
  return v;
}

function str(o: Record<string, unknown>, key: string, nonEmpty = false): string {
  const v = o[key];
  if (typeof v !== 'string') throw new Bad(`"${key}" is ${v === undefined ? 'missing' : 'not a string'}`);
  if (nonEmpty && v === '') throw new Bad(`"${key}" is empty`);
  return v;
}

function int(o: Record<string, unknown>, key: string, min: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new Bad(`"${key}" is ${v === undefined ? 'missing' : `${JSON.stringify(v)}, not a whole number ≥ ${min}`}`);
  return v;
}

function bool(o: Record<string, unknown>, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new Bad(`"${key}" is not true or false`);
  return v;
}

function arr(o: Record<string, unknown>, key: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new Bad(`"${key}" is not a list`);
  return v;
}

function oneOf(o: Record<string, unknown>, key: string, allowed: Set<string>, prefix = ''): string {
  const v = o[key];
  if (typeof v !== 'string' || !allowed.has(v)) throw new Bad(`${prefix}"${key}" is ${JSON.stringify(v)}, not one of ${[...allowed].join(', ')}`);
  return v;
}
