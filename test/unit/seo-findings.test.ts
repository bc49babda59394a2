import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { LinkRecord, PageExtract, PageRecord } from '../../src/seo/crawl/page-record.ts';
import { analyse, type Findings, type Row } from '../../src/seo/findings/analyse.ts';
import { BUCKET_CAP } from '../../src/seo/findings/duplicates.ts';

const S = 'https://s.test';
const hex = (s: string, n: number): string => createHash('sha256').update(s).digest('hex').slice(0, n);

/** Flips the given bits (0 = lowest) of a 64-bit hex fingerprint. */
function flip(h: string, ...bits: number[]): string {
  let v = BigInt('0x' + h);
  for (const b of bits) v ^= 1n << BigInt(b);
  return v.toString(16).padStart(16, '0');
}

const link = (path: string, text: string, internal = true): LinkRecord => ({ url: path.startsWith('http') ? path : S + path, text, rel: [], internal });

/** A healthy page unless told otherwise: unique title, description, h1, content; self canonical. */
function page(path: string, over: Partial<PageRecord> = {}, x: Partial<PageExtract> | null = {}): PageRecord {
  const url = S + path;
  const extract: PageExtract | undefined = x === null ? undefined : {
    title: `Page ${path} of the test site, a fine title`,
    metaDescription: `The description of ${path}, long enough to pass the minimum length check but not too long.`,
    metaRobots: undefined,
    canonical: url,
    hreflang: [],
    h1: [`Heading of ${path}`],
    h2: [],
    wordCount: 500,
    contentHash: hex('content ' + path, 64),
    simhash: hex('simhash ' + path, 16),
    links: [],
    ...x,
  };
  return {
    url, depth: 1, status: 200, redirects: [], finalUrl: url, contentType: 'text/html', bytes: 10_000, truncated: false,
    ttfbMs: 100, totalMs: 200, xRobotsTag: undefined, fetchedAt: 0, error: undefined, extract, ...over,
  };
}

const K = hex('simhash near', 16);

function site(): PageRecord[] {
  return [
    page('/', { depth: 0 }, { links: [link('/b', 'B'), link('/broken', 'Broken link'), link('/gone500', 'Gone'), link('/old', 'Old'), link('/fail', 'Fail'), link('/', 'Home'), link('/c', 'C'), link('https://ext.test/x', 'Ext', false)] }),
    page('/b', {}, { title: 'Shared title for two pages here', metaDescription: undefined, h1: [], links: [link('/broken', 'Again'), link('/broken', 'Twice'), link('/', 'Home'), link('/old', 'Old again')] }),
    page('/c', {}, { title: 'shared  title for two pages HERE', metaDescription: 'x'.repeat(170), h1: ['One', 'Two'], canonical: `${S}/b` }),
    page('/broken', { status: 404 }, null),
    page('/gone500', { status: 500, depth: 2 }, null),
    page('/fail', { status: 0, error: 'timeout', ttfbMs: undefined, totalMs: undefined, bytes: 0 }, null),
    page('/old', { redirects: [{ url: `${S}/old`, status: 301, location: '/older' }, { url: `${S}/older`, status: 302, location: '/new' }], finalUrl: `${S}/new` }, null),
    page('/loop', { status: 0, error: 'redirect loop', redirects: [{ url: `${S}/loop`, status: 301, location: '/loop2' }, { url: `${S}/loop2`, status: 301, location: '/loop' }], finalUrl: `${S}/loop` }, null),
    page('/new', { depth: 2 }),
    page('/d', {}, { canonical: `${S}/gone500` }),
    page('/e', {}, { canonical: `${S}/c` }),
    page('/f', {}, { canonical: undefined, title: 'A title that goes on and on and on well beyond sixty characters' }),
    page('/g', {}, { title: 'Short', metaDescription: 'Too short', metaRobots: 'noindex, nofollow', wordCount: 50 }),
    page('/h', { xRobotsTag: 'googlebot: noindex' }, { title: undefined, h1: ['Same heading'] }),
    page('/i', {}, { h1: ['Same  heading'], contentHash: hex('dup', 64), simhash: hex('dup', 16) }),
    page('/j', {}, { contentHash: hex('dup', 64), simhash: hex('dup', 16) }),
    page('/k', { depth: 3 }, { simhash: K }),
    page('/l', { depth: 3 }, { simhash: flip(K, 5, 40) }),
    page('/m', { depth: 3 }, { simhash: flip(K, 1, 20, 63) }),
    page('/n', { depth: 3 }, { simhash: K }),
    page('/slow', { ttfbMs: 1500 }),
    page('/slower', { totalMs: 4000 }),
    page('/heavy', { bytes: 2_000_000 }),
  ];
}

