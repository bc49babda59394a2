import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { Engine } from '../engine/engine.ts';
import type { LoadError, Registry } from '../engine/registry.ts';
import type { Store } from '../store/store.ts';
import { CliError, EXIT } from './exit-codes.ts';

/** The repository's own `notebooks/` folder (kept here so `--help` need not load the notebook code). */
export const BUILTIN_NOTEBOOKS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../notebooks');

/** Options every command accepts. */
export interface GlobalOptions {
  dataDir?: string | undefined;
  /** `--database <url>`: PostgreSQL instead of the data folder's SQLite file. */
  database?: string | undefined;
  workflowsDir?: string | undefined;
  notebooksDir?: string | undefined;
}

/** Adds `--data-dir` and `--workflows-dir` to a command (they work after any command name). */
export function withGlobalOptions(cmd: Command, opts: { workflows?: boolean } = {}): Command {
  cmd.option('--data-dir <dir>', 'data folder (default: $RAILBOOK_DATA_DIR, else ./data)');
  cmd.option('--database <url>', 'a PostgreSQL database (postgres://user@host/db) instead of the data folder\'s SQLite file (default: $RAILBOOK_DATABASE_URL)');
  if (opts.workflows !== false) {
    cmd.option('--workflows-dir <dirs>', `workflow folder(s), separated by "${path.delimiter}" (default: $RAILBOOK_WORKFLOWS_DIR, else the built-in workflows/)`);
    cmd.option('--notebooks-dir <dirs>', `notebook folder(s) (.ipynb, percent scripts), separated by "${path.delimiter}" (default: $RAILBOOK_NOTEBOOKS_DIR, else the built-in notebooks/)`);
  }
  return cmd;
}

/**
 * The workflow folders to load: `--workflows-dir`, else RAILBOOK_WORKFLOWS_DIR, else the
 * repository's `workflows/`. Either may list several folders separated by the platform's path
 * delimiter (":" on Unix, ";" on Windows), e.g. the built-in folder plus a test fixture folder.
 */
export function workflowDirs(flag: string | undefined, builtin: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const chosen = flag ?? env.RAILBOOK_WORKFLOWS_DIR;
  if (chosen === undefined || chosen.trim() === '') return [builtin];
  const dirs = chosen.split(path.delimiter).map((d) => d.trim()).filter((d) => d !== '').map((d) => path.resolve(d));
  return dirs.length ? [...new Set(dirs)] : [builtin];
}

/** The notebook folders to load: `--notebooks-dir`, else RAILBOOK_NOTEBOOKS_DIR, else the repository's `notebooks/`. */
export function notebookDirs(flag: string | undefined, builtin: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return workflowDirs(flag ?? env.RAILBOOK_NOTEBOOKS_DIR ?? '', builtin, {});
}

/**
 * Loads every folder's workflows, and every notebook folder's notebooks, into one registry. A
 * clash of ids or a broken file becomes a load error, not a crash.
 */
export async function loadRegistry(dirs: string[], notebooks: { dirs: string[] } = { dirs: [] }): Promise<Registry> {
  const { loadWorkflows } = await import('../engine/registry.ts');
  const registry = await loadWorkflows(dirs);
  if (notebooks.dirs.length) {
    // Loaded only when there are notebooks to read: the kernels and parsers cost start-up time.
    const { notebookLoader } = await import('../notebooks/notebook-loader.ts');
    const loader = notebookLoader();
    for (const dir of notebooks.dirs) await registry.loadDir(dir, loader);
  }
  return registry;
}

/** A path as a person reads it: relative to where they are if it is below it, else absolute. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export function formatLoadError(e: LoadError): string {
  const shown = displayPath(e.file);
  // Node's words for "this .ts file was treated as CommonJS" are cryptic; say what to do.
  const hint = /require\(\) ES Module|import statement outside a module|ERR_REQUIRE_(ESM|CYCLE)/.test(e.message)
    ? ' (workflow files are ES modules: give their folder a package.json with "type": "module")'
    : '';
  // esbuild's "Transform failed with 1 error:" says what failed on the next line.
  const lines = e.message.split('\n').map((l) => l.trim()).filter(Boolean);
  const first = lines[0]?.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1]}` : (lines[0] ?? '');
  return `${shown}: ${first}${hint}`;
}

export function warnLoadErrors(registry: Registry): void {
  for (const e of registry.errors) process.stderr.write(`railbook: warning: workflow not loaded: ${formatLoadError(e)}\n`);
}

export interface EngineOptions {
  /** Print workflow load errors on stderr (default true). */
  warn?: boolean;
  /**
   * Load the workflow files (default true). Reading runs and states needs none of them; skipping
   * them (and the widgets they import) saves a good part of the start-up time.
   */
  workflows?: boolean;
  /** The one upload limit in bytes (`--max-upload`); the engine's default when absent. */
  maxUploadBytes?: number | undefined;
  /** How long a run's kernel may sit idle (`--kernel-idle`); the engine's default when absent. */
  resourceIdleMs?: number | undefined;
  /** Who executes steps here, as the history shows it (a worker's name); host:pid when absent. */
  worker?: string | undefined;
  /** PostgreSQL: a step's lease (`--lease`, else RAILBOOK_LEASE, else the engine's 30 s). */
  leaseMs?: number | undefined;
}

