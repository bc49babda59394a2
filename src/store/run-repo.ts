import type { Statement } from 'better-sqlite3';
import { statementCache } from './statements.ts';
import type { Db } from './database.ts';
import type { RunState } from '../engine/run-state.ts';

export interface RunSummary {
  key: string;
  workflow: string;
  profile: string;
  number: number | null;
  created: string;
  updated: string;
  finalized: string | null;
  /** When the run was archived (hidden from lists, kept), or null. */
  archived: string | null;
}

/** Which runs a list shows: the current ones (the default), only the archived ones, or all. */
export type ArchivedFilter = 'hide' | 'only' | 'all';

const SUMMARY_COLUMNS = 'key, workflow, profile, number, created, updated, finalized, archived';

interface RunRow extends RunSummary {
  state: string;
}

/** Runs: one row each, the state JSON plus the columns we search by. */
export class RunRepo {
  private readonly sql: (text: string) => Statement;

  constructor(db: Db) {
    this.sql = statementCache(db);
  }

  get(key: string): RunState | undefined {
    const row = this.sql('SELECT state FROM runs WHERE key = ?').get(key) as { state: string } | undefined;
    return row ? (JSON.parse(row.state) as RunState) : undefined;
  }

  summary(key: string): RunSummary | undefined {
    return this.sql(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE key = ?`).get(key) as RunSummary | undefined;
  }

  exists(key: string): boolean {
    return this.sql('SELECT 1 FROM runs WHERE key = ?').get(key) !== undefined;
  }

  insert(state: RunState, number: number | null): void {
    this.sql(
      'INSERT INTO runs (key, workflow, profile, number, created, updated, finalized, archived, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(state.key, state.workflow, state.profile, number, state.created, state.updated, state.finalized, state.archived ?? null, JSON.stringify(state));
  }

  update(state: RunState): void {
    this.sql('UPDATE runs SET updated = ?, finalized = ?, archived = ?, state = ? WHERE key = ?')
      .run(state.updated, state.finalized, state.archived ?? null, JSON.stringify(state), state.key);
  }

  /**
   * Removes a run's row, its events and its executions (call inside a transaction). A numbered
   * run leaves its number behind in `run_numbers`, so the number is not handed out again.
   */
  delete(key: string): void {
    const row = this.summary(key);
    if (!row) return;
    if (row.number !== null) {
      this.sql(`INSERT INTO run_numbers (profile, workflow, last) VALUES (?, ?, ?)
        ON CONFLICT (profile, workflow) DO UPDATE SET last = MAX(last, excluded.last)`).run(row.profile, row.workflow, row.number);
    }
    this.sql('DELETE FROM events WHERE run = ?').run(key);
    this.sql('DELETE FROM executions WHERE run = ?').run(key);
    this.sql('DELETE FROM runs WHERE key = ?').run(key);
  }

  /** Highest number this profile and workflow has handed out, deleted runs included (0 when none). */
  maxNumber(profile: string, workflow: string): number {
    const row = this.sql(`SELECT MAX(n) AS n FROM (
        SELECT MAX(number) AS n FROM runs WHERE profile = ? AND workflow = ?
        UNION ALL SELECT last FROM run_numbers WHERE profile = ? AND workflow = ?)`).get(profile, workflow, profile, workflow) as { n: number | null };
    return row.n ?? 0;
  }

  /** Newest first. Archived runs are left out unless `archived` says otherwise. */
  list(filter: { workflow?: string | undefined; profile?: string | undefined; limit?: number | undefined; archived?: ArchivedFilter | undefined } = {}): RunSummary[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.workflow) { where.push('workflow = ?'); args.push(filter.workflow); }
    if (filter.profile) { where.push('profile = ?'); args.push(filter.profile); }
    const archived = filter.archived ?? 'hide';
    if (archived === 'hide') where.push('archived IS NULL');
    if (archived === 'only') where.push('archived IS NOT NULL');
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM runs
      ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY updated DESC, key LIMIT ?`;
    return this.sql(sql).all(...args, filter.limit ?? 1000) as RunSummary[];
  }

  count(filter: { workflow?: string | undefined; profile?: string | undefined; archived: ArchivedFilter }): number {
    const where = [filter.archived === 'only' ? 'archived IS NOT NULL' : filter.archived === 'hide' ? 'archived IS NULL' : '1'];
    const args: unknown[] = [];
    if (filter.workflow) { where.push('workflow = ?'); args.push(filter.workflow); }
    if (filter.profile) { where.push('profile = ?'); args.push(filter.profile); }
    return (this.sql(`SELECT COUNT(*) AS n FROM runs WHERE ${where.join(' AND ')}`).get(...args) as { n: number }).n;
  }

  /** Every run's state with at least one step in the given status. */
  withStatus(status: string): RunState[] {
    const rows = this.sql("SELECT state FROM runs WHERE state LIKE ?").all(`%"status":"${status}"%`) as RunRow[];
    return rows.map((r) => JSON.parse(r.state) as RunState);
  }
}
