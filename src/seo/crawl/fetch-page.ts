/**
 * Fetch one URL for the crawler: redirects followed by hand (each hop recorded, loops and too many
 * hops stopped), only http/https, the body decoded here (gzip, deflate, br) so the byte limit counts
 * DECODED bytes (a gzip bomb stops at the limit), a headers timeout and a total-time limit (a slow
 * drip is cut, keeping what came). Never throws for what the target does: the error is in the result.
 */
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { Agent, request } from 'undici';
import type { RedirectHop } from './page-record.ts';

export const DEFAULT_USER_AGENT = 'RailbookBot/0.1 (Railbook SEO crawler)';

export interface FetchLimits {
  userAgent: string;
  /** Decoded body bytes kept per response; more is cut (`truncated`). */
  maxBytes: number;
  headersTimeoutMs: number;
  /** From the first request to the end of the last body, redirects included. */
  totalTimeoutMs: number;
  maxRedirects: number;
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = {
  userAgent: DEFAULT_USER_AGENT,
  maxBytes: 5 * 1024 * 1024,
  headersTimeoutMs: 15_000,
  totalTimeoutMs: 30_000,
  maxRedirects: 10,
};

export interface FetchResult {
  url: string;
  finalUrl: string;
  /** 0 when there was no final response (see `error`). */
  status: number;
  redirects: RedirectHop[];
  contentType: string | undefined;
  xRobotsTag: string | undefined;
  /** The decoded body, possibly cut at `maxBytes`. */
  body: Buffer;
  truncated: boolean;
  ttfbMs: number | undefined;
  totalMs: number | undefined;
  fetchedAt: number;
  error: string | undefined;
}

export interface FetchOptions extends Partial<FetchLimits> {
  dispatcher?: Agent;
  signal?: AbortSignal;
  /** Asked before each redirect hop is fetched; false stops there (the 3xx is the result). */
  allowRedirect?: (url: string) => boolean;
  /** Extra request headers (e.g. Accept for sitemaps). */
  headers?: Record<string, string>;
}

/** One Agent per crawl: `connections` caps the sockets per origin. */
export function createCrawlAgent(connectionsPerOrigin: number, headersTimeoutMs = 15_000): Agent {
  return new Agent({ connections: connectionsPerOrigin, headersTimeout: headersTimeoutMs, pipelining: 1 });
}

export function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : v;
}

function describeError(e: unknown): string {
  const err = e as { code?: string; message?: string; name?: string };
  if (err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (err.code) return `network error: ${err.code}`;
  return `network error: ${err.message ?? String(e)}`;
}

function makeDecoder(encoding: string | undefined): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === 'gzip' || enc === 'x-gzip') return zlib.createGunzip();
  if (enc === 'deflate') return zlib.createInflate();
  if (enc === 'br') return zlib.createBrotliDecompress();
  return undefined;
}

interface BodyRead {
  body: Buffer;
  truncated: boolean;
  error: string | undefined;
}

/** Read (and decode) a body up to `maxBytes` decoded bytes; stops early on the signal. */
function readBody(src: Readable, encoding: string | undefined, maxBytes: number, signal: AbortSignal): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let done = false;
    const decoder = makeDecoder(encoding);
    const out: Readable = decoder ? src.pipe(decoder) : src;
    const finish = (truncated: boolean, error: string | undefined): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      // Cut short: close the response (and its socket). Read to the end: leave it, so the
      // connection goes back to the pool for the next request.
      if (truncated || error !== undefined) {
        src.destroy();
        decoder?.destroy();
      }
      resolve({ body: Buffer.concat(chunks, n), truncated, error });
    };
    const onAbort = (): void => finish(false, 'timeout');
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    out.on('data', (c: Buffer) => {
      if (done) return;
      if (n + c.length > maxBytes) {
        const room = maxBytes - n;
        chunks.push(c.subarray(0, room));
        n += room;
        finish(true, 'too large');
        return;
      }
      chunks.push(c);
      n += c.length;
    });
    out.on('end', () => finish(false, undefined));
    const onError = (e: unknown): void =>
      finish(false, signal.aborted ? 'timeout' : decoder && e !== undefined && (e as { code?: string }).code?.startsWith('Z_') ? 'bad content encoding' : describeError(e));
    out.on('error', onError);
    if (decoder) src.on('error', onError);
  });
}

