import type { Command } from 'commander';
import { displayPath, withGlobalOptions, type GlobalOptions } from '../context.ts';
import { CliError } from '../exit-codes.ts';

/** `railbook restore <file>`: a backup into an empty data folder, verified before anything lands. */
export function restoreCommand(program: Command): void {
  const cmd = program
    .command('restore')
    .argument('<file>', 'a backup made by `railbook backup` (.tar.gz)')
    .description('restore a backup into an empty (or new) data folder, checking every file first')
    .addHelpText('after', `
Refuses a data folder that holds anything. Every file's size and SHA-256 is checked against the
backup's manifest, the database's integrity and counts are checked, and every artifact a run
refers to must be there; on any problem nothing is restored and each problem is named.

Examples:
  railbook restore data/backups/railbook-2026-12-01T08-00-00-000Z.tar.gz --data-dir ~/railbook-restored
  RAILBOOK_DATA_DIR=/srv/railbook railbook restore /mnt/usb/railbook.tar.gz`)
    .action(async (file: string, opts: GlobalOptions) => {
      const [{ restoreBackup }, { BackupError }, { formatBytes }] = await Promise.all([
        import('../../store/restore.ts'),
        import('../../store/backup-manifest.ts'),
        import('../../widgets/format.ts'),
      ]);
      const dataDir = opts.dataDir ?? process.env.RAILBOOK_DATA_DIR ?? 'data';
      let report;
      try {
        report = await restoreBackup(file, dataDir);
      } catch (e) {
        if (e instanceof BackupError) throw new CliError(e.message);
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'ENOTDIR' || err.code === 'EEXIST') throw new CliError(`cannot restore into ${dataDir}: ${err.message}`);
        throw e;
      }
      for (const w of report.warnings) process.stderr.write(`railbook: warning: ${w}\n`);
      process.stdout.write(`restored ${report.runs} run${report.runs === 1 ? '' : 's'}, ${report.events} events, ${report.artifactFiles} artifact file${report.artifactFiles === 1 ? '' : 's'} (${formatBytes(report.bytes)}) into ${displayPath(report.dataDir)}; all checks passed\n`);
    });
  withGlobalOptions(cmd, { workflows: false });
}
