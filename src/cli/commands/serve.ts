import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { BUILTIN_NOTEBOOKS_DIR, closeEngine, displayPath, formatLoadError, notebookDirs, openEngine, withGlobalOptions, workflowDirs, type GlobalOptions } from '../context.ts';
import { DEFAULT_HOST, DEFAULT_PORT } from '../../web/listen-defaults.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { maxUploadFrom, withMaxUploadOption } from '../max-upload.ts';

interface Options extends GlobalOptions {
  port: string;
  host: string;
  token?: string;
  open: boolean;
  maxUpload?: string;
  kernelIdle?: string;
  backupKeep?: string;
  autoBackup: boolean;
  schedules: boolean;
}

export function serveCommand(program: Command): void {
  const cmd = program
    .command('serve')
    .description('start the Railbook app and open it in your browser')
    .option('--port <n>', 'port to listen on (0 picks a free one)', String(DEFAULT_PORT))
    .option('--host <host>', 'address to bind; anything but loopback requires an access token', DEFAULT_HOST)
    .option('--token <token>', 'access token for a non-loopback --host (default: a new random one, printed in the URL)')
    .option('--no-open', 'do not open the browser (also skipped when $CI is set)')
    .option('--kernel-idle <minutes>', 'shut a run\'s kernel down after this many minutes without a cell run (default: $RAILBOOK_KERNEL_IDLE, else 10); the next cell replays the run\'s done cells')
    .option('--backup-keep <n>', 'automatic daily backups to keep in <data folder>/backups (default: $RAILBOOK_BACKUP_KEEP, else 7)')
    .option('--no-auto-backup', 'no automatic daily backup (also: RAILBOOK_AUTO_BACKUP=off)')
    .option('--no-schedules', 'do not fire schedules from this server (railbook schedule)')
    .addHelpText('after', `
Prints one line with the URL once the app accepts requests. Ctrl-C stops it cleanly: a step
still running is recorded as interrupted and can be run again after the next start.

Uploads stream to disk (a temp file in the data folder), so memory stays flat whatever their
size. Each file may be at most the upload limit: 10 GB unless --max-upload or
$RAILBOOK_MAX_UPLOAD says otherwise (e.g. 500MB, 20GB, 2GiB). The form states it.

A backup of the data folder is made every 24 hours while it runs (and at start if the last
one is older), into <data folder>/backups; the newest 7 are kept (--backup-keep).

Examples:
  railbook serve
  railbook serve --port 0 --no-open           any free port, no browser
  railbook serve --data-dir ~/railbook-data
  railbook serve --host 0.0.0.0               reachable from your network, token required
  railbook serve --max-upload 20GB            accept files of up to 20 GB
  railbook serve --notebooks-dir ~/notebooks  your notebooks as workflows
  railbook serve --kernel-idle 60             keep idle kernels for an hour
  railbook serve --backup-keep 30             keep a month of daily backups`)
    .action(async (opts: Options) => {
      await serve(opts);
    });
  withMaxUploadOption(cmd);
  withGlobalOptions(cmd);
}

