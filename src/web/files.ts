import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { PathEscapeError, realpathInside, safeName } from '../store/artifacts.ts';

/**
 * Serves artifact files: `GET <mount>/artifacts/<run key>/<file>` from inside
 * `<dataDir>/artifacts` and nowhere else. Mount it with `app.route('/files', filesRoute(dataDir))`.
 *
 * The path is taken from the raw (still percent-encoded) URL and checked segment by segment:
 * no `..` or `.`, no empty segments (absolute paths), no encoded `/` or `\`, no NUL; then the
 * real path (symlinks followed) must still lie inside the artifacts folder, and be a regular file.
 */
export function filesRoute(dataDir: string, fetchMissing?: (refPath: string) => Promise<unknown>): Hono {
  const app = new Hono();
  /** With PostgreSQL a file written on another machine is fetched from the database first (rel is safe here). */
  const openArtifact = async (dir: string, rel: string) => {
    await fetchMissing?.(`artifacts/${rel}`).catch(() => undefined);
    return openArtifactFile(dir, rel);
  };
  // An HTML output of a notebook, as a document of its own for an <iframe sandbox="allow-scripts">.
  // The CSP's `sandbox` makes it sandboxed even when opened directly: its scripts run (charts need
  // them) but in an opaque origin, so they can read nothing of the app and the app's checks refuse
  // any request they make to change something.
  app.get('/frame/artifacts/*', async (c) => {
    const rel = artifactRelPath(new URL(c.req.url).pathname);
    if (rel === undefined) return c.text('Bad Request: invalid file path\n', 400);
    if (!/\.html?$/i.test(rel)) return c.text('Not Found: only HTML outputs are shown in a frame\n', 404);
    const file = await openArtifact(dataDir, rel);
    if (!file) return c.text('Not Found\n', 404);
    const headers = new Headers({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(file.size),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, no-cache',
      'Content-Security-Policy': FRAME_CSP,
    });
    if (c.req.method === 'HEAD') {
      await file.handle.close();
      return new Response(null, { status: 200, headers });
    }
    return new Response(Readable.toWeb(file.handle.createReadStream()) as ReadableStream<Uint8Array>, { status: 200, headers });
  });
  app.get('/artifacts/*', async (c) => {
    const rel = artifactRelPath(new URL(c.req.url).pathname);
    if (rel === undefined) return c.text('Bad Request: invalid file path\n', 400);
    const file = await openArtifact(dataDir, rel);
    if (!file) return c.text('Not Found\n', 404);
    const { handle, size } = file;
    const type = contentTypeFor(rel);
    const headers = new Headers({
      'Content-Type': type.mime,
      'Content-Length': String(size),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, no-cache',
      // Opened directly, a file is a sandboxed document: no scripts, no access to the app's origin.
      'Content-Security-Policy': "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox",
      'Content-Disposition': contentDisposition(type.inline ? 'inline' : 'attachment', downloadName(path.posix.basename(rel), c.req.query('name'))),
    });
    if (c.req.method === 'HEAD') {
      await handle.close();
      return new Response(null, { status: 200, headers });
    }
    const stream = handle.createReadStream();
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status: 200, headers });
  });
  return app;
}

/** Framed HTML outputs: scripts and styles of their own, in a sandbox without the app's origin; framed only by the app. */
export const FRAME_CSP = "sandbox allow-scripts; default-src 'self' data: blob: https: 'unsafe-inline' 'unsafe-eval'; frame-ancestors 'self'";

/**
 * The path below `/artifacts/` of a raw URL path, decoded and validated; undefined if it is not
 * a plain relative path of at least `<run key>/<file>`.
 */
export function artifactRelPath(rawPathname: string): string | undefined {
  const marker = '/artifacts/';
  const at = rawPathname.indexOf(marker);
  if (at < 0) return undefined;
  const segments = rawPathname.slice(at + marker.length).split('/');
  if (segments.length < 2) return undefined;
  const decoded: string[] = [];
  for (const raw of segments) {
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (!isSafeSegment(s)) return undefined;
    decoded.push(s);
  }
  return decoded.join('/');
}