const sitemapUrls = new Set([`${S}/`, `${S}/b`, `${S}/k`, `${S}/new`, `${S}/not-crawled`]);

function rows(f: Findings, id: string): Row[] {
  const t = f.tables.find((x) => x.id === id);
  assert.ok(t, `table ${id}`);
  assert.equal(t.more, 0);
  for (const r of t.rows) assert.deepEqual(Object.keys(r), t.columns, `${id}: rows have the table's columns`);
  return t.rows;
}

test('every finding on a hand-built site, row by row', () => {
  const f = analyse(site(), { sitemapUrls });
  assert.equal(f.pages, 23);
  assert.deepEqual(f.statusCodes, { '0': 1, '200': 18, '301': 2, '404': 1, '500': 1 }, 'redirects count as their first status');
  assert.deepEqual(f.depths, { '0': 1, '1': 16, '2': 2, '3': 4 });

  assert.deepEqual(rows(f, 'status.errors'), [
    { url: `${S}/broken`, status: 404, error: null, inlinks: 3 },
    { url: `${S}/gone500`, status: 500, error: null, inlinks: 1 },
    { url: `${S}/fail`, status: 0, error: 'timeout', inlinks: 1 },
    { url: `${S}/loop`, status: 0, error: 'redirect loop', inlinks: 0 },
  ]);
  assert.deepEqual(rows(f, 'links.broken'), [
    { url: `${S}/broken`, status: 404, error: null, from: `${S}/`, anchor: 'Broken link' },
    { url: `${S}/broken`, status: 404, error: null, from: `${S}/b`, anchor: 'Again' },
    { url: `${S}/gone500`, status: 500, error: null, from: `${S}/`, anchor: 'Gone' },
    { url: `${S}/fail`, status: 0, error: 'timeout', from: `${S}/`, anchor: 'Fail' },
  ]);
  assert.deepEqual(rows(f, 'redirects.chains'), [
    { url: `${S}/old`, hops: 2, chain: `${S}/old → ${S}/older → ${S}/new`, finalUrl: `${S}/new`, status: 200, loop: false },
    { url: `${S}/loop`, hops: 2, chain: `${S}/loop → ${S}/loop2 → ${S}/loop`, finalUrl: `${S}/loop`, status: 0, loop: true },
  ]);
  assert.deepEqual(rows(f, 'links.to-redirects'), [
    { url: `${S}/old`, redirectsTo: `${S}/new`, hops: 2, status: 200, from: `${S}/`, anchor: 'Old' },
    { url: `${S}/old`, redirectsTo: `${S}/new`, hops: 2, status: 200, from: `${S}/b`, anchor: 'Old again' },
  ]);

  assert.deepEqual(rows(f, 'titles.missing'), [{ url: `${S}/h` }]);
  assert.deepEqual(rows(f, 'titles.duplicate'), [
    { url: `${S}/b`, title: 'Shared title for two pages here', pages: 2 },
    { url: `${S}/c`, title: 'shared  title for two pages HERE', pages: 2 },
  ]);
  assert.deepEqual(rows(f, 'titles.too-long'), [{ url: `${S}/f`, title: 'A title that goes on and on and on well beyond sixty characters', length: 63 }]);
  assert.deepEqual(rows(f, 'titles.too-short'), [{ url: `${S}/g`, title: 'Short', length: 5 }]);
  assert.deepEqual(rows(f, 'descriptions.missing'), [{ url: `${S}/b` }]);
  assert.deepEqual(rows(f, 'descriptions.duplicate'), []);
  assert.deepEqual(rows(f, 'descriptions.too-long'), [{ url: `${S}/c`, description: 'x'.repeat(170), length: 170 }]);
  assert.deepEqual(rows(f, 'descriptions.too-short'), [{ url: `${S}/g`, description: 'Too short', length: 9 }]);
  assert.deepEqual(rows(f, 'h1.missing'), [{ url: `${S}/b` }]);
  assert.deepEqual(rows(f, 'h1.multiple'), [{ url: `${S}/c`, count: 2, h1: 'One | Two' }]);
  assert.deepEqual(rows(f, 'h1.duplicate'), [
    { url: `${S}/h`, h1: 'Same heading', pages: 2 },
    { url: `${S}/i`, h1: 'Same  heading', pages: 2 },
  ]);

  assert.deepEqual(rows(f, 'canonical.missing'), [{ url: `${S}/f` }]);
  assert.deepEqual(rows(f, 'canonical.elsewhere'), [
    { url: `${S}/c`, canonical: `${S}/b` },
    { url: `${S}/d`, canonical: `${S}/gone500` },
    { url: `${S}/e`, canonical: `${S}/c` },
  ]);
  assert.deepEqual(rows(f, 'canonical.non-200'), [{ url: `${S}/d`, canonical: `${S}/gone500`, status: 500 }]);
  assert.deepEqual(rows(f, 'canonical.chain'), [{ url: `${S}/e`, canonical: `${S}/c`, next: `${S}/b` }]);
  assert.deepEqual(rows(f, 'indexing.noindex'), [
    { url: `${S}/g`, source: 'meta', metaRobots: 'noindex, nofollow', xRobotsTag: null },
    { url: `${S}/h`, source: 'x-robots-tag', metaRobots: null, xRobotsTag: 'googlebot: noindex' },
  ]);
  assert.deepEqual(rows(f, 'indexing.nofollow'), [{ url: `${S}/g`, source: 'meta', metaRobots: 'noindex, nofollow', xRobotsTag: null }]);

  assert.deepEqual(rows(f, 'duplicates.exact'), [
    { url: `${S}/i`, duplicateOf: `${S}/i`, pages: 2 },
    { url: `${S}/j`, duplicateOf: `${S}/i`, pages: 2 },
  ]);
  assert.deepEqual(rows(f, 'duplicates.near'), [
    { url: `${S}/k`, similarTo: `${S}/n`, bits: 0, cluster: `${S}/k`, pages: 4 },
    { url: `${S}/l`, similarTo: `${S}/k`, bits: 2, cluster: `${S}/k`, pages: 4 },
    { url: `${S}/m`, similarTo: `${S}/k`, bits: 3, cluster: `${S}/k`, pages: 4 },
    { url: `${S}/n`, similarTo: `${S}/k`, bits: 0, cluster: `${S}/k`, pages: 4 },
  ]);
  assert.deepEqual(rows(f, 'content.thin'), [{ url: `${S}/g`, words: 50 }]);
  assert.deepEqual(rows(f, 'performance.slow'), [
    { url: `${S}/slow`, ttfbMs: 1500, totalMs: 200 },
    { url: `${S}/slower`, ttfbMs: 100, totalMs: 4000 },
  ]);
  assert.deepEqual(rows(f, 'performance.heavy'), [{ url: `${S}/heavy`, bytes: 2_000_000 }]);
  assert.deepEqual(rows(f, 'orphans'), [
    { url: `${S}/k`, crawled: true, status: 200 },
    { url: `${S}/not-crawled`, crawled: false, status: null },
  ]);

  // The summary counts every table, and the whole thing is plain JSON.
  assert.equal(Object.keys(f.counts).length, f.tables.length);
  assert.equal(f.counts['links.broken'], 4);
  assert.deepEqual(JSON.parse(JSON.stringify(f)), f);
});

