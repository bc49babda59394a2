import type { SqlSession } from './sql.ts';
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

export interface RunFilter {
  workflow?: string | undefined;
  profile?: string | undefined;
  limit?: number | undefined;
  archived?: ArchivedFilter | undefined;
}

const SUMMARY_COLUMNS = 'key, workflow, profile, number, created, updated, finalized, archived';

/** Runs: one row each, the state JSON plus the columns we search by. */
export class RunRepo {
  constructor(private readonly db: SqlSession) {}

  async get(key: string): Promise<RunState | undefined> {
    const row = await this.db.get<{ state: string }>('SELECT state FROM runs WHERE key = ?', [key]);
    return row ? (JSON.parse(row.state) as RunState) : undefined;
  }

  /**
   * Inside a transaction: the run, read to be changed. On PostgreSQL its row stays locked until
   * the transaction ends, so two writers never both change what they read (SQLite's transaction
   * already holds the whole file).
   */
  async lock(key: string): Promise<RunState | undefined> {
    const forUpdate = this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const row = await this.db.get<{ state: string }>(`SELECT state FROM runs WHERE key = ?${forUpdate}`, [key]);
    return row ? (JSON.parse(row.state) as RunState) : undefined;
  }

  summary(key: string): Promise<RunSummary | undefined> {
    return this.db.get<RunSummary>(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE key = ?`, [key]);
  }

  async exists(key: string): Promise<boolean> {
    return (await this.db.get('SELECT 1 AS x FROM runs WHERE key = ?', [key])) !== undefined;
  }

  async insert(state: RunState, number: number | null): Promise<void> {
    await this.db.run(
      'INSERT INTO runs (key, workflow, profile, number, created, updated, finalized, archived, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [state.key, state.workflow, state.profile, number, state.created, state.updated, state.finalized, state.archived ?? null, JSON.stringify(state)],
    );
  }

  async update(state: RunState): Promise<void> {
    await this.db.run('UPDATE runs SET updated = ?, finalized = ?, archived = ?, state = ? WHERE key = ?',
      [state.updated, state.finalized, state.archived ?? null, JSON.stringify(state), state.key]);
  }

  /** Moves every run of one profile to another (a profile rename), changing each state's `profile`. */
  async renameProfile(from: string, to: string, t: string): Promise<string[]> {
    const forUpdate = this.db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await this.db.all<{ key: string; state: string }>(`SELECT key, state FROM runs WHERE profile = ? ORDER BY key${forUpdate}`, [from]);
    for (const r of rows) {
      const state = JSON.parse(r.state) as RunState;
      state.profile = to;
      state.updated = t;
      await this.db.run('UPDATE runs SET profile = ?, updated = ?, state = ? WHERE key = ?', [to, t, JSON.stringify(state), r.key]);
    }
    return rows.map((r) => r.key);
  }

  /**
   * Removes a run's row, its events and its executions (call inside a transaction). A numbered
   * run leaves its number behind in `run_numbers`, so the number is not handed out again.
   */
  async delete(key: string): Promise<void> {
    const row = await this.summary(key);
    if (!row) return;
    if (row.number !== null) {
      const max = this.db.dialect === 'postgres' ? 'GREATEST' : 'MAX';
      await this.db.run(`INSERT INTO run_numbers (profile, workflow, last) VALUES (?, ?, ?)
        ON CONFLICT (profile, workflow) DO UPDATE SET last = ${max}(run_numbers.last, excluded.last)`, [row.profile, row.workflow, row.number]);
    }
    await this.db.run('DELETE FROM events WHERE run = ?', [key]);
    await this.db.run('DELETE FROM executions WHERE run = ?', [key]);
    await this.db.run('DELETE FROM run_queue WHERE key = ?', [key]);
    // Its files kept in the database (PostgreSQL; empty on SQLite).
    await this.db.run('DELETE FROM artifact_chunks WHERE path IN (SELECT path FROM artifact_files WHERE run = ?)', [key]);
    await this.db.run('DELETE FROM artifact_files WHERE run = ?', [key]);
    await this.db.run('DELETE FROM runs WHERE key = ?', [key]);
  }

  /** Highest number this profile and workflow has handed out, deleted runs included (0 when none). */
  async maxNumber(profile: string, workflow: string): Promise<number> {
    const row = await this.db.get<{ n: number | null }>(`SELECT MAX(n) AS n FROM (
        SELECT MAX(number) AS n FROM runs WHERE profile = ? AND workflow = ?
        UNION ALL SELECT last AS n FROM run_numbers WHERE profile = ? AND workflow = ?) AS numbers`, [profile, workflow, profile, workflow]);
    return row?.n ?? 0;
  }

  /** Newest first. Archived runs are left out unless `archived` says otherwise. */
  list(filter: RunFilter = {}): Promise<RunSummary[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.workflow) { where.push('workflow = ?'); args.push(filter.workflow); }
    if (filter.profile) { where.push('profile = ?'); args.push(filter.profile); }
    const archived = filter.archived ?? 'hide';
    if (archived === 'hide') where.push('archived IS NULL');
    if (archived === 'only') where.push('archived IS NOT NULL');
    const sql = `SELECT ${SUMMARY_COLUMNS} FROM runs
      ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY updated DESC, key LIMIT ?`;
    return this.db.all<RunSummary>(sql, [...args, filter.limit ?? 1000]);
  }

  async count(filter: { workflow?: string | undefined; profile?: string | undefined; archived: ArchivedFilter }): Promise<number> {
    const where = [filter.archived === 'only' ? 'archived IS NOT NULL' : filter.archived === 'hide' ? 'archived IS NULL' : '1 = 1'];
    const args: unknown[] = [];
    if (filter.workflow) { where.push('workflow = ?'); args.push(filter.workflow); }
    if (filter.profile) { where.push('profile = ?'); args.push(filter.profile); }
    const row = await this.db.get<{ n: number }>(`SELECT CAST(COUNT(*) AS INTEGER) AS n FROM runs WHERE ${where.join(' AND ')}`, args);
    return Number(row?.n ?? 0);
  }

  /** Every run's state with at least one step in the given status. */
  async withStatus(status: string): Promise<RunState[]> {
    const rows = await this.db.all<{ state: string }>('SELECT state FROM runs WHERE state LIKE ?', [`%"status":"${status}"%`]);
    return rows.map((r) => JSON.parse(r.state) as RunState);
  }
}
