/**
 * Where documents come from: a file, a folder (recursively), or a web page, read into plain text
 * (`DocumentInput`s for documents.ts). Only text Railbook can read is taken: everything else is
 * refused or skipped with a reason a person can act on. A run's output is added by its owner
 * through `VectorMemory.addDocument({ source: 'run:<key>/<step>', … })`.
 */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import sanitizeHtml from 'sanitize-html';
import { fetchFailure } from '../wire.ts';
import type { DocumentInput } from './documents.ts';

export interface SourceOptions {
  /** Largest file read (bytes, default 10 MB). */
  maxFileBytes?: number | undefined;
  /** Largest web page read (bytes, default 5 MB). */
  maxUrlBytes?: number | undefined;
  /** How long a web page may take (default 20 s). */
  urlTimeoutMs?: number | undefined;
  /** Most files taken from one folder (default 10 000). */
  maxFolderFiles?: number | undefined;
  fetch?: typeof fetch | undefined;
}

export interface Skipped {
  path: string;
  reason: string;
}

export interface ReadResult {
  documents: DocumentInput[];
  /** Files of a folder that were not taken, and why. */
  skipped: Skipped[];
}

/** Something that cannot be added; the message names it and says why. */
export class SourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceError';
  }
}

/** The kind of document each readable extension makes. */
export const FILE_KINDS: Readonly<Record<string, string>> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.txt': 'text',
  '.html': 'html',
  '.htm': 'html',
  '.json': 'json',
  '.csv': 'csv',
  '.ipynb': 'notebook',
};

const MB = 1024 * 1024;

/** A path or a URL (anything with a scheme such as `https://` or `ftp://`). */
export async function readSource(arg: string, opts: SourceOptions = {}): Promise<ReadResult> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg) || /^(https?|ftp|file|data|mailto|javascript):/i.test(arg)) {
    return { documents: [await readUrl(arg, opts)], skipped: [] };
  }
  const file = path.resolve(arg);
  const st = await stat(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new SourceError(`${arg}: no such file or folder`);
    throw new SourceError(`${arg}: cannot be read (${e.code ?? e.message})`);
  });
  if (st.isDirectory()) return readFolder(file, opts);
  return { documents: [await readFileSource(file, opts)], skipped: [] };
}

export async function readFileSource(file: string, opts: SourceOptions = {}): Promise<DocumentInput> {
  const ext = path.extname(file).toLowerCase();
  const kind = FILE_KINDS[ext];
  if (kind === undefined) {
    throw new SourceError(`${file}: ${ext ? `${ext} files are` : 'a file without an extension is'} not read; Railbook reads ${Object.keys(FILE_KINDS).join(' ')}`);
  }
  const max = opts.maxFileBytes ?? 10 * MB;
  const st = await stat(file);
  if (!st.isFile()) throw new SourceError(`${file}: not a regular file`);
  if (st.size > max) throw new SourceError(`${file}: ${formatSize(st.size)} is larger than the ${formatSize(max)} a file may be`);
  const text = decodeText(await readFile(file), file);
  const name = path.basename(file);
  if (kind === 'html') {
    const page = htmlToText(text);
    return { source: file, kind, title: page.title ?? name, text: page.text };
  }
  if (kind === 'notebook') return { source: file, kind, title: name, text: notebookText(text, file) };
  if (kind === 'markdown') return { source: file, kind, title: markdownTitle(text) ?? name, text };
  return { source: file, kind, title: name, text };
}

/** Every readable file below `dir`; hidden files and folders, other types, binary and oversized files are skipped. */
export async function readFolder(dir: string, opts: SourceOptions = {}): Promise<ReadResult> {
  const documents: DocumentInput[] = [];
  const skipped: Skipped[] = [];
  const maxFiles = opts.maxFolderFiles ?? 10_000;
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = path.join(folder, e.name);
      if (e.name.startsWith('.')) {
        skipped.push({ path: full, reason: 'hidden' });
      } else if (e.isSymbolicLink()) {
        skipped.push({ path: full, reason: 'a symbolic link' });
      } else if (e.isDirectory()) {
        await walk(full);
      } else if (!e.isFile()) {
        skipped.push({ path: full, reason: 'not a regular file' });
      } else if (FILE_KINDS[path.extname(e.name).toLowerCase()] === undefined) {
        skipped.push({ path: full, reason: `not a type Railbook reads (${path.extname(e.name).toLowerCase() || 'no extension'})` });
      } else if (documents.length >= maxFiles) {
        skipped.push({ path: full, reason: `more than ${maxFiles} files` });
      } else {
        try {
          const doc = await readFileSource(full, opts);
          if (doc.text.trim() === '') skipped.push({ path: full, reason: 'empty' });
          else documents.push(doc);
        } catch (err) {
          if (!(err instanceof SourceError)) throw err;
          skipped.push({ path: full, reason: err.message.slice(full.length + 2) });
        }
      }
    }
  };
  if (!(await lstat(dir)).isDirectory()) throw new SourceError(`${dir}: not a folder`);
  await walk(dir);
  return { documents, skipped };
}

