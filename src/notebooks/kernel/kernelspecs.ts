// Finding installed Jupyter kernels the way Jupyter itself does (jupyter_core's `jupyter_path`):
// every data directory on the search path has a `kernels/<name>/kernel.json`, and the first
// directory that has a given name wins, so a user's own kernelspec overrides the system's.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export type InterruptMode = 'signal' | 'message';

export interface Kernelspec {
  /** The folder name, which is how notebooks refer to it (`metadata.kernelspec.name`). */
  name: string;
  displayName: string;
  /** Lower-case, as notebooks compare it. */
  language: string;
  /** Command line; `{connection_file}` is replaced when the kernel starts. */
  argv: string[];
  /** Extra environment variables for the kernel process. */
  env: Record<string, string>;
  interruptMode: InterruptMode;
  /** The kernelspec's own folder (logos, and `{resource_dir}` in argv). */
  resourceDir: string;
  metadata: Record<string, unknown>;
}

/** A kernelspec folder whose kernel.json cannot be used: reported, never fatal to the listing. */
export interface KernelspecProblem {
  dir: string;
  problem: string;
}

export interface KernelspecListing {
  specs: Kernelspec[];
  problems: KernelspecProblem[];
}

type Env = Record<string, string | undefined>;

/**
 * The data directories Jupyter searches, most preferred first: `JUPYTER_PATH` entries, the user
 * data dir (`JUPYTER_DATA_DIR`, else `$XDG_DATA_HOME/jupyter`, else ~/.local/share/jupyter), the
 * environment's prefix, then the system-wide ones.
 */
export function jupyterDataDirs(env: Env = process.env): string[] {
  const dirs: string[] = [];
  for (const entry of (env.JUPYTER_PATH ?? '').split(path.delimiter)) {
    if (entry.trim()) dirs.push(path.resolve(entry));
  }
  const home = env.HOME || homedir();
  const userDir = env.JUPYTER_DATA_DIR
    ? env.JUPYTER_DATA_DIR
    : path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter');
  dirs.push(path.resolve(userDir));
  // A virtualenv/conda prefix, when one is active (Jupyter's sys.prefix entry).
  const prefix = env.VIRTUAL_ENV || env.CONDA_PREFIX;
  if (prefix) dirs.push(path.join(prefix, 'share', 'jupyter'));
  dirs.push('/usr/local/share/jupyter', '/usr/share/jupyter');
  return [...new Set(dirs)];
}

/** Kernelspec folder names Jupyter accepts (jupyter_client's `_is_valid_kernel_name`). */
const VALID_NAME = /^[a-z0-9._-]+$/i;

/** Every installed kernelspec; a duplicate name resolves to the earliest directory. */
export function findKernelspecs(env: Env = process.env): KernelspecListing {
  const specs = new Map<string, Kernelspec>();
  const problems: KernelspecProblem[] = [];
  for (const dataDir of jupyterDataDirs(env)) {
    const kernelsDir = path.join(dataDir, 'kernels');
    if (!isDir(kernelsDir)) continue;
    for (const entry of readdirSync(kernelsDir).sort()) {
      const dir = path.join(kernelsDir, entry);
      // Jupyter matches names case-insensitively and stores them lower-case.
      const name = entry.toLowerCase();
      if (specs.has(name) || !VALID_NAME.test(entry) || !existsSync(path.join(dir, 'kernel.json'))) continue;
      const read = readKernelspec(name, dir);
      if ('problem' in read) problems.push(read);
      else specs.set(name, read);
    }
  }
  return { specs: [...specs.values()], problems };
}

/** One kernelspec by name (case-insensitive), or undefined when none is installed under it. */
export function findKernelspec(name: string, env: Env = process.env): Kernelspec | undefined {
  return findKernelspecs(env).specs.find((s) => s.name === name.toLowerCase());
}

function readKernelspec(name: string, dir: string): Kernelspec | KernelspecProblem {
  const file = path.join(dir, 'kernel.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return { dir, problem: `${file} is not valid JSON: ${(err as Error).message}` };
  }
  if (!raw || typeof raw !== 'object') return { dir, problem: `${file} is not a JSON object` };
  const spec = raw as Record<string, unknown>;
  const argv = spec.argv;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) {
    return { dir, problem: `${file}: "argv" must be a non-empty list of strings` };
  }
  const env: Record<string, string> = {};
  if (spec.env && typeof spec.env === 'object') {
    for (const [k, v] of Object.entries(spec.env as Record<string, unknown>)) {
      if (typeof v === 'string') env[k] = v;
    }
  }
  const mode = spec.interrupt_mode;
  if (mode !== undefined && mode !== 'signal' && mode !== 'message') {
    return { dir, problem: `${file}: "interrupt_mode" must be "signal" or "message", not ${JSON.stringify(mode)}` };
  }
  return {
    name,
    displayName: typeof spec.display_name === 'string' ? spec.display_name : name,
    language: typeof spec.language === 'string' ? spec.language.toLowerCase() : '',
    argv: argv as string[],
    env,
    interruptMode: mode ?? 'signal',
    resourceDir: dir,
    metadata: spec.metadata && typeof spec.metadata === 'object' ? (spec.metadata as Record<string, unknown>) : {},
  };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
