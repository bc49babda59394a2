import type { SqlSession } from '../sql.ts';
import { ArtifactCheck } from './artifact-check.ts';
import { storeArtifacts, type ArtifactFile } from './artifact-files.ts';
import { copyTable } from './copy-table.ts';
import { MigrateError } from './migrate-error.ts';
import { count, refuseUsedTarget, sameColumns } from './postgres-target.ts';
import type { SqliteSnapshot } from './sqlite-snapshot.ts';
import { ARTIFACT_TABLES, type TableName, type TableSpec } from './tables.ts';
import type { MigrateOptions, MigrateProgress, MigrateReport } from './types.ts';
import { compareTable, verifyArtifacts } from './verify.ts';

/** Lets only one migration at a time into the same PostgreSQL database. */
const MIGRATE_LOCK = 'railbook:migrate-into';

export async function copyAndVerify(
  source: SqliteSnapshot, tables: readonly TableSpec[], files: { found: ArtifactFile[]; stray: string[] } | undefined,
  s: SqlSession, dataDir: string, shown: string, opts: MigrateOptions,
): Promise<Omit<MigrateReport, 'staleExecutions'>> {
  await s.lock(MIGRATE_LOCK);
  // Writers on the target (a server started on it meanwhile) wait until this commits; readers do not.
  await s.run(`LOCK TABLE ${[...tables.map((t) => t.name), ...(files ? ARTIFACT_TABLES : [])].join(', ')} IN EXCLUSIVE MODE`);
  await refuseUsedTarget(s, shown);
  for (const table of tables) await sameColumns(s, table);
  // What any first start on a database creates (the default profile, a CSRF secret): the source's replace them.
  const replaced = { profiles: await count(s, 'profiles'), settings: await count(s, 'settings') };
  await s.run('DELETE FROM profiles');
  await s.run('DELETE FROM settings');

  const every = opts.progressEvery ?? 1000;
  const progress = (phase: MigrateProgress['phase'], table: TableName | 'artifacts', done: number, total?: number) => {
    if (table !== 'runs' && table !== 'events' && table !== 'artifacts') return;
    const step = table === 'runs' ? every : table === 'events' ? every * 10 : Math.max(1, Math.floor(every / 10));
    if (done % step === 0) opts.onProgress?.({ phase, table, done, total: total ?? source.count(table as TableName) });
  };

  const artifacts = new ArtifactCheck(dataDir);
  for (const table of tables) {
    const [key, state] = [table.columns.indexOf('key'), table.columns.indexOf('state')];
    await copyTable(source, s, table, async (row, done) => {
      if (table.name === 'runs') await artifacts.check(String(row[key]), String(row[state]));
      progress('copying', table.name, done);
    });
  }
  // New events continue after the copied ones, and after any id SQLite handed out before (its
  // AUTOINCREMENT never reuses the id of a deleted event). setval is not undone by a rollback:
  // a failed migration leaves only a gap in future ids.
  const lastId = Math.max(source.maxEventId(), source.eventSequence());
  if (lastId > 0) await s.get("SELECT setval(pg_get_serial_sequence('events', 'id'), ?)", [lastId]);

  if (files) await storeArtifacts(s, files.found, (done) => progress('copying', 'artifacts', done, files.found.length));

  const differences: string[] = [];
  const counts = {} as Record<TableName, number>;
  const sha256 = {} as Record<TableName, string>;
  for (const table of tables) {
    const expected = source.count(table.name);
    const got = await count(s, table.name);
    if (got !== expected) differences.push(`${table.name}: ${expected} rows in the data folder, ${got} in PostgreSQL`);
    const cmp = await compareTable(source, s, table, differences, (done) => progress('verifying', table.name, done));
    if (cmp.source !== cmp.target) differences.push(`${table.name}: SHA-256 over the rows differs (data folder ${cmp.source.slice(0, 12)}…, PostgreSQL ${cmp.target.slice(0, 12)}…)`);
    counts[table.name] = got;
    sha256[table.name] = cmp.source;
  }
  if (files) await verifyArtifacts(s, files.found, differences, (done) => progress('verifying', 'artifacts', done, files.found.length));
  if (differences.length) {
    throw new MigrateError('mismatch', `the copy in PostgreSQL differs from the data folder (${differences.length} difference${differences.length === 1 ? '' : 's'}); rolled back, nothing was written`, differences);
  }
  return {
    dataDir, target: shown, counts, sha256, artifactsChecked: artifacts.checked, artifactProblems: artifacts.problems, unreadableStates: artifacts.unreadable, replaced,
    artifactFiles: files && { stored: files.found.length, bytes: files.found.reduce((n, f) => n + f.size, 0) },
    strayArtifactFolders: files?.stray ?? [],
  };
}
