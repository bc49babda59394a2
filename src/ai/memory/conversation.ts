/**
 * The conversation memory: each profile talks in a current conversation; turns (the person's,
 * the model's, and steps' "peanut gallery" comments) are stored as they end, whatever their
 * status, and never deleted except by `clear`. A running summary of older turns is kept beside
 * them (derived: see src/ai/chat/summary.ts). Full-text search runs over every turn of a profile.
 */
import type { ChatPlace, Citation, StoredTurn, TurnRole } from '../chat/chat-types.ts';
import type { MemoryConnection, MemoryDb } from './memory-db.ts';

export interface NewTurn {
  role: TurnRole;
  content: string;
  status: StoredTurn['status'];
  error?: string | undefined;
  place?: ChatPlace | undefined;
  model?: string | undefined;
  citations?: Citation[] | undefined;
}

export interface ConversationSummary {
  text: string;
  /** The id of the newest turn the summary covers; 0 for none. */
  upto: number;
}

export interface ConversationInfo {
  id: number;
  profile: string;
  createdAt: number;
  turns: number;
  current: boolean;
}

/** One conversation as exported: everything needed to read it back. */
export interface ConversationExport {
  id: number;
  profile: string;
  createdAt: number;
  summary: ConversationSummary;
  turns: StoredTurn[];
}

interface TurnRow {
  id: number;
  conversation_id: number;
  role: TurnRole;
  content: string;
  status: StoredTurn['status'];
  error: string | null;
  place: string | null;
  model: string | null;
  citations: string | null;
  created_at: number;
}

const TURN_COLUMNS = 't.id, t.conversation_id, t.role, t.content, t.status, t.error, t.place, t.model, t.citations, t.created_at';

export class Conversations {
  private readonly db: MemoryConnection;

  constructor(memory: MemoryDb | MemoryConnection, private readonly now: () => number = Date.now) {
    this.db = 'db' in memory ? memory.db : memory;
  }

  /** The profile's current conversation, started if it has none. */
  current(profile: string): number {
    return this.db.transaction(() => {
      const row = this.db.prepare<[string], { conversation_id: number }>('SELECT conversation_id FROM conversation_current WHERE profile = ?').get(profile);
      return row ? row.conversation_id : this.start(profile);
    }).immediate();
  }

  /** Starts another conversation for the profile and makes it current; the old ones stay. */
  newConversation(profile: string): number {
    return this.db.transaction(() => this.start(profile)).immediate();
  }

  private start(profile: string): number {
    const id = Number(this.db.prepare('INSERT INTO conversations (profile, created_at) VALUES (?, ?)').run(profile, this.now()).lastInsertRowid);
    this.db
      .prepare('INSERT INTO conversation_current (profile, conversation_id) VALUES (?, ?) ON CONFLICT (profile) DO UPDATE SET conversation_id = excluded.conversation_id')
      .run(profile, id);
    return id;
  }

  addTurn(conversationId: number, turn: NewTurn): StoredTurn {
    const createdAt = this.now();
    const id = Number(
      this.db
        .prepare('INSERT INTO turns (conversation_id, role, content, status, error, place, model, citations, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(
          conversationId,
          turn.role,
          turn.content,
          turn.status,
          turn.error ?? null,
          turn.place === undefined ? null : JSON.stringify(turn.place),
          turn.model ?? null,
          turn.citations === undefined || turn.citations.length === 0 ? null : JSON.stringify(turn.citations),
          createdAt,
        ).lastInsertRowid,
    );
    return this.turn(id)!;
  }

  /** A step's comment on its data, said by the model, kept in the profile's current conversation. */
  addComment(profile: string, place: ChatPlace | undefined, text: string, model?: string | undefined, status: StoredTurn['status'] = 'done'): StoredTurn {
    return this.addTurn(this.current(profile), { role: 'comment', content: text, status, place, model });
  }

  turn(id: number): StoredTurn | undefined {
    const row = this.db.prepare<[number], TurnRow>(`SELECT ${TURN_COLUMNS} FROM turns t WHERE t.id = ?`).get(id);
    return row && toTurn(row);
  }

  /** The conversation's turns after `afterId`, oldest first; with `limit`, the newest `limit` of them. */
  turns(conversationId: number, opts: { afterId?: number | undefined; limit?: number | undefined } = {}): StoredTurn[] {
    const limit = opts.limit ?? -1;
    const rows = this.db
      .prepare<[number, number, number], TurnRow>(`SELECT ${TURN_COLUMNS} FROM turns t WHERE t.conversation_id = ? AND t.id > ? ORDER BY t.id DESC LIMIT ?`)
      .all(conversationId, opts.afterId ?? 0, limit);
    return rows.reverse().map(toTurn);
  }