test('thresholds are configurable; canonical to a redirect', () => {
  const pages = [
    page('/a', {}, { canonical: `${S}/moved`, title: 'Exactly twenty chars' }),
    page('/moved', { redirects: [{ url: `${S}/moved`, status: 301, location: '/b' }], finalUrl: `${S}/b` }),
  ];
  const f = analyse(pages, { titleMax: 19, titleMin: 0, thinWords: 501 });
  assert.deepEqual(rows(f, 'canonical.to-redirect'), [{ url: `${S}/a`, canonical: `${S}/moved`, redirectsTo: `${S}/b`, status: 200 }]);
  assert.deepEqual(rows(f, 'titles.too-long').map((r) => r['url']), [`${S}/a`, `${S}/moved`], '20 characters is over 19');
  assert.deepEqual(rows(analyse(pages, { titleMax: 20 }), 'titles.too-long').map((r) => r['url']), [`${S}/moved`], '20 characters is not over 20');
  assert.equal(rows(f, 'content.thin').length, 2);
  assert.equal(f.thresholds.titleMax, 19);
  assert.equal(f.thresholds.descriptionMax, 160);
});

test('big tables are capped with "and N more"', () => {
  const pages = Array.from({ length: 250 }, (_, i) => page(`/p${i}`, {}, { title: undefined }));
  const f = analyse(pages, { maxRows: 10 });
  const t = f.tables.find((x) => x.id === 'titles.missing')!;
  assert.equal(t.rows.length, 10);
  assert.equal(t.total, 250);
  assert.equal(t.more, 240);
  assert.equal(f.counts['titles.missing'], 250);
  const all = analyse(pages, { maxRows: Infinity });
  assert.equal(all.tables.find((x) => x.id === 'titles.missing')!.rows.length, 250);
});

