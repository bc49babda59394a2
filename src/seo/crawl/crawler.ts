/**
 * `crawl(opts)`: fetch a site within its scope and limits, politely (robots.txt, crawl-delay,
 * per-host concurrency), keeping every page record and raw body in the crawl's SQLite file as it
 * goes. Running it again on the same file resumes: what was being fetched is queued again, what is
 * done is never fetched again, and the seeds and sitemaps are not read twice.
 */
import type { Agent } from 'undici';
import { CrawlStore, hostOf, type NewUrl, type PreparedBody, type StoreCounts, type UrlRow } from './crawl-store.ts';
import { decodeHtml, isHtml } from './decode.ts';
import { extractPage, type ExtractionRule } from './extract.ts';
import { createCrawlAgent, DEFAULT_USER_AGENT, fetchPage } from './fetch-page.ts';
import { Frontier } from './frontier.ts';
import type { PageExtract, PageRecord } from './page-record.ts';
import type { PageRenderer } from './page-renderer.ts';
import { RobotsCache, type RobotsRules } from './robots.ts';
import { DEFAULT_SPACE_LIMITS, makeScope, normalizeUrl, spaceReason, type ScopeOptions, type SpaceLimits } from './scope.ts';
import { collectSitemapSeeds, type SitemapReport } from './sitemaps.ts';

export interface CrawlProgress {
  /** Pages fetched (done or failed), in the store: a resumed crawl counts its earlier pages too. */
  pages: number;
  queued: number;
  active: number;
  /** Pages of this run with no response, a 4xx/5xx status, or a cut/failed body. */
  errors: number;
  skipped: number;
  /** Pages fetched per second in this run. */
  pagesPerSec: number;
  elapsedMs: number;
}

export interface CrawlOptions {
  /** The crawl's SQLite file (created, or resumed when it exists). */
  storePath: string;
  /** Start URL(s) and/or a URL list: all depth 0. */
  startUrls: string[];
  /** Read sitemaps of the start hosts (from robots.txt and /sitemap.xml) for seeds. Default true. */
  discoverSitemaps?: boolean;
  /** Sitemaps to read besides the discovered ones. */
  sitemapUrls?: string[];
  maxPages?: number;
  maxDepth?: number;
  maxTimeMs?: number;
  /** Fetches at once, all hosts. Default 8. */
  concurrency?: number;
  /** Fetches at once per host. Default 2 (1 when robots.txt sets a crawl-delay). */
  perHostConcurrency?: number;
  userAgent?: string;
  maxBytesPerPage?: number;
  headersTimeoutMs?: number;
  /** Total time per page, redirects included. */
  pageTimeoutMs?: number;
  maxRedirects?: number;
  scope?: ScopeOptions;
  space?: Partial<SpaceLimits>;
  /** Honour robots.txt (rules and crawl-delay). Default true. */
  robots?: boolean;
  /** Follow nofollow links (rel or meta robots/X-Robots-Tag nofollow). Default false. */
  followNofollow?: boolean;
  rules?: ExtractionRule[];
  /**
   * JavaScript rendering: HTML pages (2xx) are rendered after fetching and extracted from the
   * rendered HTML, which is stored beside the raw body (`CrawlStore.renderedBody`). A page that
   * fails to render keeps its raw extraction, with the error in `record.rendered`. Not closed here.
   */
  renderer?: PageRenderer;
  signal?: AbortSignal;
  onProgress?: (p: CrawlProgress) => void;
  progressEveryMs?: number;
}

export type StopReason = 'done' | 'max pages' | 'max time' | 'stopped';

export interface CrawlSummary {
  reason: StopReason;
  counts: StoreCounts;
  /** Pages fetched in this run (not counting a resumed crawl's earlier ones). */
  fetchedThisRun: number;
  elapsedMs: number;
  robots: { origin: string; state: RobotsRules['state']; note: string | undefined; crawlDelayMs: number | undefined }[];
  sitemaps: SitemapReport[];
}

function hasNofollow(...values: (string | undefined)[]): boolean {
  return values.some((v) => v !== undefined && /\b(nofollow|none)\b/.test(v));
}

