/**
 * Seeds from sitemaps: urlsets, sitemap indexes (followed a bounded number of levels), `.xml.gz`
 * (or any gzip body, told by its magic bytes), size-capped, malformed XML read as far as it goes
 * (htmlparser2 in xmlMode never throws on bad markup).
 */
import zlib from 'node:zlib';
import { Parser } from 'htmlparser2';
import type { Agent } from 'undici';
import { fetchPage } from './fetch-page.ts';

export interface SitemapOptions {
  userAgent: string;
  dispatcher?: Agent;
  /** Bytes per sitemap file, compressed and decoded alike (the protocol's own cap is 50 MB). */
  maxBytes?: number;
  /** Sitemap files read in all, indexes included. */
  maxSitemaps?: number;
  /** Page URLs collected in all. */
  maxUrls?: number;
  /** Levels of sitemap indexes followed. */
  maxDepth?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Asked before fetching a sitemap (robots, scope). */
  allow?: (url: string) => boolean;
}

export interface SitemapReport {
  url: string;
  status: number;
  kind: 'urlset' | 'index' | 'unknown';
  urls: number;
  error: string | undefined;
}

export interface SitemapSeeds {
  urls: string[];
  sitemaps: SitemapReport[];
}

/** The <loc> values of a sitemap document, split by whether they sit in <sitemap> or <url>. */
export function parseSitemap(xml: string): { kind: SitemapReport['kind']; pages: string[]; children: string[] } {
  const pages: string[] = [];
  const children: string[] = [];
  const stack: string[] = [];
  let kind: SitemapReport['kind'] = 'unknown';
  let text = '';
  const local = (name: string): string => name.toLowerCase().replace(/^.*:/, '');
  const parser = new Parser(
    {
      onopentag(name) {
        const n = local(name);
        if (n === 'urlset' && kind === 'unknown') kind = 'urlset';
        if (n === 'sitemapindex' && kind === 'unknown') kind = 'index';
        stack.push(n);
        if (n === 'loc') text = '';
      },
      ontext(t) {
        if (stack[stack.length - 1] === 'loc') text += t;
      },
      onclosetag(name) {
        const n = local(name);
        if (n === 'loc') {
          const parent = stack[stack.length - 2];
          const loc = text.trim();
          if (loc && /^https?:\/\//i.test(loc)) {
            if (parent === 'sitemap') children.push(loc);
            else if (parent === 'url') pages.push(loc);
          }
        }
        // Pop to the matching open tag: malformed nesting does not derail the rest.
        const i = stack.lastIndexOf(n);
        if (i >= 0) stack.length = i;
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(xml);
  parser.end();
  return { kind, pages, children };
}

function gunzipCapped(buf: Buffer, cap: number): { text: string; error: string | undefined } {
  try {
    // Z_SYNC_FLUSH: a cut .gz still yields what it holds.
    const out = zlib.gunzipSync(buf, { maxOutputLength: cap, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    return { text: out.toString('utf8'), error: undefined };
  } catch (e) {
    const tooBig = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError;
    return { text: '', error: tooBig ? 'too large (decompressed)' : 'bad gzip' };
  }
}

export async function collectSitemapSeeds(roots: string[], opts: SitemapOptions): Promise<SitemapSeeds> {
  const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
  const maxSitemaps = opts.maxSitemaps ?? 100;
  const maxUrls = opts.maxUrls ?? 100_000;
  const maxDepth = opts.maxDepth ?? 3;
  const seenSitemaps = new Set<string>();
  const seenUrls = new Set<string>();
  const out: SitemapSeeds = { urls: [], sitemaps: [] };
  let queue: string[] = [...new Set(roots)];
  for (let depth = 0; depth <= maxDepth && queue.length > 0; depth++) {
    const next: string[] = [];
    for (const sm of queue) {
      if (opts.signal?.aborted) break;
      if (seenSitemaps.has(sm) || seenSitemaps.size >= maxSitemaps || out.urls.length >= maxUrls) continue;
      seenSitemaps.add(sm);
      if (opts.allow && !opts.allow(sm)) continue;
      const res = await fetchPage(sm, {
        userAgent: opts.userAgent,
        maxBytes,
        totalTimeoutMs: opts.timeoutMs ?? 30_000,
        headersTimeoutMs: opts.timeoutMs ?? 30_000,
        maxRedirects: 5,
        headers: { accept: 'application/xml,text/xml,*/*;q=0.5' },
        ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const report: SitemapReport = { url: sm, status: res.status, kind: 'unknown', urls: 0, error: res.error };
      out.sitemaps.push(report);
      if (res.status < 200 || res.status >= 300) continue;
      let text: string;
      if (res.body[0] === 0x1f && res.body[1] === 0x8b) {
        const g = gunzipCapped(res.body, maxBytes);
        text = g.text;
        report.error = g.error ?? report.error;
      } else {
        text = res.body.toString('utf8');
      }
      const parsed = parseSitemap(text);
      report.kind = parsed.kind;
      for (const u of parsed.pages) {
        if (out.urls.length >= maxUrls) break;
        if (seenUrls.has(u)) continue;
        seenUrls.add(u);
        out.urls.push(u);
        report.urls++;
      }
      next.push(...parsed.children);
    }
    queue = next;
  }
  return out;
}
