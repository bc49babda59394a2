/**
 * A crawl survives `kill -9` and a stop: run again on the same SQLite file, it finishes the site
 * and never fetches a URL again that was done (the server counts the requests).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crawl } from '../../src/seo/crawl/crawler.ts';
import { page, startSite, type TestSite } from '../helpers/hostile-site.ts';
import { doneUrls } from '../helpers/crawl-db.ts';
import Database from 'better-sqlite3';

const CHILD = fileURLToPath(new URL('../helpers/crawl-child.ts', import.meta.url));
const CRAWLER = fileURLToPath(new URL('../../src/seo/crawl/crawler.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'crawl-resume-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const PAGES = 100;

/** Page i links to the next three: the site is found a few pages at a time. */
function bigSite(delayMs: number): Promise<TestSite> {
  const routes: Record<string, string> = { '/robots.txt': 'User-agent: *\nAllow: /\n' };
  for (let i = 0; i < PAGES; i++) {
    routes[i === 0 ? '/' : `/p${i}`] = page(`P${i}`, [1, 2, 3].map((d) => i + d).filter((j) => j < PAGES).map((j) => `/p${j}`));
  }
  return startSite(routes, undefined, delayMs);
}

function runChild(storePath: string, startUrl: string, killAtPages?: number): Promise<{ out: string; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, storePath, startUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const pages = [...out.matchAll(/progress (\d+)/g)].map((m) => Number(m[1]));
      // Progress is printed after the page's transaction committed: the store holds them.
      if (killAtPages !== undefined && (pages.at(-1) ?? 0) >= killAtPages && child.exitCode === null) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === null && code !== 0) reject(new Error(`child exited ${code}: ${err}`));
      else resolve({ out, signal });
    });
  });
}

function assertNoDoneRefetched(site: TestSite, doneBefore: string[]): void {
  for (const url of doneBefore) {
    const path = new URL(url).pathname;
    assert.equal(site.count(path), 1, `${path} was done before the restart: fetched once`);
  }
}

describe('crawl resume', () => {
  it('kill -9 mid-crawl, run again: completes, nothing done is fetched twice', async () => {
    const site = await bigSite(20);
    try {
      const store = join(dir, 'killed.sqlite');
      const first = await runChild(store, `${site.origin}/`, 15);
      assert.equal(first.signal, 'SIGKILL');
      assert.doesNotMatch(first.out, /finished/);
      const doneBefore = doneUrls(store);
      assert.ok(doneBefore.length >= 15 && doneBefore.length < PAGES, `killed mid-crawl (${doneBefore.length} done)`);
      const second = await runChild(store, `${site.origin}/`);
      assert.match(second.out, /finished done (\d+)/);
      assert.equal(doneUrls(store).length, PAGES);
      assertNoDoneRefetched(site, doneBefore);
      // What was in flight at the kill may have been asked twice; nothing else.
      const pageRequests = site.requests.filter((r) => r.path !== '/robots.txt').length;
      assert.ok(pageRequests <= PAGES + 4, `${pageRequests} page requests for ${PAGES} pages`);
    } finally {
      await site.close();
    }
  });

  it('kill -9 with several pages per commit: every done page has its record, body and links', async () => {
    // Slow enough that the crawl outlasts its first commits (one every 500 ms).
    const site = await bigSite(20);
    try {
      const store = join(dir, 'batched.sqlite');
      // No progress callback: nothing forces a commit per page, the store batches them.
      const code = `import { crawl } from ${JSON.stringify(CRAWLER)};
        await crawl({ storePath: ${JSON.stringify(store)}, startUrls: [${JSON.stringify(`${site.origin}/`)}], discoverSitemaps: false });`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: 'ignore' });
      // Killed once some pages are committed (read from another connection, as after a crash).
      for (;;) {
        await new Promise((r) => setTimeout(r, 20));
        let n = 0;
        try {
          n = doneUrls(store).length;
        } catch {
          // not created yet
        }
        if (n >= 10 || child.exitCode !== null) break;
      }
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      const db = new Database(store, { readonly: true });
      let doneBefore: string[];
      try {
        const done = db.prepare("SELECT id, url FROM urls WHERE state = 'done'").all() as { id: number; url: string }[];
        doneBefore = done.map((d) => d.url);
        assert.ok(done.length >= 10 && done.length < PAGES, `killed mid-crawl (${done.length} done)`);
        const known = new Set((db.prepare('SELECT url FROM urls').all() as { url: string }[]).map((r) => r.url));
        for (const d of done) {
          const rec = db.prepare('SELECT record FROM pages WHERE url_id = ?').get(d.id) as { record: string } | undefined;
          assert.ok(rec, `${d.url}: done with its record`);
          assert.ok(db.prepare('SELECT 1 FROM bodies WHERE url_id = ?').get(d.id), `${d.url}: done with its body`);
          const links = (JSON.parse(rec.record) as { extract?: { links: { url: string }[] } }).extract?.links ?? [];
          for (const l of links) assert.ok(known.has(l.url), `${d.url}: its link ${l.url} is in the frontier`);
        }
      } finally {
        db.close();
      }
      const second = await runChild(store, `${site.origin}/`);
      assert.match(second.out, /finished done/);
      assert.equal(doneUrls(store).length, PAGES);
      assertNoDoneRefetched(site, doneBefore);
    } finally {
      await site.close();
    }
  });

  it('a stop (AbortSignal) leaves it resumable', async () => {
    const site = await bigSite(5);
    try {
      const store = join(dir, 'stopped.sqlite');
      const ac = new AbortController();
      const first = await crawl({
        storePath: store, startUrls: [`${site.origin}/`], discoverSitemaps: false, signal: ac.signal, progressEveryMs: 0,
        onProgress: (p) => { if (p.pages >= 10) ac.abort(); },
      });
      assert.equal(first.reason, 'stopped');
      const doneBefore = doneUrls(store);
      assert.ok(doneBefore.length >= 10 && doneBefore.length < PAGES);
      const second = await crawl({ storePath: store, startUrls: [`${site.origin}/`], discoverSitemaps: false });
      assert.equal(second.reason, 'done');
      assert.equal(second.counts.done, PAGES);
      assert.equal(second.counts.fetching, 0);
      assertNoDoneRefetched(site, doneBefore);
    } finally {
      await site.close();
    }
  });

  it('stops at max pages and at max depth', async () => {
    const site = await bigSite(0);
    try {
      const a = await crawl({ storePath: join(dir, 'maxpages.sqlite'), startUrls: [`${site.origin}/`], discoverSitemaps: false, maxPages: 7 });
      assert.equal(a.reason, 'max pages');
      assert.equal(a.counts.done, 7);
      const b = await crawl({ storePath: join(dir, 'maxdepth.sqlite'), startUrls: [`${site.origin}/`], discoverSitemaps: false, maxDepth: 2 });
      assert.equal(b.reason, 'done');
      // Depth 0: /, depth 1: p1-p3, depth 2: p4-p6.
      assert.equal(b.counts.done, 7);
    } finally {
      await site.close();
    }
  });

  it('stops at max time, resumable', async () => {
    const site = await bigSite(40);
    try {
      const store = join(dir, 'maxtime.sqlite');
      const a = await crawl({ storePath: store, startUrls: [`${site.origin}/`], discoverSitemaps: false, maxTimeMs: 300 });
      assert.equal(a.reason, 'max time');
      assert.ok(a.counts.done < PAGES);
      assert.equal(a.counts.fetching, 0, 'what was in flight is queued again');
      assert.ok(a.counts.queued > 0);
    } finally {
      await site.close();
    }
  });
});
