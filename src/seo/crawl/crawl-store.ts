/**
 * A crawl's SQLite file: the frontier (urls), what was fetched (pages: the PageRecord), and the raw
 * responses (bodies → blobs, brotli-compressed, content-addressed so identical bodies are kept once).
 * Each finished page is written in ONE transaction with the links it adds to the frontier, so a
 * `kill -9` leaves either the page done with its links queued, or the URL still to fetch.
 */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import type { PageRecord } from './page-record.ts';

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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS urls (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL UNIQUE,
  host TEXT NOT NULL,
  depth INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  reason TEXT,
  -- How it came in: seed, sitemap or link (orphans are sitemap URLs no page links to).
  source TEXT NOT NULL DEFAULT 'link'
);
CREATE INDEX IF NOT EXISTS urls_queue ON urls(state, host, id);
CREATE TABLE IF NOT EXISTS pages (
  url_id INTEGER PRIMARY KEY REFERENCES urls(id),
  status INTEGER NOT NULL,
  final_url TEXT NOT NULL,
  content_type TEXT,
  bytes INTEGER NOT NULL,
  error TEXT,
  fetched_at INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blobs (
  hash TEXT PRIMARY KEY,
  encoding TEXT NOT NULL,
  size INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS bodies (
  url_id INTEGER PRIMARY KEY REFERENCES urls(id),
  hash TEXT NOT NULL REFERENCES blobs(hash)
);
CREATE TABLE IF NOT EXISTS space_counts (
  key TEXT PRIMARY KEY,
  n INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

/** Politeness and robots.txt go by origin (scheme, host, port): the `host` column holds it. */
function hostOf(url: string): string {
  return new URL(url).origin;
}

export class CrawlStore {
  readonly db: Database.Database;
  private readonly st: ReturnType<CrawlStore['prepare']>;

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
      if (this.st.find.get(u.url)) continue;
      const reason = u.skipReason ?? guard?.(u.url);
      const r = this.st.insert.run(u.url, hostOf(u.url), u.depth, reason ? 'skipped' : 'queued', reason ?? null, u.source ?? 'link');
      added += r.changes;
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
    return this.st.claim.run(id).changes === 1;
  }

  release(id: number): void {
    this.st.setState.run('queued', null, id);
  }

  /** The page, its raw body and the links it found, in one transaction. */
  finish(
    id: number,
    record: PageRecord,
    body: Buffer | undefined,
    newUrls: NewUrl[],
    guard?: (url: string) => string | undefined,
    /** Where the redirects ended, recorded as fetched too so it is not fetched again. */
    target?: PageRecord,
  ): void {
    const state: UrlState = record.status === 0 ? 'failed' : 'done';
    const hash = body && body.length > 0 ? createHash('sha256').update(body).digest('hex') : undefined;
    // Compressed outside the transaction, and only when this content is not kept already.
    const compressed = body && hash && !this.st.hasBlob.get(hash) ? compressBody(body) : undefined;
    this.tx(() => {
      this.st.page.run(
        id, record.status, record.finalUrl, record.contentType ?? null, record.bytes, record.error ?? null,
        record.fetchedAt, JSON.stringify(record),
      );
      if (body && hash) {
        if (compressed) this.st.blob.run(hash, 'br', body.length, compressed);
        this.st.body.run(id, hash);
      }
      this.st.setState.run(state, record.error ?? null, id);
      if (target) this.finishTarget(target, hash);
      this.addUrls(newUrls, guard);
    });
  }

  private finishTarget(target: PageRecord, hash: string | undefined): void {
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
    this.st.setState.run(target.status === 0 ? 'failed' : 'done', 'redirect target', row.id);
  }

  skip(id: number, reason: string): void {
    this.st.setState.run('skipped', reason, id);
  }

  fail(id: number, reason: string): void {
    this.st.setState.run('failed', reason, id);
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
    const body = r.encoding === 'br' ? zlib.brotliDecompressSync(r.data) : zlib.gunzipSync(r.data);
    return { body, contentType: r.content_type ?? undefined };
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
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}

/** Brotli at a middling quality: most of the ratio, a fraction of the CPU of quality 11. */
export function compressBody(body: Buffer): Buffer {
  return zlib.brotliCompressSync(body, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 5,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
}