export async function fetchPage(url: string, opts: FetchOptions = {}): Promise<FetchResult> {
  const lim: FetchLimits = { ...DEFAULT_FETCH_LIMITS };
  for (const k of Object.keys(DEFAULT_FETCH_LIMITS) as (keyof FetchLimits)[]) {
    if (opts[k] !== undefined) (lim as unknown as Record<string, unknown>)[k] = opts[k];
  }
  const fetchedAt = Date.now();
  const t0 = performance.now();
  const result: FetchResult = {
    url, finalUrl: url, status: 0, redirects: [], contentType: undefined, xRobotsTag: undefined,
    body: Buffer.alloc(0), truncated: false, ttfbMs: undefined, totalMs: undefined, fetchedAt, error: undefined,
  };
  if (!isHttpUrl(url)) {
    result.error = 'unsupported scheme';
    return result;
  }
  // The total-time limit and the caller's stop share one signal.
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error('timeout')), lim.totalTimeoutMs);
  const onOuter = (): void => ac.abort(new Error('stopped'));
  if (opts.signal?.aborted) onOuter();
  opts.signal?.addEventListener('abort', onOuter, { once: true });
  const seen = new Set<string>([url]);
  let current = url;
  try {
    for (;;) {
      let res: Awaited<ReturnType<typeof request>>;
      const tReq = performance.now();
      try {
        res = await request(current, {
          method: 'GET',
          ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
          signal: ac.signal,
          headersTimeout: lim.headersTimeoutMs,
          bodyTimeout: lim.totalTimeoutMs,
          headers: {
            'user-agent': lim.userAgent,
            'accept-encoding': 'gzip, deflate, br',
            accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
            ...opts.headers,
          },
        });
      } catch (e) {
        result.error = ac.signal.aborted ? (opts.signal?.aborted ? 'stopped' : 'timeout') : describeError(e);
        return result;
      }
      result.ttfbMs = Math.round(performance.now() - tReq);
      const location = header(res.headers, 'location');
      if (res.statusCode >= 300 && res.statusCode < 400 && location !== undefined) {
        await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
        let next: string;
        try {
          next = new URL(location, current).href;
        } catch {
          result.status = res.statusCode;
          result.error = 'bad redirect location';
          return result;
        }
        result.redirects.push({ url: current, status: res.statusCode, location: next });
        result.status = res.statusCode;
        if (!isHttpUrl(next)) {
          result.error = 'redirect to unsupported scheme';
          return result;
        }
        if (seen.has(next)) {
          result.error = 'redirect loop';
          return result;
        }
        if (result.redirects.length > lim.maxRedirects) {
          result.error = 'too many redirects';
          return result;
        }
        if (opts.allowRedirect && !opts.allowRedirect(next)) {
          result.error = 'redirect not followed';
          return result;
        }
        seen.add(next);
        current = next;
        result.finalUrl = next;
        continue;
      }
      result.status = res.statusCode;
      result.finalUrl = current;
      result.contentType = header(res.headers, 'content-type');
      const xrt = header(res.headers, 'x-robots-tag');
      result.xRobotsTag = xrt === undefined ? undefined : xrt.toLowerCase();
      const read = await readBody(res.body, header(res.headers, 'content-encoding'), lim.maxBytes, ac.signal);
      result.body = read.body;
      result.truncated = read.truncated;
      result.error = read.error === 'timeout' && opts.signal?.aborted ? 'stopped' : read.error;
      return result;
    }
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuter);
    result.totalMs = Math.round(performance.now() - t0);
  }
}
