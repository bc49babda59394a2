import type { SqlSession } from '../sql.ts';
import type { SqliteSnapshot } from './sqlite-snapshot.ts';
import type { TableSpec } from './tables.ts';

/** PostgreSQL takes at most 65535 parameters in one statement. */
const MAX_PARAMETERS = 60_000;
/** Text per INSERT at most: a batch of runs with large states stays a modest statement. */
const MAX_BATCH_CHARS = 8_000_000;

export async function copyTable(source: SqliteSnapshot, s: SqlSession, table: TableSpec, onRow: (row: unknown[], done: number) => Promise<void>): Promise<void> {
  // Events keep their ids: the history's order and every id a person may have noted stay as they were.
  const overriding = table.name === 'events' ? ' OVERRIDING SYSTEM VALUE' : '';
  const placeholders = `(${table.columns.map(() => '?').join(', ')})`;
  const most = Math.max(1, Math.min(table.batch, Math.floor(MAX_PARAMETERS / table.columns.length)));
  let batch: unknown[][] = [];
  let chars = 0;
  const flush = async () => {
    if (!batch.length) return;
    await s.run(`INSERT INTO ${table.name} (${table.columns.join(', ')})${overriding} VALUES ${batch.map(() => placeholders).join(', ')}`, batch.flat());
    batch = [];
    chars = 0;
  };
  let done = 0;
  for (const row of source.rows(table)) {
    batch.push(row);
    for (const v of row) if (typeof v === 'string') chars += v.length;
    if (batch.length >= most || chars >= MAX_BATCH_CHARS) await flush();
    await onRow(row, ++done);
  }
  await flush();
}
