import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { POSTGRES_SCHEMA_VERSION } from '../postgres/migrations.ts';
import { PostgresDatabase, redactUrl } from '../postgres/postgres-database.ts';
import { MIGRATIONS } from '../sqlite/migrations.ts';
import { findArtifactFiles } from './artifact-files.ts';
import { copyAndVerify } from './copy-and-verify.ts';
import { MigrateError } from './migrate-error.ts';
import { refuseUsedTarget } from './postgres-target.ts';
import { SqliteSnapshot } from './sqlite-snapshot.ts';
import { ARTIFACT_TABLES } from './tables.ts';
import type { MigrateOptions, MigrateReport } from './types.ts';

/**
 * `railbook migrate`: a data folder's SQLite database copied into an empty PostgreSQL database,
 * checked row for row before it is committed. The artifact files are stored in PostgreSQL too
 * (DECISIONS §44), read back and hashed before the commit; they also stay in the data folder,
 * which is then the local cache of a Railbook started with `--data-dir <it> --database <url>`.
 */

export { MigrateError };
export type { ArtifactProblem, MigrateOptions, MigrateProgress, MigrateReport } from './types.ts';

export const DATABASE_FILE = 'railbook.db';

/**
 * Copies the SQLite database of `dataDir` into the PostgreSQL database at `url`, in one
 * PostgreSQL transaction that commits only once every table reads back equal to the source.
 * The source is read from one snapshot (a read transaction on a read-only connection), so a
 * process still writing to it cannot tear the copy. Every artifact file of a copied run is
 * stored in PostgreSQL too (where the schema keeps them there). Refuses (nothing written) a
 * folder without a database, one with steps running, and a target that already holds anything
 * but what a first start creates (runs, events, run numbers, queued runs, schedules, files).
 */
export async function migrateToPostgres(dataDir: string, url: string, opts: MigrateOptions = {}): Promise<MigrateReport> {
  if (MIGRATIONS.length !== POSTGRES_SCHEMA_VERSION) {
    throw new Error(`the SQLite schema (${MIGRATIONS.length}) and the PostgreSQL schema (${POSTGRES_SCHEMA_VERSION}) differ; a migration is missing on one side`);
  }
  const dir = folderOf(dataDir);
  const source = SqliteSnapshot.open(path.join(dir, DATABASE_FILE));
  try {
    const tables = source.tables();
    const running = source.liveExecutions();
    if (running.live.length) {
      const shown = running.live.slice(0, 5).map((e) => `${e.run} step ${e.step} (pid ${e.pid})`).join(', ');
      throw new MigrateError('refused', `${running.live.length} step${running.live.length === 1 ? ' is' : 's are'} running in ${dir}: ${shown}${running.live.length > 5 ? ', …' : ''}; stop railbook first (serve, run, worker), then migrate`);
    }
    const shown = redactUrl(url);
    let target: PostgresDatabase;
    try {
      target = await PostgresDatabase.open(url, { max: 1 });
    } catch (e) {
      throw new MigrateError('unreachable', (e as Error).message);
    }
    try {
      // Said before the snapshot is read through; checked again under the lock inside the transaction.
      await refuseUsedTarget(target, shown);
      // Found and hashed before the transaction starts, so it stays as short as the copy allows.
      const files = source.hasTables(ARTIFACT_TABLES) ? await findArtifactFiles(dir, source.runKeys()) : undefined;
      const report = await target.tx((s) => copyAndVerify(source, tables, files, s, dir, shown, opts));
      return { ...report, staleExecutions: running.stale };
    } finally {
      await target.close();
    }
  } finally {
    source.close();
  }
}

/** The data folder, real path; refused unless it holds a Railbook database. */
function folderOf(dataDir: string): string {
  let dir = path.resolve(dataDir);
  // `--from data/railbook.db` names the folder through its file.
  if (path.basename(dir) === DATABASE_FILE && existsSync(dir)) dir = path.dirname(dir);
  if (!existsSync(dir)) throw new MigrateError('refused', `no data folder at ${dir}`);
  dir = realpathSync(dir);
  if (!existsSync(path.join(dir, DATABASE_FILE))) throw new MigrateError('refused', `no Railbook database in ${dir} (expected ${DATABASE_FILE}); --from names the data folder of a Railbook that used SQLite`);
  return dir;
}
