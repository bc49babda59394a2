import type { SqlSession } from '../sql.ts';
import { MigrateError } from './migrate-error.ts';
import type { TableSpec } from './tables.ts';

/** Checks of the PostgreSQL target: that it is unused, and that its tables match the source's. */

/** Tables whose rows only come from use: a target holding any of them is not empty. */
async function usedRows(s: SqlSession): Promise<{ table: string; n: number }[]> {
  const used: { table: string; n: number }[] = [];
  const present = new Set((await s.all<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()')).map((r) => r.name));
  for (const table of ['runs', 'events', 'run_numbers', 'run_queue', 'schedules', 'schedule_firings', 'artifact_files']) {
    if (!present.has(table)) continue;
    const n = await count(s, table);
    if (n > 0) used.push({ table, n });
  }
  return used;
}

const NOUNS: Record<string, string> = { run_numbers: 'run number record', run_queue: 'queued run', schedule_firings: 'schedule firing', artifact_files: 'artifact file' };

export async function refuseUsedTarget(s: SqlSession, shown: string): Promise<void> {
  const used = await usedRows(s);
  if (!used.length) return;
  const what = used.map((u) => `${u.n} ${NOUNS[u.table] ?? u.table.replace(/s$/, '')}${u.n === 1 ? '' : 's'}`).join(', ');
  throw new MigrateError('refused', `the PostgreSQL database ${shown} is not empty: it holds ${what}; migrate into a fresh database (createdb railbook_new), nothing was written`);
}

/** The target's table has the source's columns (the same schema version should guarantee it; a hand-made change would not). */
export async function sameColumns(s: SqlSession, table: TableSpec): Promise<void> {
  const rows = await s.all<{ name: string }>('SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY column_name', [table.name]);
  const theirs = rows.map((r) => r.name);
  const mine = [...table.columns].sort();
  if (JSON.stringify(theirs) !== JSON.stringify(mine)) {
    throw new MigrateError('mismatch', `the PostgreSQL table ${table.name} has other columns than the data folder's (${theirs.join(', ')} vs ${mine.join(', ')}); nothing was written`);
  }
}

export async function count(s: SqlSession, table: string): Promise<number> {
  return Number((await s.get<{ n: number }>(`SELECT CAST(COUNT(*) AS INTEGER) AS n FROM ${table}`))?.n ?? 0);
}