  /** The profile's current conversation, oldest first (the newest `limit` turns). */
  history(profile: string, limit?: number | undefined): StoredTurn[] {
    const row = this.db.prepare<[string], { conversation_id: number }>('SELECT conversation_id FROM conversation_current WHERE profile = ?').get(profile);
    return row ? this.turns(row.conversation_id, { limit }) : [];
  }

  /** Turns of any of the profile's conversations whose text has every word of `query` (as prefixes), newest first. */
  search(profile: string, query: string, limit = 50): StoredTurn[] {
    const match = ftsQuery(query);
    if (match === undefined) return [];
    return this.db
      .prepare<[string, string, number], TurnRow>(
        `SELECT ${TURN_COLUMNS} FROM turns_fts f JOIN turns t ON t.id = f.rowid JOIN conversations c ON c.id = t.conversation_id
         WHERE turns_fts MATCH ? AND c.profile = ? ORDER BY t.id DESC LIMIT ?`,
      )
      .all(match, profile, Math.max(1, limit))
      .map(toTurn);
  }

  summary(conversationId: number): ConversationSummary {
    const row = this.db.prepare<[number], { summary: string; summary_upto: number }>('SELECT summary, summary_upto FROM conversations WHERE id = ?').get(conversationId);
    return row ? { text: row.summary, upto: row.summary_upto } : { text: '', upto: 0 };
  }

  /** Replaces the summary, unless a newer one (covering more) was saved meanwhile. Says whether it did. */
  setSummary(conversationId: number, summary: ConversationSummary): boolean {
    const r = this.db.prepare('UPDATE conversations SET summary = ?, summary_upto = ? WHERE id = ? AND summary_upto < ?').run(summary.text, summary.upto, conversationId, summary.upto);
    return r.changes > 0;
  }

  conversationOf(turnId: number): number | undefined {
    return this.db.prepare<[number], { conversation_id: number }>('SELECT conversation_id FROM turns WHERE id = ?').get(turnId)?.conversation_id;
  }

  /** The profile's conversations, newest first. */
  list(profile: string): ConversationInfo[] {
    return this.db
      .prepare<[string], { id: number; profile: string; created_at: number; turns: number; current: number }>(
        `SELECT c.id, c.profile, c.created_at,
                (SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id) AS turns,
                EXISTS (SELECT 1 FROM conversation_current k WHERE k.conversation_id = c.id) AS current
         FROM conversations c WHERE c.profile = ? ORDER BY c.id DESC`,
      )
      .all(profile)
      .map((r) => ({ id: r.id, profile: r.profile, createdAt: r.created_at, turns: r.turns, current: r.current === 1 }));
  }

  /** Every conversation of the profile with its turns, oldest first: what `memory export` writes. */
  exportAll(profile: string): ConversationExport[] {
    return this.list(profile)
      .reverse()
      .map((c) => ({ id: c.id, profile: c.profile, createdAt: c.createdAt, summary: this.summary(c.id), turns: this.turns(c.id) }));
  }

  /** Deletes the conversation's turns and summary; the conversation itself stays (empty). */
  clear(conversationId: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM turns WHERE conversation_id = ?').run(conversationId);
      this.db.prepare("UPDATE conversations SET summary = '', summary_upto = 0 WHERE id = ?").run(conversationId);
    }).immediate();
  }
}

/** The person's words as an FTS5 query: each word quoted (so no syntax leaks in), all required, as prefixes. */
export function ftsQuery(query: string): string | undefined {
  const words = query.match(/[\p{L}\p{N}_]+/gu) ?? [];
  if (words.length === 0) return undefined;
  return words.slice(0, 20).map((w) => `"${w}"*`).join(' ');
}

function toTurn(r: TurnRow): StoredTurn {
  const t: StoredTurn = { id: r.id, conversationId: r.conversation_id, role: r.role, content: r.content, status: r.status, createdAt: r.created_at };
  if (r.error !== null) t.error = r.error;
  if (r.place !== null) t.place = parseJson<ChatPlace>(r.place);
  if (r.model !== null) t.model = r.model;
  if (r.citations !== null) t.citations = parseJson<Citation[]>(r.citations);
  return t;
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
