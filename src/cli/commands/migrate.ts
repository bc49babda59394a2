import path from 'node:path';
import type { Command } from 'commander';
import { displayPath } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';

interface Options {
  from: string;
  to: string;
}

/** `railbook migrate --from sqlite:<dir> --to postgres://…`: a data folder's database into PostgreSQL, verified. */
export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('copy a data folder (runs, events, profiles, settings, artifacts) into an empty PostgreSQL database, verified')
    .requiredOption('--from <data folder>', 'the data folder to copy: sqlite:<dir>, or just <dir>')
    .requiredOption('--to <url>', 'an empty PostgreSQL database: postgres://user:password@host:5432/database')
    .addHelpText('after', `
Stop Railbook on the data folder first (serve, run, worker): a folder with steps running is
refused. The database is read from one consistent snapshot and copied in one PostgreSQL
transaction, which commits only after every table has been read back and found equal (row
counts, every column of every row, a SHA-256 over each table); on any difference nothing is
written. A PostgreSQL database that already holds runs or events is refused: create a new one.

The artifact files of every run are stored in PostgreSQL as well, each read back and checked by
size and SHA-256; every file a run refers to is looked for, and one missing from the folder is a
warning (it was missing before). The folder keeps its files: use it afterwards as the local
cache, with the database, and no longer without it (its railbook.db is left as it was and would
not see new runs):
  railbook serve --data-dir <dir> --database postgres://…

Examples:
  createdb railbook
  railbook migrate --from sqlite:./data --to postgres://railbook@localhost:5432/railbook
  railbook migrate --from ~/railbook-data --to postgres://me:secret@db.example.org/railbook`)
    .action(async (opts: Options) => {
      const dataDir = sourceFolder(opts.from);
      const url = targetUrl(opts.to);
      const [{ migrateToPostgres, MigrateError }, { redactUrl }, { formatBytes }] = await Promise.all([
        import('../../store/migrate/migrate.ts'),
        import('../../store/postgres/postgres-database.ts'),
        import('../../widgets/format.ts'),
      ]);
      let report;
      try {
        report = await migrateToPostgres(dataDir, url, {
          onProgress: (p) => process.stderr.write(`railbook: ${p.phase} ${p.table}: ${p.done}/${p.total}\n`),
        });
      } catch (e) {
        if (!(e instanceof MigrateError)) throw e;
        if (e.kind === 'refused') throw new CliError(e.message, EXIT.usage);
        if (e.kind === 'unreachable') throw new CliError(`cannot open the PostgreSQL database: ${e.message}`, EXIT.unexpected);
        throw new CliError([e.message, ...e.differences.map((d) => `  ${d}`)].join('\n'), EXIT.unexpected);
      }
      for (const p of report.artifactProblems) {
        const why = p.reason === 'absent' ? 'is missing from the data folder'
          : p.reason === 'size' ? `has ${p.actual} bytes in the data folder, the run recorded ${p.expected}`
          : 'points outside the data folder';
        process.stderr.write(`railbook: warning: ${p.path} (run ${p.run}) ${why}; it was so before the migration too\n`);
      }
      for (const key of report.unreadableStates) process.stderr.write(`railbook: warning: run ${key}: its state is not valid JSON; copied as it was, its artifacts not checked\n`);
      if (report.replaced.settings > 0) {
        process.stderr.write(`railbook: note: the settings PostgreSQL already held (${report.replaced.settings}, e.g. a CSRF secret from an earlier start) were replaced by the data folder's; restart any Railbook already using it\n`);
      }
      for (const folder of report.strayArtifactFolders) process.stderr.write(`railbook: note: ${folder} belongs to no run in the database; left in the data folder, not stored\n`);
      const c = report.counts;
      const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
      const files = report.artifactFiles ? `, ${n(report.artifactFiles.stored, 'artifact file')} (${formatBytes(report.artifactFiles.bytes)})` : '';
      process.stdout.write(`copied ${n(c.runs, 'run')}, ${n(c.events, 'event')}, ${n(c.profiles, 'profile')}, ${n(c.settings, 'setting')}${files}; verified\n`);
      const dir = displayPath(report.dataDir);
      process.stdout.write(`from now on: railbook serve --data-dir ${dir} --database ${redactUrl(url)} (${dir} keeps the artifacts as a local cache; its railbook.db is no longer used)\n`);
    });
}

/** `sqlite:<dir>`, `sqlite://<dir>` or a bare path; any other scheme is bad usage. */
export function sourceFolder(from: string): string {
  const given = from.trim();
  let dir = given;
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(given)?.[1];
  if (scheme?.toLowerCase() === 'sqlite') {
    dir = given.slice('sqlite:'.length);
    if (dir.startsWith('//')) dir = dir.slice(2);
  } else if (scheme && given.slice(scheme.length + 1).startsWith('//')) {
    throw new CliError(`--from must be a data folder (sqlite:<dir> or just <dir>), not ${scheme}://…; the target goes in --to`);
  }
  if (dir.trim() === '') throw new CliError('--from is empty; give the data folder, e.g. --from sqlite:./data');
  return path.resolve(dir);
}

/** The target: a postgres:// URL, else bad usage (said before anything is opened). */
export function targetUrl(to: string): string {
  const url = to.trim();
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new CliError('--to must be a PostgreSQL URL such as postgres://user@localhost:5432/railbook (migrate copies a SQLite data folder into PostgreSQL)');
  }
  return url;
}