/** A renderer that throws or rejects is a failed render, not a failed page. */
async function renderPage(
  renderer: PageRenderer, url: string, body: Buffer, contentType: string | undefined, signal: AbortSignal,
): Promise<{ html: string; ms: number } | { error: string }> {
  try {
    return await renderer.render(url, body, contentType, signal);
  } catch (e) {
    return { error: `render failed: ${(e as Error).message}` };
  }
}

export async function crawl(opts: CrawlOptions): Promise<CrawlSummary> {
  const t0 = Date.now();
  const userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
  const useRobots = opts.robots ?? true;
  const maxPages = opts.maxPages ?? Infinity;
  const maxDepth = opts.maxDepth ?? Infinity;
  const perHost = opts.perHostConcurrency ?? 2;
  const limits: SpaceLimits = { ...DEFAULT_SPACE_LIMITS, ...opts.space };
  const store = new CrawlStore(opts.storePath);
  const agent: Agent = createCrawlAgent(perHost, opts.headersTimeoutMs ?? 15_000);
  const seeds = opts.startUrls.map((u) => normalizeUrl(u)).filter((u): u is string => u !== undefined);
  const scope = makeScope(seeds, opts.scope ?? {});
  const robots = new RobotsCache({ userAgent, dispatcher: agent, ...(opts.headersTimeoutMs ? { timeoutMs: opts.headersTimeoutMs } : {}) });
  const guard = (url: string): string | undefined => spaceReason(url, limits, (k, c) => store.spaceTake(k, c));
  const stop = new AbortController();
  let reason: StopReason = 'done';
  const onStop = (): void => {
    reason = 'stopped';
    stop.abort();
  };
  opts.signal?.addEventListener('abort', onStop, { once: true });
  if (opts.signal?.aborted) onStop();
  let sitemapReports: SitemapReport[] = [];
  let fetchedThisRun = 0;
  let wake: () => void = () => undefined;
  const poke = (): void => wake();

  try {
    store.recover();
    if (store.getMeta('seeded') !== '1') {
      store.addUrls(seeds.map((url) => ({ url, depth: 0, source: 'seed' as const })), guard);
      const roots = new Set(opts.sitemapUrls ?? []);
      if (opts.discoverSitemaps ?? true) {
        for (const origin of new Set(seeds.map((s) => new URL(s).origin))) {
          roots.add(`${origin}/sitemap.xml`);
          if (useRobots) for (const s of (await robots.forUrl(origin)).sitemaps) roots.add(s);
        }
      }
      if (roots.size > 0 && !stop.signal.aborted) {
        const found = await collectSitemapSeeds([...roots], { userAgent, dispatcher: agent, signal: stop.signal });
        sitemapReports = found.sitemaps;
        const inScope: NewUrl[] = [];
        for (const raw of found.urls) {
          const u = normalizeUrl(raw);
          if (u && scope.inScope(u)) inScope.push({ url: u, depth: 0, source: 'sitemap' });
        }
        store.tx(() => store.addUrls(inScope, guard));
      }
      // A stop while seeding leaves the seeding to the next run (the seeds themselves are kept).
      if (!stop.signal.aborted) {
        store.setMeta('sitemaps', JSON.stringify(sitemapReports));
        store.setMeta('seeded', '1');
      }
    } else {
      sitemapReports = JSON.parse(store.getMeta('sitemaps') ?? '[]') as SitemapReport[];
    }

    const frontier = new Frontier(store, perHost, opts.concurrency ?? 8);
    const preparing = new Set<string>();
    const inflight = new Set<Promise<void>>();
    const pagesBefore = store.counts();
    let lastProgress = 0;
    const progress = (force: boolean): void => {
      if (!opts.onProgress) return;
      const now = Date.now();
      if (!force && now - lastProgress < (opts.progressEveryMs ?? 1000)) return;
      lastProgress = now;
      // What is reported is committed: a kill after this loses none of it.
      store.flush();
      const c = store.counts();
      const elapsedMs = now - t0;
      opts.onProgress({
        pages: c.done + c.failed, queued: c.queued, active: frontier.active, errors, skipped: c.skipped,
        pagesPerSec: elapsedMs > 0 ? (fetchedThisRun * 1000) / elapsedMs : 0, elapsedMs,
      });
    };
    let errors = 0;
    // A link's URL → its normalised form when in scope, else null: pure functions of the URL, and
    // most links repeat from page to page (navigation), so each is worked out once (bounded).
    const linkTargets = new Map<string, string | null>();
    const linkTarget = (url: string): string | null => {
      let t = linkTargets.get(url);
      if (t !== undefined) return t;
      const u = normalizeUrl(url);
      t = u !== undefined && scope.inScope(u) ? u : null;
      if (linkTargets.size >= 100_000) linkTargets.clear();
      linkTargets.set(url, t);
      return t;
    };
    // Internal or not depends on the scheme and host alone: decided once per origin. The origin is
    // cut from the string (the extractor's URLs are serialised hrefs; userinfo goes the slow way).
    const internalByOrigin = new Map<string, boolean>();
    const isInternal = (url: string): boolean => {
      const slash = url.indexOf('/', url.indexOf('//') + 2);
      if (slash < 0 || url.includes('@')) return scope.isInternal(url);
      const origin = url.slice(0, slash);
      let v = internalByOrigin.get(origin);
      if (v === undefined) {
        v = scope.isInternal(url);
        if (internalByOrigin.size >= 10_000) internalByOrigin.clear();
        internalByOrigin.set(origin, v);
      }
      return v;
    };
    const pagesDoneAtStart = pagesBefore.done + pagesBefore.failed;

    const processRow = async (row: UrlRow): Promise<void> => {
      try {
        const rules = useRobots ? await robots.forUrl(row.url) : undefined;
        if (rules && !rules.isAllowed(row.url)) {
          store.skip(row.id, rules.state === 'unreachable' ? `robots.txt unreachable (${rules.note})` : 'robots.txt');
          return;
        }
        const res = await fetchPage(row.url, {
          userAgent, dispatcher: agent, signal: stop.signal,
          ...(opts.maxBytesPerPage !== undefined ? { maxBytes: opts.maxBytesPerPage } : {}),
          ...(opts.headersTimeoutMs !== undefined ? { headersTimeoutMs: opts.headersTimeoutMs } : {}),
          ...(opts.pageTimeoutMs !== undefined ? { totalTimeoutMs: opts.pageTimeoutMs } : {}),
          ...(opts.maxRedirects !== undefined ? { maxRedirects: opts.maxRedirects } : {}),
          allowRedirect: (u) => scope.inScope(u) && (!useRobots || robots.peek(u)?.isAllowed(u) !== false),
        });
        if (res.error === 'stopped') {
          store.release(row.id); // a stop leaves it to the next run
          return;
        }
        let extract: PageExtract | undefined;
        let rendered: PageRecord['rendered'];
        let renderedBody: { body: PreparedBody; ms: number } | undefined;
        const newUrls: NewUrl[] = [];
        // The raw body is hashed and compressed off this thread while the page is extracted.
        const bodyReady = res.body.length > 0 ? store.prepareBody(res.body) : undefined;
        if (res.status >= 200 && res.status < 300 && res.body.length > 0 && isHtml(res.contentType, res.body)) {
          let html = decodeHtml(res.body, res.contentType).text;
          if (opts.renderer) {
            const r = await renderPage(opts.renderer, res.finalUrl, res.body, res.contentType, stop.signal);
            if ('error' in r && stop.signal.aborted) {
              await bodyReady;
              store.release(row.id); // cut by a stop, not a failed render: left to the next run
              return;
            }
            if ('error' in r) rendered = { error: r.error };
            else {
              html = r.html;
              rendered = { ms: r.ms };
              renderedBody = { body: await store.prepareBody(Buffer.from(r.html, 'utf8')), ms: r.ms };
            }
          }
          try {
            extract = extractPage(html, res.finalUrl, { isInternal, ...(opts.rules ? { rules: opts.rules } : {}) });
          } catch (e) {
            // The page and its body are still kept: a fixed extractor can re-analyse it later.
            res.error = `extract failed: ${(e as Error).message}`;
          }
        }
        if (extract) {
          const pageNofollow = hasNofollow(extract.metaRobots, res.xRobotsTag);
          if (row.depth + 1 <= maxDepth && (opts.followNofollow || !pageNofollow)) {
            const seen = new Set<string>();
            for (const link of extract.links) {
              if (!opts.followNofollow && link.rel.includes('nofollow')) continue;
              // External links are never fetched: not normalised or scoped either.
              if (!link.internal) continue;
              const u = linkTarget(link.url);
              if (u === null || seen.has(u)) continue;
              seen.add(u);
              newUrls.push({ url: u, depth: row.depth + 1, source: 'link' });
            }
          }
        }
        const record: PageRecord = {
          url: row.url, depth: row.depth, status: res.status, redirects: res.redirects, finalUrl: res.finalUrl,
          contentType: res.contentType, bytes: res.body.length, truncated: res.truncated, ttfbMs: res.ttfbMs,
          totalMs: res.totalMs, xRobotsTag: res.xRobotsTag, fetchedAt: res.fetchedAt, error: res.error, extract,
          ...(rendered ? { rendered } : {}),
        };
        // The redirects' end is a page of the site too: kept under its own URL, not fetched again.
        const target = normalizeUrl(res.finalUrl);
        const targetRecord: PageRecord | undefined =
          res.redirects.length > 0 && target && target !== row.url && scope.inScope(target) && !res.error
            ? { ...record, url: target, depth: row.depth + 1, redirects: [] }
            : undefined;
        store.finish(row.id, record, bodyReady ? await bodyReady : undefined, newUrls, guard, targetRecord, renderedBody);
        fetchedThisRun++;
        if (res.status === 0 || res.status >= 400 || res.error) errors++;
        const hosts = new Set<string>();
        for (const u of newUrls) hosts.add(hostOf(u.url));
        for (const h of hosts) frontier.noteHost(h);
      } catch (e) {
        // A bug or a store failure on this URL: recorded, and the crawl goes on.
        store.fail(row.id, `crawler error: ${(e as Error).message}`);
        errors++;
      } finally {
        frontier.release(row.host);
        progress(false);
        poke();
      }
    };

    for (;;) {
      if (stop.signal.aborted) break;
      if (opts.maxTimeMs !== undefined && Date.now() - t0 >= opts.maxTimeMs) {
        reason = 'max time';
        stop.abort();
        break;
      }
      for (const host of frontier.hostsNotReady()) {
        if (preparing.has(host)) continue;
        preparing.add(host);
        const ready = useRobots ? robots.forUrl(host) : undefined;
        void Promise.resolve(ready)
          .then((r) => frontier.setReady(host, r?.crawlDelayMs))
          .catch(() => frontier.setReady(host, undefined))
          .finally(poke);
      }
      const fetched = pagesDoneAtStart + fetchedThisRun;
      const next = fetched + frontier.active < maxPages ? frontier.next(Date.now()) : { waitMs: -1 };
      if ('row' in next) {
        const p = processRow(next.row);
        inflight.add(p);
        void p.finally(() => {
          inflight.delete(p);
          poke();
        });
        continue;
      }
      if (fetched >= maxPages && frontier.active === 0) {
        reason = 'max pages';
        break;
      }
      if ('idle' in next && inflight.size === 0) break;
      await new Promise<void>((resolve) => {
        const timers: NodeJS.Timeout[] = [];
        const done = (): void => {
          for (const t of timers) clearTimeout(t);
          stop.signal.removeEventListener('abort', done);
          resolve();
        };
        wake = done;
        stop.signal.addEventListener('abort', done, { once: true });
        if ('waitMs' in next && next.waitMs >= 0) timers.push(setTimeout(done, next.waitMs + 1));
        if (opts.maxTimeMs !== undefined) timers.push(setTimeout(done, Math.max(0, opts.maxTimeMs - (Date.now() - t0))));
      });
    }
    await Promise.all(inflight);
    progress(true);
    const robotsReport = (await robots.all()).map((r) => ({ origin: r.origin, state: r.state, note: r.note, crawlDelayMs: r.crawlDelayMs }));
    return { reason, counts: store.counts(), fetchedThisRun, elapsedMs: Date.now() - t0, robots: robotsReport, sitemaps: sitemapReports };
  } finally {
    opts.signal?.removeEventListener('abort', onStop);
    store.close();
    await agent.destroy().catch(() => undefined);
  }
}
