/**
 * Key-value notes: short facts about the person and their work ("preferred language" → "Dutch"),
 * written by the person (CLI, notes page) or by the model through the remember/forget tools, and
 * put into every chat's system prompt. They belong to the assistant, not to a model: a model swap
 * keeps them. Keys are normalised so "Favourite  Colour" and "favourite colour" are one note.
 */
import type { MemoryConnection, MemoryDb } from './memory-db.ts';

export type NoteSource = 'person' | 'model';

export interface Note {
  key: string;
  value: string;
  source: NoteSource;
  updatedAt: number;
}

export const NOTE_KEY_MAX = 100;
export const NOTE_VALUE_MAX = 2000;

/** A key or value that cannot be kept; the message says why, for a person (or the model). */
export class NoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoteError';
  }
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** Unicode NFC, trimmed, inner whitespace collapsed to one space, lower case. */
export function normaliseKey(raw: string): string {
  const key = raw.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
  if (key === '') throw new NoteError('A note needs a key (a few words naming the fact).');
  if (key.length > NOTE_KEY_MAX) throw new NoteError(`A note's key is at most ${NOTE_KEY_MAX} characters; this one has ${key.length}.`);
  if (CONTROL.test(key)) throw new NoteError("A note's key cannot contain control characters.");
  return key;
}

function checkValue(raw: string): string {
  const value = raw.normalize('NFC').trim();
  if (value === '') throw new NoteError('A note needs a value (to remove a note, forget it).');
  if (value.length > NOTE_VALUE_MAX) throw new NoteError(`A note's value is at most ${NOTE_VALUE_MAX} characters; this one has ${value.length}.`);
  if (CONTROL_BUT_LINES.test(value)) throw new NoteError("A note's value cannot contain control characters.");
  return value;
}

interface NoteRow {
  key: string;
  value: string;
  source: NoteSource;
  updated_at: number;
}

const toNote = (r: NoteRow): Note => ({ key: r.key, value: r.value, source: r.source, updatedAt: r.updated_at });

export class Notes {
  private readonly db: MemoryConnection;

  constructor(memory: MemoryDb | MemoryConnection, private readonly now: () => number = Date.now) {
    this.db = 'db' in memory ? memory.db : memory;
  }

  /** Every note, most recently updated first. */
  list(): Note[] {
    return this.db.prepare<[], NoteRow>('SELECT key, value, source, updated_at FROM notes ORDER BY updated_at DESC, key').all().map(toNote);
  }

  get(key: string): Note | undefined {
    const row = this.db.prepare<[string], NoteRow>('SELECT key, value, source, updated_at FROM notes WHERE key = ?').get(normaliseKey(key));
    return row && toNote(row);
  }

  /** Creates or replaces the note; throws NoteError for a key or value that cannot be kept. */
  set(key: string, value: string, source: NoteSource): Note {
    const note: Note = { key: normaliseKey(key), value: checkValue(value), source, updatedAt: this.now() };
    this.db
      .prepare('INSERT INTO notes (key, value, source, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, source = excluded.source, updated_at = excluded.updated_at')
      .run(note.key, note.value, note.source, note.updatedAt);
    return note;
  }

  /** Says whether there was such a note. */
  remove(key: string): boolean {
    return this.db.prepare('DELETE FROM notes WHERE key = ?').run(normaliseKey(key)).changes > 0;
  }
}
