import { formatBytes } from '../widgets/format.ts';

/**
 * The one upload limit: the largest file a web upload or a job file's local file may be. People
 * bring multi-GB log and crawl exports, and uploads stream to disk, so memory is not what bounds
 * it; disk space is. A widget's own `maxBytes` may narrow it for its field, never widen it.
 */
export const DEFAULT_MAX_UPLOAD_BYTES = 10_000_000_000;

/** The environment variable `--max-upload` falls back to. */
export const MAX_UPLOAD_ENV = 'RAILBOOK_MAX_UPLOAD';

const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};

/**
 * "500MB", "10 GB", "1.5GiB", "2048": a size in bytes. Decimal units (kB = 1000) as file managers
 * show sizes; KiB/MiB/GiB/TiB for binary ones. Throws a message that says what is accepted.
 */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new Error(`"${text.slice(0, 40)}" is not a size: give a number of bytes, or a number with a unit such as 500MB, 10GB or 2GiB`);
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new Error(`"${text.slice(0, 40)}" is not a size above zero that Railbook can count`);
  return bytes;
}

/** The limit in effect: `--max-upload` if given, else RAILBOOK_MAX_UPLOAD, else the default. Throws naming the source at fault. */
export function resolveMaxUpload(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const [text, source] = flag !== undefined ? [flag, '--max-upload'] : [env[MAX_UPLOAD_ENV], `$${MAX_UPLOAD_ENV}`];
  if (text === undefined || (source !== '--max-upload' && text.trim() === '')) return DEFAULT_MAX_UPLOAD_BYTES;
  try {
    return parseSize(text);
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
}

/** A field's own limit: its widget's `maxBytes` if smaller, else the global limit. */
export function fieldUploadLimit(widgetMax: number | undefined, globalMax: number): number {
  return widgetMax !== undefined && widgetMax < globalMax ? widgetMax : globalMax;
}

/** "10 GB". */
export function describeLimit(bytes: number): string {
  return formatBytes(bytes);
}

/** The help text `serve --help` and `run --help` show for the flag. */
export const MAX_UPLOAD_HELP = `largest file an upload or a job file may hold, e.g. 500MB, 10GB (default: $${MAX_UPLOAD_ENV}, else ${formatBytes(DEFAULT_MAX_UPLOAD_BYTES)})`;
