/**
 * A crawl's SQLite file: the frontier (urls), what was fetched (pages: the PageRecord), and the raw
 * responses (bodies → blobs, brotli-compressed, content-addressed so identical bodies are kept once).
 * Each finished page is written together with the links it adds to the frontier (a savepoint), and
 * several pages share one commit (`batch`): a `kill -9` leaves each page either done with its links
 * queued, or still to fetch. The rendered HTML of a JavaScript-rendering crawl is kept the same way
 * as the raw body (table `rendered`).
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { compressBody, compressBodyAsync, decompress, type PreparedBody } from './crawl-bodies.ts';
import { SCHEMA } from './crawl-schema.ts';
import type { PageRecord } from './page-record.ts';

export { compressBody, compressBodyAsync, type PreparedBody } from './crawl-bodies.ts';

export type UrlState = 'queued' | 'fetching' | 'done' | 'failed' | 'skipped';

export interface UrlRow {
  id: number;
  url: string;
  /** The origin, e.g. https://example.com:8080. */
  host: string;
  depth: number;
}

export interface NewUrl {
  url: string;
  depth: number;
  /** Set when the URL is recorded but not to be fetched (robots, depth, infinite space…). */
  skipReason?: string | undefined;
  source?: 'seed' | 'sitemap' | 'link';
}


/** When the open batch of writes is committed: whichever comes first. */
export interface BatchLimits {
  pages: number;
  ms: number;
}

export interface StoredBody {
  body: Buffer;
  contentType: string | undefined;
}

export interface StoreCounts {
  queued: number;
  fetching: number;
  done: number;
  failed: number;
  skipped: number;
}


/**
 * Politeness and robots.txt go by origin (scheme, host, port): the `host` column holds it. A
 * normalised http(s) URL's href starts with its origin, so that is cut from the string.
 */
export function hostOf(url: string): string {
  const start = url.indexOf('//');
  const end = start < 0 ? -1 : url.indexOf('/', start + 2);
  if (end > 0 && !url.includes('@')) return url.slice(0, end).toLowerCase();
  return new URL(url).origin;
}

export class CrawlStore {
  readonly db: Database.Database;
  private readonly st: ReturnType<CrawlStore['prepare']>;
  private batchPages = 0;
  /**
   * URLs known to be in `urls` (inserted or met by this connection): most links of a page point to
   * pages already known, and skipping their INSERT is the biggest saving in `addUrls`. Bounded;
   * cleared when a write is rolled back, since it may then hold URLs that are not in the table.
   */
  private readonly known = new Set<string>();
  private batchTimer: NodeJS.Timeout | undefined;
  private timerError: Error | undefined;
  /** Commit after this many finished pages or this long after the batch began. */
  batchLimits: BatchLimits = { pages: 128, ms: 500 };

  constructor(readonly path: string) {
    this.db = new Database(path);
    // WAL + NORMAL: a killed process loses nothing committed; only a power cut could.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.st = this.prepare();
  }

