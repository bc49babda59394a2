/**
 * JavaScript rendering, the crawler's half, with a renderer written here (the Chromium one is
 * render-js.ts): HTML pages are rendered after fetching, extracted from the rendered HTML, the
 * rendered HTML kept beside the raw body; a failed render keeps the raw extraction and says why.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CrawlStore } from '../../src/seo/crawl/crawl-store.ts';
import { crawl } from '../../src/seo/crawl/crawler.ts';
import type { PageRenderer, RenderedPage } from '../../src/seo/crawl/page-renderer.ts';
import { page, raw, startSite } from '../helpers/hostile-site.ts';

const dir = mkdtempSync(join(tmpdir(), 'crawl-render-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Adds what "the page's script" would: a link to /from-js, and a marker in the title. */
class AppendingRenderer implements PageRenderer {
  calls: { url: string; bytes: number; contentType: string | undefined }[] = [];
  closed = false;
  async render(url: string, body: Buffer, contentType: string | undefined): Promise<RenderedPage | { error: string }> {
    this.calls.push({ url, bytes: body.length, contentType });
    await new Promise((r) => setTimeout(r, 2));
    if (new URL(url).pathname === '/broken') return { error: 'page crashed' };
    if (new URL(url).pathname === '/throws') throw new Error('renderer bug');
    const html = body.toString('utf8').replace('</body>', '<a href="/from-js">added by script</a></body>').replace('<title>', '<title>JS ');
    return { html, ms: 7 };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

describe('crawl with a renderer', () => {
  it('extracts from the rendered HTML and keeps it beside the raw body', async () => {
    const site = await startSite({
      '/robots.txt': raw(200, { 'content-type': 'text/plain' }, 'User-agent: *\nAllow: /\n'),
      '/': page('Home', ['/a', '/broken', '/throws', '/data.json']),
      '/a': page('A', ['/']),
      '/broken': page('Broken', []),
      '/throws': page('Throws', []),
      '/from-js': page('From JS', []),
      '/data.json': raw(200, { 'content-type': 'application/json' }, '{"a":1}'),
    });
    const renderer = new AppendingRenderer();
    try {
      const path = join(dir, 'render.sqlite');
      const sum = await crawl({ storePath: path, startUrls: [`${site.origin}/`], discoverSitemaps: false, renderer });
      assert.equal(sum.reason, 'done');
      // Found only in the rendered HTML: fetched.
      assert.equal(site.count('/from-js'), 1);
      // Only HTML is rendered; the raw body is handed over (not fetched again by the renderer).
      assert.deepEqual(renderer.calls.map((c) => new URL(c.url).pathname).sort(), ['/', '/a', '/broken', '/from-js', '/throws']);
      assert.ok(renderer.calls.every((c) => c.bytes > 0 && c.contentType?.startsWith('text/html')));
      assert.equal(renderer.closed, false, 'the caller owns the renderer');
      const store = new CrawlStore(path);
      try {
        const byPath = new Map([...store.pages()].map((p) => [new URL(p.url).pathname, p]));
        const home = byPath.get('/')!;
        assert.equal(home.extract?.title, 'JS Home');
        assert.deepEqual(home.rendered, { ms: 7 });
        assert.ok(home.extract?.links.some((l) => l.url === `${site.origin}/from-js` && l.text === 'added by script'));
        const raw = store.body(home.id)!.body.toString('utf8');
        assert.doesNotMatch(raw, /from-js/, 'the raw response is kept as it came');
        const rendered = store.renderedBody(home.id)?.toString('utf8');
        assert.match(rendered ?? '', /<a href="\/from-js">added by script<\/a>/);
        // A failed render keeps the raw extraction and records why; so does a renderer that throws.
        const broken = byPath.get('/broken')!;
        assert.deepEqual(broken.rendered, { error: 'page crashed' });
        assert.equal(broken.extract?.title, 'Broken');
        assert.equal(store.renderedBody(broken.id), undefined);
        const throws = byPath.get('/throws')!;
        assert.deepEqual(throws.rendered, { error: 'render failed: renderer bug' });
        assert.equal(throws.extract?.title, 'Throws');
        assert.equal(throws.status, 200);
        // Not HTML: not rendered, no field.
        const json = byPath.get('/data.json')!;
        assert.equal(json.rendered, undefined);
        assert.equal(store.renderedBody(json.id), undefined);
      } finally {
        store.close();
      }
    } finally {
      await site.close();
    }
  });
});