/** `--kernel-idle` / RAILBOOK_KERNEL_IDLE in minutes (fractions allowed), as milliseconds; undefined: the engine's default. */
export function kernelIdleFrom(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--kernel-idle must be a number of minutes greater than 0, not "${text}"`);
  return Math.round(n * 60_000);
}

/** `--backup-keep` / RAILBOOK_BACKUP_KEEP and `--no-auto-backup` / RAILBOOK_AUTO_BACKUP=off. */
export async function backupSettings(opts: { backupKeep?: string | undefined; autoBackup?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<{ keep: number | undefined; enabled: boolean }> {
  const { parseBackupKeep } = await import('../../store/auto-backup.ts');
  const text = opts.backupKeep ?? env.RAILBOOK_BACKUP_KEEP;
  let keep: number | undefined;
  try {
    keep = parseBackupKeep(text);
  } catch (e) {
    throw new CliError(`--backup-keep: ${(e as Error).message}`);
  }
  const off = /^(off|0|false|no)$/i.test(env.RAILBOOK_AUTO_BACKUP?.trim() ?? '');
  return { keep, enabled: opts.autoBackup !== false && !off };
}

export function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new CliError(`--port must be a whole number from 0 to 65535, not "${text}"`);
  }
  return n;
}

async function serve(opts: Options): Promise<void> {
  const port = parsePort(opts.port);
  if (opts.host.trim() === '') throw new CliError('--host is empty; give an address such as 127.0.0.1');
  if (opts.token !== undefined && opts.token.length < 8) throw new CliError('--token is too short: use at least 8 characters (or leave it out to have one generated)');
  const maxUploadBytes = maxUploadFrom(opts.maxUpload);
  const resourceIdleMs = kernelIdleFrom(opts.kernelIdle ?? process.env.RAILBOOK_KERNEL_IDLE);
  const backup = await backupSettings(opts);
  const { startServer } = await import('../../web/server.ts');
  const engine = await openEngine(opts, { maxUploadBytes, resourceIdleMs });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ engine, host: opts.host, port, token: opts.token });
  } catch (e) {
    await closeEngine(engine);
    throw startError(e, opts.host, port);
  }

  const { startAutoBackup } = await import('../../store/auto-backup.ts');
  const backups = startAutoBackup({
    dataDir: engine.store.dataDir,
    keep: backup.keep,
    // PostgreSQL has its own backup tools (pg_dump, base backups); this one copies a SQLite file.
    enabled: backup.enabled && engine.store.backend === 'sqlite',
    onError: (e) => process.stderr.write(`railbook: automatic backup failed: ${(e as Error).message}\n`),
  });

  // Schedules fire from here (with PostgreSQL, from every server and worker: each firing once).
  let scheduler: import('../../schedule/scheduler.ts').Scheduler | undefined;
  if (opts.schedules !== false) {
    const { Scheduler } = await import('../../schedule/scheduler.ts');
    scheduler = new Scheduler(engine, { onFire: logFiring });
    scheduler.start();
  }

  // Stop handlers first, so a signal right after the URL line still stops cleanly: in order, no
  // new requests, steps still running recorded as interrupted, the database closed.
  const stopped = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`railbook: ${signal} again, quitting at once\n`);
        process.exit(EXIT.unexpected);
      }
      stopping = true;
      backups.stop();

      process.stderr.write('railbook: stopping…\n');
      // Idle keep-alive connections or a stuck request must not hold the process for long.
      const force = setTimeout(() => {
        process.stderr.write('railbook: connections did not close in time; quitting\n');
        void closeEngine(engine).finally(() => process.exit(EXIT.ok));
      }, 5000);
      force.unref();
      Promise.resolve()
        // A look in progress finishes before the store closes under it.
        .then(() => scheduler?.stop())
        .then(() => server.close())
        .catch((e: unknown) => process.stderr.write(`railbook: while closing the server: ${(e as Error).message}\n`))
        .then(() => closeEngine(engine))
        .catch((e: unknown) => process.stderr.write(`railbook: while closing: ${(e as Error).message}\n`))
        .finally(() => {
          clearTimeout(force);
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

  // Saving a workflow file or a notebook applies it to the next step submitted, without a restart;
  // a notebook saved into a notebooks folder appears as a new workflow.
  const [{ watchWorkflows }, { BUILTIN_WORKFLOWS_DIR }] = await Promise.all([
    import('../../engine/workflow-watcher.ts'),
    import('../../engine/registry.ts'),
  ]);
  const watched = [...workflowDirs(opts.workflowsDir, BUILTIN_WORKFLOWS_DIR), ...notebookDirs(opts.notebooksDir, BUILTIN_NOTEBOOKS_DIR)];
  const watcher = watchWorkflows(engine.registry, watched, (file, error) => {
    process.stderr.write(error ? `railbook: ${formatLoadError({ file, message: error })} (the previous version stays in use)\n` : `railbook: reloaded ${displayPath(file)}\n`);
  });

  // For a non-loopback bind the URL carries the access token, so a click just works.
  const url = server.url;
  process.stdout.write(`Railbook is running at ${url}\n`);
  if (opts.open && !process.env.CI) openBrowser(url);
  await stopped;
  watcher.close();
}

/** One line on stderr per firing of a schedule (serve and worker). */
export function logFiring(schedule: string, fireAt: string, r: { key?: string; error?: string }): void {
  process.stderr.write(r.key ? `railbook: schedule ${schedule} (${fireAt}): run ${r.key}\n` : `railbook: schedule ${schedule} (${fireAt}) failed: ${r.error}\n`);
}

/**
 * Port in use, no permission, an address that is not this machine's: bad usage (exit 2), in the
 * server's own words (it says what to do). Anything else is unexpected.
 */
export function startError(e: unknown, host: string, port: number): unknown {
  const err = e as (Error & { code?: string; cause?: { code?: string } }) | undefined;
  const code = err?.code ?? err?.cause?.code;
  if (!(e instanceof Error) || typeof code !== 'string') return e;
  if (code === 'EADDRINUSE' && !/\bport\b/i.test(e.message)) {
    return new CliError(`port ${port} is already in use on ${host} — stop the other program, or choose another port with --port (0 picks a free one)`);
  }
  return new CliError(e.message);
}

/** Opens the URL in the default browser; failure (no desktop, no browser) is not an error. */
export function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]]
    : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
    : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore', windowsHide: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No opener: the URL is printed; that is enough.
  }
}