/**
 * Opens the data folder and loads the workflows: the CLI's version of `bootEngine`, which also
 * accepts several workflow folders. Loaded lazily so `railbook --help` starts fast.
 */
export async function openEngine(opts: GlobalOptions, o: EngineOptions = {}): Promise<Engine> {
  const [{ Engine }, { Store }, { resolveDataDir }, { BUILTIN_WORKFLOWS_DIR, Registry }] = await Promise.all([
    import('../engine/engine.ts'),
    import('../store/store.ts'),
    import('../store/data-dir.ts'),
    import('../engine/registry.ts'),
  ]);
  const store = await openStore(opts, resolveDataDir, (dir, databaseUrl) => Store.open(dir, { databaseUrl }));
  let registry: Registry;
  try {
    registry = o.workflows === false
      ? new Registry()
      : await loadRegistry(workflowDirs(opts.workflowsDir, BUILTIN_WORKFLOWS_DIR), { dirs: notebookDirs(opts.notebooksDir, BUILTIN_NOTEBOOKS_DIR) });
  } catch (e) {
    await store.close();
    throw e;
  }
  if (o.warn !== false) warnLoadErrors(registry);
  try {
    const [{ leaseFrom }, { stepAi }] = await Promise.all([import('./queue-options.ts'), import('../ai/step-ai.ts')]);
    const leaseMs = o.leaseMs ?? leaseFrom(undefined);
    // Steps that ask the model for a comment (the peanut gallery) use the same settings as the chat.
    return await Engine.start(store, registry, { maxUploadBytes: o.maxUploadBytes, resourceIdleMs: o.resourceIdleMs, worker: o.worker, leaseMs, ai: stepAi(store) });
  } catch (e) {
    await store.close();
    throw e;
  }
}

/** Runs `fn` with an engine and always closes it: running steps are recorded as interrupted, the database is closed. */
export async function withEngine<T>(opts: GlobalOptions, fn: (engine: Engine) => Promise<T> | T, o: EngineOptions = {}): Promise<T> {
  const engine = await openEngine(opts, o);
  try {
    return await fn(engine);
  } finally {
    await closeEngine(engine);
  }
}

/** Records running steps as interrupted, shuts the runs' kernels down, closes the database. */
export async function closeEngine(engine: Engine): Promise<void> {
  try {
    await engine.shutdown();
  } finally {
    if (!engine.store.closed) await engine.store.close();
  }
}

/**
 * The PostgreSQL database to use, if any: `--database`, else RAILBOOK_DATABASE_URL. Anything but
 * a postgres:// URL is bad input (exit 2), said before anything is opened.
 */
export function databaseUrl(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = (opts.database ?? env.RAILBOOK_DATABASE_URL ?? '').trim();
  if (url === '') return undefined;
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    const from = opts.database !== undefined ? '--database' : 'RAILBOOK_DATABASE_URL';
    throw new CliError(`${from} must be a PostgreSQL URL such as postgres://user@localhost:5432/railbook (leave it out to use the data folder's SQLite file)`, EXIT.usage);
  }
  return url;
}

/**
 * The data folder, resolved. A path that cannot be a folder (a file, no permission) is bad input
 * (exit 2).
 */
export function dataFolder(flag: string | undefined, resolve: (flag?: string) => string): string {
  try {
    return resolve(flag);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const shown = flag ?? process.env.RAILBOOK_DATA_DIR ?? 'data';
    const why = err.code === 'EEXIST' || err.code === 'ENOTDIR' ? 'it is a file, not a folder'
      : err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS' ? 'permission denied'
      : err.message;
    throw new CliError(`cannot use ${path.resolve(shown)} as the data folder: ${why}`);
  }
}

/**
 * Opens the store: the data folder's SQLite file, or the PostgreSQL database named by `--database`
 * / RAILBOOK_DATABASE_URL. A database that will not open says which one it was.
 */
export async function openStore(opts: GlobalOptions, resolve: (flag?: string) => string, open: (dir: string, databaseUrl: string | undefined) => Promise<Store>): Promise<Store> {
  const url = databaseUrl(opts);
  const dir = dataFolder(opts.dataDir, resolve);
  try {
    return await open(dir, url);
  } catch (e) {
    // The PostgreSQL side names its server itself (without the password).
    throw new CliError(url ? `cannot open the PostgreSQL database: ${(e as Error).message}` : `cannot open the Railbook database in ${dir}: ${(e as Error).message}`, EXIT.unexpected);
  }
}
