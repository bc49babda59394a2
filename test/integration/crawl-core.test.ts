/**
 * The crawler core against real loopback sites: a small site crawled completely, robots.txt rules
 * and crawl-delay honoured (seen from the server), sitemap seeds, and the hostile cases each
 * bounded and recorded while the crawl goes on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { CrawlStore } from '../../src/seo/crawl/crawl-store.ts';
import { crawl, type CrawlProgress } from '../../src/seo/crawl/crawler.ts';
import { makeScope, normalizeUrl } from '../../src/seo/crawl/scope.ts';
import type { PageRecord } from '../../src/seo/crawl/page-record.ts';
import { bigBody, calendar, gzipBomb, page, raw, redirect, slowDrip, startSite } from '../helpers/hostile-site.ts';

const dir = mkdtempSync(join(tmpdir(), 'crawl-core-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function records(path: string): Map<string, PageRecord> {
  const store = new CrawlStore(path);
  try {
    return new Map([...store.pages()].map((p) => [new URL(p.url).pathname + new URL(p.url).search, p]));
  } finally {
    store.close();
  }
}

function urlRows(path: string): { url: string; state: string; reason: string | null; source: string }[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT url, state, reason, source FROM urls').all() as { url: string; state: string; reason: string | null; source: string }[];
  } finally {
    db.close();
  }
}

describe('crawl core', () => {
  it('crawls a small site completely: redirects, a 404, robots rules, no non-http link', async () => {
    const site = await startSite({
      '/robots.txt': raw(200, { 'content-type': 'text/plain' }, 'User-agent: *\nDisallow: /private\n'),
      '/': page('Home', ['/a', '/b', '/old', '/missing', '/private/secret', 'mailto:x@example.com', 'javascript:void(0)', 'ftp://127.0.0.1/f', 'tel:123', '/b#frag']),
      '/a': page('A', ['/', '/b', '/c']),
      '/b': page('B', ['/a', 'https://elsewhere.invalid/x']),
      '/old': redirect(301, '/r2'),
      '/r2': redirect(302, '/c'),
      '/c': page('C', ['/a', '/nofollowed-only'], '') .replace('/nofollowed-only"', '/nofollowed-only" rel="nofollow"'),
    });
    try {
      const store = join(dir, 'small.sqlite');
      const seen: CrawlProgress[] = [];
      // One at a time: a redirect's target then never races its own fetch (so each page is fetched once).
      const sum = await crawl({ storePath: store, startUrls: [`${site.origin}/`], perHostConcurrency: 1, onProgress: (p) => seen.push(p), progressEveryMs: 0 });
      assert.equal(sum.reason, 'done');
      const recs = records(store);
      assert.deepEqual([...recs.keys()].sort(), ['/', '/a', '/b', '/c', '/missing', '/old']);
      const old = recs.get('/old');
      assert.equal(old?.status, 200);
      assert.equal(old?.finalUrl, `${site.origin}/c`);
      assert.deepEqual(old?.redirects.map((h) => [new URL(h.url).pathname, h.status, new URL(h.location).pathname]), [['/old', 301, '/r2'], ['/r2', 302, '/c']]);
      assert.equal(recs.get('/missing')?.status, 404);
      assert.equal(recs.get('/c')?.extract?.title, 'C', 'the redirect target is recorded under its own URL');
      assert.equal(recs.get('/a')?.extract?.title, 'A');
      assert.ok(recs.get('/')?.extract?.links.some((l) => l.url.endsWith('/a') && l.internal));
      // Disallowed: recorded as skipped, never requested. Nofollow: not followed.
      assert.equal(site.count('/private/secret'), 0);
      assert.equal(site.count('/nofollowed-only'), 0);
      const rows = urlRows(store);
      assert.equal(rows.find((r) => r.url.endsWith('/private/secret'))?.reason, 'robots.txt');
      assert.ok(rows.every((r) => /^http:\/\/127\.0\.0\.1:\d+\//.test(r.url)), 'only http(s) in-scope URLs in the frontier');
      assert.equal(site.count('/robots.txt'), 1);
      for (const p of ['/', '/a', '/b', '/c', '/missing']) assert.equal(site.count(p), 1, `${p} fetched once`);
      assert.ok(site.requests.every((r) => r.userAgent?.startsWith('RailbookBot/')));
      assert.equal(seen.at(-1)?.pages, 6);
      assert.equal(sum.fetchedThisRun, 5, '/c came with /old');
      // The raw response is kept, compressed, and reads back whole.
      const s = new CrawlStore(store);
      const id = (s.db.prepare('SELECT id FROM urls WHERE url = ?').get(`${site.origin}/a`) as { id: number }).id;
      assert.match(s.body(id)?.body.toString('utf8') ?? '', /<title>A<\/title>/);
      s.close();
    } finally {
      await site.close();
    }
  });

  it('honours crawl-delay: the server sees requests at least the delay apart', async () => {
    const links = ['/p1', '/p2', '/p3', '/p4'];
    const site = await startSite({
      '/robots.txt': raw(200, {}, 'User-agent: RailbookBot\nCrawl-delay: 0.3\n\nUser-agent: *\nDisallow: /\n'),
      '/': page('Home', links),
      ...Object.fromEntries(links.map((l) => [l, page(l, ['/'])])),
    });
    try {
      const sum = await crawl({ storePath: join(dir, 'delay.sqlite'), startUrls: [`${site.origin}/`], perHostConcurrency: 4, discoverSitemaps: false });
      assert.equal(sum.counts.done, 5);
      assert.equal(sum.robots[0]?.crawlDelayMs, 300);
      const times = site.requests.filter((r) => r.path !== '/robots.txt').map((r) => r.at);
      assert.equal(times.length, 5);
      for (let i = 1; i < times.length; i++) {
        const gap = (times[i] ?? 0) - (times[i - 1] ?? 0);
        assert.ok(gap >= 300, `gap ${i} is ${gap.toFixed(1)} ms, crawl-delay is 300 ms`);
      }
    } finally {
      await site.close();
    }
  });

  it('seeds from sitemaps: robots.txt Sitemap, an index, a .xml.gz, a malformed one', async () => {
    let site: Awaited<ReturnType<typeof startSite>> | undefined;
    const xml = (paths: string[]): string =>
      `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${paths.map((p) => `<url><loc>${site?.origin}${p}</loc></url>`).join('')}</urlset>`;
    site = await startSite({
      '/robots.txt': (_q, res) => res.writeHead(200).end(`User-agent: *\nAllow: /\nSitemap: ${site?.origin}/sitemap_index.xml\n`),
      '/': page('Home', []),
      '/sitemap_index.xml': (_q, res) =>
        res.writeHead(200, { 'content-type': 'application/xml' }).end(
          `<sitemapindex><sitemap><loc>${site?.origin}/sm1.xml</loc></sitemap><sitemap><loc>${site?.origin}/sm2.xml.gz</loc></sitemap></sitemapindex>`,
        ),
      '/sm1.xml': (_q, res) => res.writeHead(200).end(xml(['/orphan1', '/'])),
      '/sm2.xml.gz': (_q, res) => res.writeHead(200, { 'content-type': 'application/gzip' }).end(zlib.gzipSync(xml(['/orphan2']))),
      // /sitemap.xml: broken markup, the first <loc> still counts.
      '/sitemap.xml': (_q, res) => res.writeHead(200).end(`<urlset><url><loc>${site?.origin}/orphan3</loc></url><url><loc>oops</urlset`),
      '/orphan1': page('O1', []),
      '/orphan2': page('O2', []),
      '/orphan3': page('O3', []),
    });
    try {
      const store = join(dir, 'sitemap.sqlite');
      const sum = await crawl({ storePath: store, startUrls: [`${site.origin}/`] });
      assert.equal(sum.counts.done, 4);
      const rows = urlRows(store);
      for (const p of ['/orphan1', '/orphan2', '/orphan3']) {
        assert.equal(rows.find((r) => r.url === `${site.origin}${p}`)?.source, 'sitemap', p);
      }
      assert.deepEqual(sum.sitemaps.map((s) => [new URL(s.url).pathname, s.kind, s.urls]).sort(), [
        ['/sitemap.xml', 'urlset', 1], ['/sitemap_index.xml', 'index', 0], ['/sm1.xml', 'urlset', 2], ['/sm2.xml.gz', 'urlset', 1],
      ].sort());
    } finally {
      await site.close();
    }
  });

  it('bounds and records every hostile case, and the crawl goes on', async () => {
    const cases = ['/loop', '/huge', '/endless', '/bomb', '/drip', '/mislabelled', '/sjis', '/pdf', '/cal/2024/1', '/search?q=1', '/malformed', '/to-ftp'];
    const garbageRobots = Buffer.concat([Buffer.from('User-agent: *\nDisallow: /never\n'), Buffer.alloc(2 * 1024 * 1024, 0xff)]);
    const calendarRoutes = calendar('/cal');
    const site = await startSite(
      {
        '/robots.txt': raw(200, { 'content-type': 'text/plain' }, garbageRobots),
        '/': page('Home', [...cases, '/after', '/never']),
        '/loop': redirect(302, '/loop2'),
        '/loop2': redirect(302, '/loop'),
        '/huge': bigBody(20 * 1024 * 1024, true),
        '/endless': bigBody(Number.MAX_SAFE_INTEGER, false),
        '/bomb': gzipBomb(),
        '/drip': slowDrip(100, 20_000),
        // Says UTF-8, is Latin-1: the bad bytes become U+FFFD.
        '/mislabelled': raw(200, { 'content-type': 'text/html; charset=utf-8' }, Buffer.from('<html><title>caf\xe9 cr\xe8me</title><a href="/after">x</a></html>', 'latin1')),
        '/sjis': raw(200, { 'content-type': 'text/html' }, Buffer.concat([Buffer.from('<html><head><meta charset="shift_jis"><title>'), Buffer.from([0x93, 0xfa, 0x96, 0x7b]), Buffer.from('</title></head></html>')])),
        '/pdf': raw(200, { 'content-type': 'application/pdf' }, '%PDF-1.4 <a href="/from-pdf">'),
        '/search': (req, res) => {
          const n = Number(new URL(req.url ?? '', 'http://x').searchParams.get('q'));
          res.writeHead(200, { 'content-type': 'text/html' }).end(page(`q${n}`, [`/search?q=${n + 1}`, `/search?q=${n + 2}&sid=${n}`]));
        },
        '/malformed': raw(200, { 'content-type': 'text/html' }, '<html><body><div><p><a href="/after">after<table><tr><td><a href=/from-malformed>m</a><<<>>><b><i></div></span></html><!-- unclosed'),
        '/to-ftp': redirect(301, 'ftp://127.0.0.1/file'),
        '/after': page('After', []),
        '/from-malformed': page('FM', []),
      },
      calendarRoutes,
    );
    try {
      const store = join(dir, 'hostile.sqlite');
      const sum = await crawl({
        storePath: store, startUrls: [`${site.origin}/`], discoverSitemaps: false, maxBytesPerPage: 256 * 1024,
        pageTimeoutMs: 1500, space: { maxUrlsPerPattern: 10, maxQueryVariantsPerPath: 8 },
      });
      assert.equal(sum.reason, 'done');
      assert.equal(sum.robots[0]?.note, 'robots.txt too large: first bytes used');
      assert.equal(site.count('/never'), 0, 'the rules at the top of a huge robots.txt apply');
      const r = records(store);
      const get = (p: string): PageRecord => {
        const rec = r.get(p);
        assert.ok(rec, `${p} recorded`);
        return rec;
      };
      assert.equal(get('/loop').error, 'redirect loop');
      assert.equal(get('/loop').redirects.length, 2);
      for (const p of ['/huge', '/endless', '/bomb']) {
        assert.equal(get(p).truncated, true, p);
        assert.equal(get(p).bytes, 256 * 1024, `${p}: decoded bytes capped`);
      }
      assert.equal(get('/drip').error, 'timeout');
      assert.ok(get('/drip').bytes > 0, 'what came before the timeout is kept');
      assert.match(get('/mislabelled').extract?.title ?? '', /caf\uFFFD cr\uFFFDme/);
      assert.equal(get('/sjis').extract?.title, '日本');
      assert.equal(get('/pdf').extract, undefined);
      assert.equal(get('/pdf').contentType, 'application/pdf');
      assert.equal(site.count('/from-pdf'), 0);
      assert.equal(get('/to-ftp').error, 'redirect to unsupported scheme');
      assert.equal(get('/malformed').status, 200);
      assert.equal(get('/from-malformed').status, 200, 'links in malformed HTML are followed');
      assert.equal(get('/after').status, 200, 'the crawl went on');
      const calendarHits = site.requests.filter((q) => q.path.startsWith('/cal/')).length;
      assert.ok(calendarHits <= 10 + 10, `calendar bounded (${calendarHits} requests)`);
      const searchHits = site.requests.filter((q) => q.path.startsWith('/search')).length;
      assert.ok(searchHits <= 8, `query space bounded (${searchHits} requests)`);
      const skipped = urlRows(store).filter((u) => u.state === 'skipped').map((u) => u.reason);
      assert.ok(skipped.includes('too many urls of one pattern'));
      assert.ok(skipped.includes('too many query variants'));
    } finally {
      await site.close();
    }
  });

  it('robots.txt: 5xx disallows everything (until a later run asks again), 4xx allows everything', async () => {
    let robotsStatus = 503;
    const site = await startSite({
      '/robots.txt': (_q, res) => res.writeHead(robotsStatus, { 'content-type': 'text/plain' }).end('Disallow: /'),
      '/': page('Home', ['/a']),
      '/a': page('A', []),
    });
    try {
      const store = join(dir, 'robots5xx.sqlite');
      const first = await crawl({ storePath: store, startUrls: [`${site.origin}/`], discoverSitemaps: false });
      assert.equal(first.robots[0]?.state, 'unreachable');
      assert.equal(first.counts.skipped, 1);
      assert.equal(site.requests.filter((r) => r.path !== '/robots.txt').length, 0, 'no page asked while robots.txt fails');
      assert.match(urlRows(store)[0]?.reason ?? '', /^robots\.txt unreachable \(status 503\)$/);
      robotsStatus = 404;
      const second = await crawl({ storePath: store, startUrls: [`${site.origin}/`], discoverSitemaps: false });
      assert.equal(second.robots[0]?.state, 'missing');
      assert.equal(second.counts.done, 2);
    } finally {
      await site.close();
    }
  });

  it('scope: same host by default, subdomains, named hosts, patterns; only http(s)', () => {
    assert.equal(normalizeUrl('mailto:a@b.c'), undefined);
    assert.equal(normalizeUrl('javascript:alert(1)'), undefined);
    assert.equal(normalizeUrl('/x#y', 'https://example.com/a/'), 'https://example.com/x');
    assert.equal(normalizeUrl('https://example.com/shop;jsessionid=A1B2C3?p=1'), 'https://example.com/shop?p=1');
    const plain = makeScope(['https://www.example.com/']);
    assert.equal(plain.inScope('https://www.example.com/p'), true);
    assert.equal(plain.inScope('https://blog.example.com/p'), false);
    const subs = makeScope(['https://www.example.com/'], { subdomains: true, exclude: ['/tag/'] });
    assert.equal(subs.inScope('https://blog.example.com/p'), true);
    assert.equal(subs.inScope('https://blog.example.com/tag/x'), false);
    assert.equal(subs.isInternal('https://blog.example.com/tag/x'), true);
    assert.equal(subs.inScope('https://example.org/'), false);
    const named = makeScope(['https://a.example/'], { allowedHosts: ['b.example'], include: [/\/docs\//] });
    assert.equal(named.inScope('https://a.example/docs/x'), false);
    assert.equal(named.inScope('https://b.example/docs/x'), true);
    assert.equal(named.inScope('https://b.example/blog/x'), false);
  });
});
