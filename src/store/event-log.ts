import type { SqlSession } from './sql.ts';

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
  constructor(private readonly db: SqlSession) {}

  async append(run: string, at: string, type: EventType, step: string | null, detail?: Record<string, unknown>): Promise<void> {
    await this.db.run('INSERT INTO events (run, at, type, step, detail) VALUES (?, ?, ?, ?, ?)', [run, at, type, step, detail ? JSON.stringify(detail) : null]);
  }

  /** Newest first. */
  async forRun(run: string, limit = 200): Promise<RunEvent[]> {
    const rows = await this.db.all<Omit<RunEvent, 'detail'> & { detail: string | null }>(
      'SELECT id, run, at, type, step, detail FROM events WHERE run = ? ORDER BY id DESC LIMIT ?', [run, limit]);
    return rows.map((r) => ({ ...r, id: Number(r.id), detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null }));
  }
}