test('near-duplicates over 20,000 pages: planted pairs found, far fewer comparisons than all pairs', () => {
  const n = 20_000;
  const pages: PageRecord[] = [];
  for (let i = 0; i < n; i++) pages.push(page(`/r${i}`, {}, { simhash: hex('r' + i, 16), links: [] }));
  // 50 planted near-duplicates of random pages, 1 to 3 bits away, at bit positions across all bands.
  const planted = new Map<string, string>();
  for (let j = 0; j < 50; j++) {
    const of = pages[j * 397]!;
    const bits = [j % 64, (j * 7 + 13) % 64, (j * 11 + 29) % 64].slice(0, 1 + (j % 3));
    const p = page(`/planted${j}`, {}, { simhash: flip(of.extract!.simhash, ...new Set(bits)) });
    pages.push(p);
    planted.set(p.url, of.url);
  }
  const f = analyse(pages, { maxRows: Infinity });
  const near = f.tables.find((x) => x.id === 'duplicates.near')!;
  const found = new Map(near.rows.map((r) => [String(r['url']), String(r['similarTo'])]));
  for (const [url, of] of planted) {
    assert.equal(found.get(url), of, `${url} is near ${of}`);
    assert.equal(found.get(of), url);
  }
  assert.equal(near.total, 100, 'nothing but the planted pairs');
  const allPairs = ((n + 50) * (n + 49)) / 2;
  console.log(`near-duplicates: ${f.nearDuplicateComparisons} comparisons for ${n + 50} pages`);
  assert.ok(f.nearDuplicateComparisons < allPairs / 1000, `${f.nearDuplicateComparisons} comparisons of ${allPairs} pairs`);
});

test('many pages sharing one fingerprint form one cluster without pairwise work', () => {
  const pages = Array.from({ length: 2000 }, (_, i) => page(`/t${i}`, {}, { simhash: K }));
  const f = analyse(pages, { maxRows: 5 });
  const near = f.tables.find((x) => x.id === 'duplicates.near')!;
  assert.equal(near.total, 2000);
  assert.equal(near.rows.length, 5);
  assert.deepEqual(near.rows[0], { url: `${S}/t0`, similarTo: `${S}/t1`, bits: 0, cluster: `${S}/t0`, pages: 2000 });
  assert.equal(f.nearDuplicateComparisons, 0);
});

test('a redirect whose destination has its own record does not duplicate its content', () => {
  const same = { title: 'The destination page title here', contentHash: hex('dest', 64), simhash: hex('dest', 16), canonical: `${S}/dest` };
  const pages = [
    page('/r', { redirects: [{ url: `${S}/r`, status: 301, location: '/dest' }], finalUrl: `${S}/dest` }, same),
    page('/dest', {}, same),
    page('/lone', { redirects: [{ url: `${S}/lone`, status: 302, location: '/lone-dest' }], finalUrl: `${S}/lone-dest` }, { title: undefined }),
  ];
  const f = analyse(pages);
  assert.deepEqual(rows(f, 'titles.duplicate'), []);
  assert.deepEqual(rows(f, 'duplicates.exact'), []);
  assert.deepEqual(rows(f, 'canonical.elsewhere'), [], 'the canonical names where /r ends');
  assert.deepEqual(rows(f, 'titles.missing'), [{ url: `${S}/lone` }], 'without a record of its destination, the redirected record is checked');
  assert.deepEqual(f.statusCodes, { '200': 1, '301': 1, '302': 1 });
});

test('a huge bucket of near-identical fingerprints is compared in windows, still one cluster', () => {
  const pages = [page('/base', {}, { simhash: K })];
  for (let a = 0; a < 64; a++) for (let b = a + 1; b < 64; b++) pages.push(page(`/v${a}-${b}`, {}, { simhash: flip(K, a, b) }));
  const f = analyse(pages, { maxRows: 3 });
  const near = f.tables.find((x) => x.id === 'duplicates.near')!;
  assert.equal(near.total, pages.length);
  assert.equal(near.rows[0]?.['pages'], pages.length, 'all in one cluster');
  assert.ok(f.nearDuplicateComparisons <= pages.length * BUCKET_CAP * 4, `${f.nearDuplicateComparisons} comparisons`);
});
