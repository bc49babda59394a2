/**
 * Re-analyse without crawling: a crawl of a loopback site, then extraction run again over the
 * stored bodies with a new custom rule. The server counts requests: re-extraction makes none (and
 * the server is closed before it runs, so any would fail).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CrawlStore } from '../../src/seo/crawl/crawl-store.ts';
import { crawl } from '../../src/seo/crawl/crawler.ts';
import type { PageRenderer } from '../../src/seo/crawl/page-renderer.ts';
import { reextract, type ReextractProgress } from '../../src/seo/crawl/reextract.ts';
import { page, raw, redirect, startSite } from '../helpers/hostile-site.ts';

const dir = mkdtempSync(join(tmpdir(), 'crawl-reextract-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const price = (n: number): string => `<span class="price" data-sku="sku-${n}">${n}.99 EUR</span>`;

function shop(): Record<string, ReturnType<typeof raw> | string> {
  const routes: Record<string, ReturnType<typeof raw> | string> = {
    '/robots.txt': raw(200, { 'content-type': 'text/plain' }, 'User-agent: *\nAllow: /\n'),
    '/': page('Shop', ['/p1', '/p2', '/p3', '/moved', '/gone']),
    '/moved': redirect(301, '/p4'),
    '/img.png': raw(200, { 'content-type': 'image/png' }, Buffer.from([137, 80, 78, 71])),
  };
  for (let i = 1; i <= 4; i++) routes[`/p${i}`] = page(`Product ${i}`, ['/', '/img.png']).replace('</body>', `${price(i)}</body>`);
  return routes;
}

describe('re-extract from the store', () => {
  it('a new CSS rule over the stored bodies: values appear, zero requests', async () => {
    const site = await startSite(shop());
    const path = join(dir, 'shop.sqlite');
    const sum = await crawl({ storePath: path, startUrls: [`${site.origin}/`], discoverSitemaps: false, perHostConcurrency: 1 });
    assert.equal(sum.reason, 'done');
    const requestsAfterCrawl = site.requests.length;
    await site.close();

    const progress: ReextractProgress[] = [];
    const r = await reextract(path, {
      rules: [
        { name: 'price', kind: 'css', expr: 'span.price' },
        { name: 'sku', kind: 'css', expr: '.price', attr: 'data-sku' },
        { name: 'euros', kind: 'regex', expr: '(\\d+)\\.99 EUR' },
      ],
      onProgress: (p) => progress.push(p),
    });
    assert.equal(site.requests.length, requestsAfterCrawl, 'no request reached the server');
    assert.equal(r.stopped, false);
    assert.equal(r.errors, 0);
    // Home, p1-p4 (p4 both as itself and as /moved's end) are HTML; the image and the 404 are not re-extracted.
    assert.equal(r.extracted, 6);
    assert.deepEqual(progress.at(-1), { done: r.pages, total: r.pages });

    const store = new CrawlStore(path);
    try {
      const byPath = new Map([...store.pages()].map((p) => [new URL(p.url).pathname, p]));
      for (let i = 1; i <= 4; i++) {
        const custom = byPath.get(`/p${i}`)?.extract?.custom;
        assert.deepEqual(custom, { price: [`${i}.99 EUR`], sku: [`sku-${i}`], euros: [String(i)] }, `/p${i}`);
      }
      assert.deepEqual(byPath.get('/moved')?.extract?.custom?.['sku'], ['sku-4'], 'a redirect is re-extracted from where it ended');
      assert.deepEqual(byPath.get('/')?.extract?.custom, { price: [], sku: [], euros: [] });
      // The rest of the extract is as the crawl had it.
      assert.equal(byPath.get('/p2')?.extract?.title, 'Product 2');
      assert.ok(byPath.get('/p2')?.extract?.links.some((l) => l.url === `${site.origin}/` && l.internal));
      assert.equal(byPath.get('/img.png')?.extract, undefined);
      assert.equal(byPath.get('/gone')?.status, 404);
    } finally {
      store.close();
    }
  });

  it('uses the rendered HTML where the crawl rendered; update: false only reports', async () => {
    const site = await startSite(shop());
    const path = join(dir, 'rendered.sqlite');
    // "The script" adds the price to product 1 only.
    const renderer: PageRenderer = {
      render: async (url, body) => ({
        html: new URL(url).pathname === '/p1' ? body.toString('utf8').replace('</body>', '<b class="js">from script</b></body>') : body.toString('utf8'),
        ms: 1,
      }),
      close: async () => undefined,
    };
    await crawl({ storePath: path, startUrls: [`${site.origin}/`], discoverSitemaps: false, renderer });
    await site.close();
    const seen = new Map<string, string[] | undefined>();
    const r = await reextract(path, {
      rules: [{ name: 'js', kind: 'css', expr: 'b.js' }],
      update: false,
      onPage: (p) => seen.set(new URL(p.url).pathname, p.extract?.custom?.['js']),
    });
    assert.equal(r.rendered, r.extracted);
    assert.deepEqual(seen.get('/p1'), ['from script']);
    assert.deepEqual(seen.get('/p2'), []);
    const store = new CrawlStore(path);
    try {
      const p1 = [...store.pages()].find((p) => p.url.endsWith('/p1'));
      assert.equal(p1?.extract?.custom, undefined, 'update: false leaves the store as it was');
    } finally {
      store.close();
    }
  });
});
