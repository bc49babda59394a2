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
}

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
    return this.sql('SELECT key, workflow, profile, number, created, updated, finalized FROM runs WHERE key = ?').get(key) as RunSummary | undefined;
  }

  exists(key: string): boolean {
    return this.sql('SELECT 1 FROM runs WHERE key = ?').get(key) !== undefined;
  }

  insert(state: RunState, number: number | null): void {
    this.sql(
      'INSERT INTO runs (key, workflow, profile, number, created, updated, finalized, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(state.key, state.workflow, state.profile, number, state.created, state.updated, state.finalized, JSON.stringify(state));
  }

  update(state: RunState): void {
    this.sql('UPDATE runs SET updated = ?, finalized = ?, state = ? WHERE key = ?')
      .run(state.updated, state.finalized, JSON.stringify(state), state.key);
  }

  /** Highest auto-numbered run of this profile and workflow (0 when there is none). */
  maxNumber(profile: string, workflow: string): number {
    const row = this.sql('SELECT MAX(number) AS n FROM runs WHERE profile = ? AND workflow = ?').get(profile, workflow) as { n: number | null };
    return row.n ?? 0;
  }

  list(filter: { workflow?: string | undefined; profile?: string | undefined; limit?: number | undefined } = {}): RunSummary[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.workflow) { where.push('workflow = ?'); args.push(filter.workflow); }
    if (filter.profile) { where.push('profile = ?'); args.push(filter.profile); }
    const sql = `SELECT key, workflow, profile, number, created, updated, finalized FROM runs
      ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY updated DESC, key LIMIT ?`;
    return this.sql(sql).all(...args, filter.limit ?? 1000) as RunSummary[];
  }

  /** Every run's state with at least one step in the given status. */
  withStatus(status: string): RunState[] {
    const rows = this.sql("SELECT state FROM runs WHERE state LIKE ?").all(`%"status":"${status}"%`) as RunRow[];
    return rows.map((r) => JSON.parse(r.state) as RunState);
  }
}