/** A single path component that cannot climb, root, or smuggle a separator. */
export function isSafeSegment(s: string): boolean {
  if (s === '' || s === '.' || s === '..') return false;
  if (s.includes('/') || s.includes('\\') || s.includes('\0')) return false;
  // Windows drive letters and other control characters have no place in an artifact name.
  if (/[\x00-\x1f:]/.test(s)) return false;
  return true;
}

/** Opens a regular file inside `<dataDir>/artifacts`, or undefined (missing, directory, escaping). */
async function openArtifactFile(dataDir: string, rel: string): Promise<{ handle: import('node:fs/promises').FileHandle; size: number } | undefined> {
  let real: string;
  try {
    const root = path.join(await realpath(dataDir), 'artifacts');
    real = await realpathInside(root, rel);
  } catch (e) {
    if (e instanceof PathEscapeError) return undefined;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EACCES') return undefined;
    throw e;
  }
  let handle: import('node:fs/promises').FileHandle;
  try {
    // O_NOFOLLOW: if the last component became a link after realpath, refuse rather than follow it.
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  const st = await handle.stat();
  if (!st.isFile()) {
    await handle.close();
    return undefined;
  }
  return { handle, size: st.size };
}

interface TypeInfo {
  mime: string;
  /** Safe to show in the browser (images, plain text); everything else downloads. */
  inline: boolean;
}

const TYPES: Record<string, TypeInfo> = {
  png: { mime: 'image/png', inline: true },
  jpg: { mime: 'image/jpeg', inline: true },
  jpeg: { mime: 'image/jpeg', inline: true },
  gif: { mime: 'image/gif', inline: true },
  webp: { mime: 'image/webp', inline: true },
  avif: { mime: 'image/avif', inline: true },
  txt: { mime: 'text/plain; charset=utf-8', inline: true },
  log: { mime: 'text/plain; charset=utf-8', inline: true },
  md: { mime: 'text/plain; charset=utf-8', inline: true },
  csv: { mime: 'text/csv; charset=utf-8', inline: true },
  tsv: { mime: 'text/tab-separated-values; charset=utf-8', inline: true },
  json: { mime: 'application/json', inline: true },
  // Active or complex formats: always downloaded, never rendered in our origin.
  svg: { mime: 'image/svg+xml', inline: false },
  html: { mime: 'text/html; charset=utf-8', inline: false },
  htm: { mime: 'text/html; charset=utf-8', inline: false },
  xml: { mime: 'application/xml', inline: false },
  pdf: { mime: 'application/pdf', inline: false },
  zip: { mime: 'application/zip', inline: false },
  gz: { mime: 'application/gzip', inline: false },
  ipynb: { mime: 'application/x-ipynb+json', inline: false },
  parquet: { mime: 'application/vnd.apache.parquet', inline: false },
};

const UNKNOWN: TypeInfo = { mime: 'application/octet-stream', inline: false };

export function contentTypeFor(name: string): TypeInfo {
  const ext = path.posix.extname(name).slice(1).toLowerCase();
  return TYPES[ext] ?? UNKNOWN;
}

/**
 * The name a download is saved as. Files are stored as `<hash>-<safe name>` ("été ☃.svg" becomes
 * `bc703a1f77f4-_t_.svg`); links carry the person's own name in `?name=`. It is used only if it
 * is the name this file was stored under, so a link cannot rename a file (to `.exe`, say).
 */
export function downloadName(stored: string, asked: string | undefined): string {
  const dash = stored.indexOf('-');
  if (asked === undefined || dash < 0 || /[\u0000-\u001f\u007f/\\]/.test(asked)) return stored;
  return safeName(asked) === stored.slice(dash + 1) ? asked : stored;
}

/** RFC 6266: an ASCII fallback for old clients, and the exact name as UTF-8 in `filename*` (RFC 8187). */
function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}