/** A web page (http or https only) as text, within a size and a time limit. */
export async function readUrl(raw: string, opts: SourceOptions = {}): Promise<DocumentInput> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SourceError(`${raw}: not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SourceError(`${raw}: only http and https URLs can be added (not ${url.protocol})`);
  const max = opts.maxUrlBytes ?? 5 * MB;
  const timeoutMs = opts.urlTimeoutMs ?? 20_000;
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(url, { signal, redirect: 'follow', headers: { accept: 'text/html, text/plain, text/markdown, application/json, text/csv;q=0.9, */*;q=0.1' } });
  } catch (e) {
    if (signal.aborted) throw new SourceError(`${url.href}: no answer within ${timeoutMs / 1000} s`);
    throw new SourceError(`${url.href}: could not be fetched (${fetchFailure(e)})`);
  }
  try {
    if (!res.ok) throw new SourceError(`${url.href}: the server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const kind = URL_KINDS[type];
    if (kind === undefined) throw new SourceError(`${url.href}: is ${type || 'of no stated type'}, not text Railbook reads (HTML, plain text, Markdown, JSON, CSV)`);
    const length = Number(res.headers.get('content-length') ?? NaN);
    if (length > max) throw new SourceError(`${url.href}: ${formatSize(length)} is larger than the ${formatSize(max)} a page may be`);
    const body = await readCapped(res, max, url.href, signal, timeoutMs);
    const text = decodeText(body, url.href);
    if (kind === 'html') {
      const page = htmlToText(text);
      return { source: url.href, kind, title: page.title ?? url.href, text: page.text };
    }
    return { source: url.href, kind, title: url.href, text };
  } finally {
    // A refused answer's body is not wanted: free the connection.
    if (!res.bodyUsed) await res.body?.cancel().catch(() => {});
  }
}

const URL_KINDS: Readonly<Record<string, string>> = {
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/plain': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'application/json': 'json',
  'text/csv': 'csv',
};

async function readCapped(res: Response, max: number, name: string, signal: AbortSignal, timeoutMs: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    const reader = res.body?.getReader();
    for (;;) {
      if (!reader) break;
      const { done, value: part } = await reader.read();
      if (done) break;
      size += part.byteLength;
      if (size > max) await reader.cancel().catch(() => {});
      if (size > max) throw new SourceError(`${name}: larger than the ${formatSize(max)} a page may be`);
      chunks.push(Buffer.from(part));
    }
  } catch (e) {
    if (e instanceof SourceError) throw e;
    if (signal.aborted) throw new SourceError(`${name}: not read within ${timeoutMs / 1000} s`);
    throw new SourceError(`${name}: the download broke off (${fetchFailure(e)})`);
  }
  return Buffer.concat(chunks);
}

/** UTF-8 text, or a SourceError for anything that looks binary. */
function decodeText(bytes: Buffer, name: string): string {
  if (bytes.subarray(0, 8192).includes(0)) throw new SourceError(`${name}: looks binary (it has NUL bytes), not text`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new SourceError(`${name}: is not UTF-8 text`);
  }
}

/** The text of a page: no tags, scripts or styles, block elements on lines of their own, entities decoded. */
export function htmlToText(html: string): { title: string | undefined; text: string } {
  const titleMatch = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  const title = titleMatch ? tidy(decodeEntities(titleMatch[1]!.replace(/<[^>]*>/g, ''))).replace(/\s+/g, ' ') : undefined;
  const spaced = html.replace(/<\/(p|div|section|article|header|footer|main|aside|nav|h[1-6]|li|tr|pre|blockquote|table|ul|ol|dl|dt|dd|figure)\s*>|<br\s*\/?>|<hr\s*\/?>/gi, '$&\n\n');
  const bare = sanitizeHtml(spaced, {
    allowedTags: [],
    allowedAttributes: {},
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'template', 'svg', 'head'],
  });
  return { title: title || undefined, text: tidy(decodeEntities(bare)) };
}

function tidy(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** The first level-one heading (`# Title`) near the top, if any. */
function markdownTitle(text: string): string | undefined {
  const m = /^#[ \t]+(.+?)[ \t#]*$/m.exec(text.slice(0, 4000));
  return m ? m[1]!.trim() || undefined : undefined;
}

/** A notebook's cells, markdown and code, as text separated by blank lines (outputs are left out). */
function notebookText(json: string, name: string): string {
  let nb: unknown;
  try {
    nb = JSON.parse(json);
  } catch {
    throw new SourceError(`${name}: not a valid notebook (not JSON)`);
  }
  const cells = (nb as { cells?: unknown }).cells;
  if (!Array.isArray(cells)) throw new SourceError(`${name}: not a valid notebook (no cells)`);
  const parts: string[] = [];
  for (const cell of cells) {
    const src = (cell as { source?: unknown }).source;
    const text = Array.isArray(src) ? src.filter((s): s is string => typeof s === 'string').join('') : typeof src === 'string' ? src : '';
    if (text.trim() !== '') parts.push(text.trim());
  }
  return parts.join('\n\n');
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < MB) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0)} MB`;
}
