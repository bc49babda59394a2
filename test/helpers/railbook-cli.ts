// The real `railbook` command in a child process, for tests of what a person at a terminal sees:
// its exit code, stdout and stderr. The environment is the test runner's minus anything that would
// change what the command does (Railbook's own settings, NODE_OPTIONS), plus what the test gives.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from './backends.ts';
import { freshDatabase } from './postgres.ts';
import { tempDir } from './temp-engine.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'railbook.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const LEAKY = ['RAILBOOK_DATA_DIR', 'RAILBOOK_DATABASE_URL', 'RAILBOOK_WORKFLOWS_DIR', 'RAILBOOK_NOTEBOOKS_DIR', 'RAILBOOK_BACKUP_KEEP', 'RAILBOOK_AUTO_BACKUP', 'RAILBOOK_KERNEL_IDLE', 'RAILBOOK_DEBUG', 'RAILBOOK_MAX_UPLOAD', 'NODE_OPTIONS'];

/** The environment of a clean shell: the runner's, minus Railbook's own settings (and `unset`), plus `given`. */
export function cleanEnv(given: NodeJS.ProcessEnv = {}, unset: readonly string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', ...given };
  for (const k of [...LEAKY, ...unset]) if (!(k in given)) delete env[k];
  return env;
}

/** `unset` names more variables to remove unless `env` sets them. */
export function railbookCli(args: string[], opts: { env?: NodeJS.ProcessEnv; unset?: string[]; cwd?: string } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: cleanEnv(opts.env, opts.unset) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface CliData {
  /** The data folder (artifacts; on SQLite the database too). */
  dir: string;
  /** The PostgreSQL database, on that backend. */
  databaseUrl: string | undefined;
  /** What a child process needs in its environment to use this store: RAILBOOK_DATABASE_URL on PostgreSQL. */
  env: NodeJS.ProcessEnv;
  /** Removes the folder and drops the database. */
  cleanup: () => Promise<void>;
}

/** A fresh store for `railbook` children to share: a temp data folder and, on PostgreSQL, a fresh database. */
export async function cliData(backend: Backend, prefix = 'railbook-cli-'): Promise<CliData> {
  const tmp = tempDir(prefix);
  const db = backend === 'postgres' ? await freshDatabase() : undefined;
  return {
    dir: tmp.dir,
    databaseUrl: db?.url,
    env: db ? { RAILBOOK_DATABASE_URL: db.url } : {},
    cleanup: async () => {
      await db?.drop();
      tmp.cleanup();
    },
  };
}
