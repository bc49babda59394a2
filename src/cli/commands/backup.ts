import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { dataFolder, databaseUrl, displayPath, withGlobalOptions, type GlobalOptions } from '../context.ts';
import { CliError } from '../exit-codes.ts';

interface Options extends GlobalOptions {
  to?: string;
}

/** `railbook backup [--to file]`: a consistent backup of the data folder, safe while the app runs. */
export function backupCommand(program: Command): void {
  const cmd = program
    .command('backup')
    .description('back up the data folder (database and artifacts) into one .tar.gz, safe while Railbook runs')
    .option('--to <file>', 'where to write the archive (default: <data folder>/backups/railbook-<time>.tar.gz)')
    .addHelpText('after', `
The database is copied with SQLite's online backup API, so runs may go on being written
meanwhile; the archive holds a manifest with every file's size and SHA-256. The archive
appears under its name only once complete. \`railbook restore <file>\` brings it back.

Examples:
  railbook backup
  railbook backup --to ~/Backups/railbook-today.tar.gz
  railbook backup --data-dir ~/railbook-data --to /mnt/usb/railbook.tar.gz`)
    .action(async (opts: Options) => {
      const [{ createBackup, defaultBackupPath, BackupError }, { resolveDataDir }, { formatBytes }] = await Promise.all([
        import('../../store/backup.ts'),
        import('../../store/data-dir.ts'),
        import('../../widgets/format.ts'),
      ]);
      if (databaseUrl(opts)) {
        throw new CliError('railbook backup copies a data folder\'s SQLite database; a PostgreSQL database is backed up with its own tools (pg_dump, or the server\'s base backups)');
      }
      const dataDir = dataFolder(opts.dataDir, resolveDataDir);
      if (opts.to !== undefined && opts.to.trim() === '') throw new CliError('--to is empty; give a file name such as backup.tar.gz');
      const to = opts.to !== undefined ? path.resolve(opts.to) : defaultBackupPath(dataDir);
      let manifest;
      try {
        manifest = await createBackup(dataDir, to);
      } catch (e) {
        if (e instanceof BackupError) throw new CliError(e.message);
        throw e;
      }
      const size = (await stat(to)).size;
      const c = manifest.counts;
      process.stdout.write(`${displayPath(to)}\n`);
      process.stdout.write(`backed up ${c.runs} run${c.runs === 1 ? '' : 's'}, ${c.events} events, ${c.artifactFiles} artifact file${c.artifactFiles === 1 ? '' : 's'} (${formatBytes(c.bytes)}); archive ${formatBytes(size)}\n`);
      for (const m of manifest.missingArtifacts) {
        if (m.reason === 'absent') process.stderr.write(`railbook: warning: ${m.path} (run ${m.run}) is missing from the data folder; backed up without it\n`);
      }
    });
  withGlobalOptions(cmd, { workflows: false });
}
