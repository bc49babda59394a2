import type { Statement } from 'better-sqlite3';
import { statementCache } from './statements.ts';
import type { Db } from './database.ts';

export const EVENT_TYPES = ['created', 'submitted', 'reverted', 'finalized', 'unfinalized', 'failed', 'cancelled', 'interrupted', 'completed', 'profile_renamed', 'revert_undone', 'archived', 'unarchived'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface RunEvent {
  id: number;
  run: string;
  at: string;
  type: EventType;
  step: string | null;
  detail: Record<string, unknown> | null;
}

/** The append-only audit log of every run: rows are only ever inserted. */
export class EventLog {
  private readonly sql: (text: string) => Statement;

  constructor(db: Db) {
    this.sql = statementCache(db);
  }

  append(run: string, at: string, type: EventType, step: string | null, detail?: Record<string, unknown>): void {
    this.sql('INSERT INTO events (run, at, type, step, detail) VALUES (?, ?, ?, ?, ?)')
      .run(run, at, type, step, detail ? JSON.stringify(detail) : null);
  }

  /** Newest first. */
  forRun(run: string, limit = 200): RunEvent[] {
    const rows = this.sql('SELECT id, run, at, type, step, detail FROM events WHERE run = ? ORDER BY id DESC LIMIT ?')
      .all(run, limit) as (Omit<RunEvent, 'detail'> & { detail: string | null })[];
    return rows.map((r) => ({ ...r, detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null }));
  }
}