  private prepare() {
    const d = this.db;
    return {
      find: d.prepare<[string], { id: number; state: UrlState }>('SELECT id, state FROM urls WHERE url = ?'),
      insert: d.prepare('INSERT OR IGNORE INTO urls (url, host, depth, state, reason, source) VALUES (?, ?, ?, ?, ?, ?)'),
      setState: d.prepare('UPDATE urls SET state = ?, reason = ? WHERE id = ?'),
      claim: d.prepare("UPDATE urls SET state = 'fetching' WHERE id = ? AND state = 'queued'"),
      nextForHost: d.prepare<[string, number], UrlRow>(
        "SELECT id, url, host, depth FROM urls WHERE state = 'queued' AND host = ? ORDER BY id LIMIT ?",
      ),
      queuedHosts: d.prepare<[], { host: string }>("SELECT DISTINCT host FROM urls WHERE state = 'queued'"),
      counts: d.prepare<[], { state: UrlState; n: number }>('SELECT state, COUNT(*) AS n FROM urls GROUP BY state'),
      page: d.prepare(
        `INSERT OR REPLACE INTO pages (url_id, status, final_url, content_type, bytes, error, fetched_at, record)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      hasBlob: d.prepare<[string], { one: number }>('SELECT 1 AS one FROM blobs WHERE hash = ?'),
      blob: d.prepare('INSERT OR IGNORE INTO blobs (hash, encoding, size, data) VALUES (?, ?, ?, ?)'),
      body: d.prepare('INSERT OR REPLACE INTO bodies (url_id, hash) VALUES (?, ?)'),
      rendered: d.prepare('INSERT OR REPLACE INTO rendered (url_id, hash, ms) VALUES (?, ?, ?)'),
      getRendered: d.prepare<[number], { encoding: string; data: Buffer }>(
        'SELECT b.encoding, b.data FROM rendered x JOIN blobs b ON b.hash = x.hash WHERE x.url_id = ?',
      ),
      setRecord: d.prepare('UPDATE pages SET record = ?, error = ? WHERE url_id = ?'),
      getRecord: d.prepare<[number], { record: string }>('SELECT record FROM pages WHERE url_id = ?'),
      pageIds: d.prepare<[], { url_id: number }>('SELECT url_id FROM pages ORDER BY url_id'),
      getBody: d.prepare<[number], { encoding: string; data: Buffer; content_type: string | null }>(
        `SELECT b.encoding, b.data, p.content_type FROM bodies x JOIN blobs b ON b.hash = x.hash
         LEFT JOIN pages p ON p.url_id = x.url_id WHERE x.url_id = ?`,
      ),
      spaceGet: d.prepare<[string], { n: number }>('SELECT n FROM space_counts WHERE key = ?'),
      spaceBump: d.prepare('INSERT INTO space_counts (key, n) VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET n = n + 1'),
      metaGet: d.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      metaSet: d.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
  }

  /**
   * After a crash or a stop: what was being fetched is queued again; done stays done. URLs skipped
   * because their robots.txt could not be read are queued again too: the next run asks again.
   */
  recover(): number {
    return this.tx(
      () =>
        this.db.prepare("UPDATE urls SET state = 'queued', reason = NULL WHERE state = 'fetching'").run().changes +
        this.db
          .prepare("UPDATE urls SET state = 'queued', reason = NULL WHERE state = 'skipped' AND reason LIKE 'robots.txt unreachable%'")
          .run().changes,
    );
  }

  /**
   * Add URLs not seen before. `guard` may turn a new URL into a skipped one (infinite spaces); it
   * runs only for URLs that are new, so its counters count distinct URLs. Returns how many were new.
   */
  addUrls(urls: NewUrl[], guard?: (url: string) => string | undefined): number {
    let added = 0;
    for (const u of urls) {
      if (this.known.has(u.url)) continue;
      if (this.known.size >= KNOWN_URLS_MAX) this.known.clear();
      this.known.add(u.url);
      // Inserted first (most links are known already: the conflict is the cheap lookup), then
      // turned into a skipped one when new and in an infinite space.
      const r = this.st.insert.run(u.url, hostOf(u.url), u.depth, u.skipReason ? 'skipped' : 'queued', u.skipReason ?? null, u.source ?? 'link');
      if (r.changes === 0) continue;
      added++;
      const reason = u.skipReason === undefined ? guard?.(u.url) : undefined;
      if (reason) this.st.setState.run('skipped', reason, r.lastInsertRowid);
    }
    return added;
  }

  /** Counted distinct-URL budget for an infinite-space key; true when still under `cap`. */
  spaceTake(key: string, cap: number): boolean {
    const n = this.st.spaceGet.get(key)?.n ?? 0;
    if (n >= cap) return false;
    this.st.spaceBump.run(key);
    return true;
  }

  queuedHosts(): string[] {
    return this.st.queuedHosts.all().map((r) => r.host);
  }

  /** The next queued URLs of one host (not claimed). */
  peekHost(host: string, limit: number): UrlRow[] {
    return this.st.nextForHost.all(host, limit);
  }

  /** Mark a queued URL as being fetched; false when it is no longer queued (done meanwhile). */
  claim(id: number): boolean {
    return this.batched(() => this.st.claim.run(id).changes === 1, false);
  }

  release(id: number): void {
    this.batched(() => this.st.setState.run('queued', null, id), false);
  }

  /**
   * Hash a body and compress it on libuv's thread pool (not this thread), when it is not stored
   * already. The result goes to `finish`.
   */
  async prepareBody(body: Buffer): Promise<PreparedBody> {
    const hash = createHash('sha256').update(body).digest('hex');
    const compressed = this.st.hasBlob.get(hash) ? undefined : await compressBodyAsync(body);
    return { hash, size: body.length, compressed, body };
  }

  /**
   * Run `fn` inside the open batch (one is begun when none is): its writes commit with the batch,
   * all or nothing. `page` counts toward the batch's page limit.
   */
  batched<T>(fn: () => T, page = true): T {
    if (this.timerError) {
      // A commit from the timer failed (disk full…): the caller hears of it here, not as a crash.
      const e = this.timerError;
      this.timerError = undefined;
      throw e;
    }
    if (!this.db.inTransaction) {
      this.db.exec('BEGIN');
      this.batchPages = 0;
      this.batchTimer = setTimeout(() => {
        try {
          this.flush();
        } catch (e) {
          this.timerError = e as Error;
        }
      }, this.batchLimits.ms);
      this.batchTimer.unref();
    }
    const out = fn();
    if (page && ++this.batchPages >= this.batchLimits.pages) this.flush();
    return out;
  }

  /** Commit the open batch, if any: what it holds is then safe from a kill. */
  flush(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (!this.db.open || !this.db.inTransaction) return;
    try {
      this.db.exec('COMMIT');
    } catch (e) {
      this.known.clear();
      throw e;
    }
  }

  /**
   * The page, its raw body (a Buffer, or prepared by `prepareBody`), the links it found and the
   * rendered HTML when there is one, all or nothing, in the open batch (see `batched`).
   */
  finish(
    id: number,
    record: PageRecord,
    body: Buffer | PreparedBody | undefined,
    newUrls: NewUrl[],
    guard?: (url: string) => string | undefined,
    /** Where the redirects ended, recorded as fetched too so it is not fetched again. */
    target?: PageRecord,
    /** The rendered HTML (JavaScript rendering) and how long it took. */
    rendered?: { body: PreparedBody; ms: number },
  ): void {
    const state: UrlState = record.status === 0 ? 'failed' : 'done';
    const prepared = body === undefined ? undefined : Buffer.isBuffer(body) ? (body.length > 0 ? this.prepareBodySync(body) : undefined) : body;
    const hash = prepared?.hash;
    const json = JSON.stringify(record);
    this.batched(() =>
      this.txOrForget(() => {
        this.st.page.run(id, record.status, record.finalUrl, record.contentType ?? null, record.bytes, record.error ?? null, record.fetchedAt, json);
        if (prepared) {
          this.putBlob(prepared);
          this.st.body.run(id, prepared.hash);
        }
        if (rendered) {
          this.putBlob(rendered.body);
          this.st.rendered.run(id, rendered.body.hash, Math.round(rendered.ms));
        }
        this.st.setState.run(state, record.error ?? null, id);
        if (target) this.finishTarget(target, hash, rendered);
        this.addUrls(newUrls, guard);
      }),
    );
  }

  /**
   * Stores a prepared body's blob. One prepared as "stored already" is checked again: the page
   * that stored it may have been rolled back since (its own write failed), and a body must never
   * point at a blob that is not there.
   */
  private putBlob(b: PreparedBody): void {
    if (b.compressed) this.st.blob.run(b.hash, 'br', b.size, b.compressed);
    else if (!this.st.hasBlob.get(b.hash)) this.st.blob.run(b.hash, 'br', b.size, compressBody(b.body));
  }

  private prepareBodySync(body: Buffer): PreparedBody {
    const hash = createHash('sha256').update(body).digest('hex');
    return { hash, size: body.length, compressed: this.st.hasBlob.get(hash) ? undefined : compressBody(body), body };
  }

  private finishTarget(target: PageRecord, hash: string | undefined, rendered: { body: PreparedBody; ms: number } | undefined): void {
    let row = this.st.find.get(target.url);
    if (!row) {
      this.st.insert.run(target.url, hostOf(target.url), target.depth, 'queued', null, 'link');
      row = this.st.find.get(target.url);
    }
    // Only a URL still waiting is taken over: one being fetched or done keeps its own record.
    if (!row || row.state !== 'queued') return;
    this.st.page.run(
      row.id, target.status, target.finalUrl, target.contentType ?? null, target.bytes, target.error ?? null,
      target.fetchedAt, JSON.stringify(target),
    );
    if (hash) this.st.body.run(row.id, hash);
    if (rendered) this.st.rendered.run(row.id, rendered.body.hash, Math.round(rendered.ms));
    this.st.setState.run(target.status === 0 ? 'failed' : 'done', 'redirect target', row.id);
  }

  skip(id: number, reason: string): void {
    this.batched(() => this.st.setState.run('skipped', reason, id));
  }

  fail(id: number, reason: string): void {
    this.batched(() => this.st.setState.run('failed', reason, id));
  }

  counts(): StoreCounts {
    const c: StoreCounts = { queued: 0, fetching: 0, done: 0, failed: 0, skipped: 0 };
    for (const r of this.st.counts.all()) c[r.state] = r.n;
    return c;
  }

  /** The raw response of a URL id, decompressed (for re-analysis). */
  body(id: number): StoredBody | undefined {
    const r = this.st.getBody.get(id);
    if (!r) return undefined;
    return { body: decompress(r.encoding, r.data), contentType: r.content_type ?? undefined };
  }

  /** The rendered HTML of a URL id (a crawl with JavaScript rendering), decompressed. */
  renderedBody(id: number): Buffer | undefined {
    const r = this.st.getRendered.get(id);
    return r ? decompress(r.encoding, r.data) : undefined;
  }

  /** One stored page record by URL id. */
  page(id: number): PageRecord | undefined {
    const r = this.st.getRecord.get(id);
    return r ? (JSON.parse(r.record) as PageRecord) : undefined;
  }

  /** The URL ids of every stored page, in order (a plain array: ids are small). */
  pageIds(): number[] {
    return this.st.pageIds.all().map((r) => r.url_id);
  }

  /** The seed URLs of the crawl (its scope is made from them). */
  seedUrls(): string[] {
    return (this.db.prepare("SELECT url FROM urls WHERE source = 'seed' ORDER BY id").all() as { url: string }[]).map((r) => r.url);
  }

  /** Replace a stored page record (re-analysis); the columns beside it do not change. */
  updateRecord(id: number, record: PageRecord): void {
    this.batched(() => this.st.setRecord.run(JSON.stringify(record), record.error ?? null, id));
  }

  /** Every stored page record, in fetch order of ids (streams: no whole-table array). */
  /** URLs that entered the frontier from a sitemap (the orphan candidates of the findings). */
  sitemapUrls(): Set<string> {
    const rows = this.db.prepare("SELECT url FROM urls WHERE source = 'sitemap'").all() as { url: string }[];
    return new Set(rows.map((r) => r.url));
  }

  *pages(): Generator<PageRecord & { id: number }> {
    const it = this.db.prepare<[], { url_id: number; record: string }>('SELECT url_id, record FROM pages ORDER BY url_id').iterate();
    for (const r of it) yield { ...(JSON.parse(r.record) as PageRecord), id: r.url_id };
  }

  getMeta(key: string): string | undefined {
    return this.st.metaGet.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.st.metaSet.run(key, value);
  }

  tx<T>(fn: () => T): T {
    return this.txOrForget(fn);
  }

  private txOrForget<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (e) {
      this.known.clear();
      throw e;
    }
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}

/** URLs remembered as known (see `CrawlStore.known`): some tens of MB at most. */
const KNOWN_URLS_MAX = 200_000;
