// The link graph in real Chromium. A real crawl of a loopback site, then the link_graph workflow
// driven from the run page: the map loads (sigma, WebGL), searching a URL selects it and shows its
// details, clicking a node does the same, the colour switch recolours, and a title from the
// crawled site stays text. Then a generated 100k-node / 1M-edge graph, on a bare page with the
// app's own graph.js and libraries, draws its first frame.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { analyseGraph } from '../../src/seo/graph/analyse-graph.ts';
import { graphFile } from '../../src/seo/graph/browser-file.ts';
import { syntheticGraph } from '../../src/seo/graph/synthetic-graph.ts';
import { serveGraphPage } from '../helpers/graph-page.ts';
import { page as htmlPage, raw, startSite, type TestSite } from '../helpers/hostile-site.ts';
import { htmxQuiet, launchBrowser, newPage, startTestApp, type TestApp } from './helpers.ts';

// Without a GPU, Chromium's software WebGL warns when sigma reads its picking buffer back: noise, not a fault.
const GL_NOISE = /GL Driver Message|GPU stall/;

function realProblems(problems: string[]): string[] {
  return problems.filter((p) => !GL_NOISE.test(p));
}

async function ready(page: Page): Promise<void> {
  await page.waitForSelector('.rb-graph[data-graph-state="ready"], .rb-graph[data-graph-state="error"]', { timeout: 120_000 });
  assert.equal(await page.getAttribute('.rb-graph', 'data-graph-state'), 'ready', (await page.textContent('.rb-graph-status')) ?? '');
}

describe('browser: the link graph', () => {
  let browser: Browser;
  let app: TestApp;
  let site: TestSite;
  const key = 'graph-ui';
  const crawlKey = 'crawl-ui';

  before(async () => {
    [browser, app] = await Promise.all([launchBrowser(), startTestApp()]);
    site = await startSite({
      '/robots.txt': raw(200, { 'content-type': 'text/plain' }, 'User-agent: *\nAllow: /\n'),
      '/': htmlPage('Home', ['/docs/a', '/docs/b', '/blog/x']),
      '/docs/a': htmlPage('A', ['/', '/docs/b']),
      '/docs/b': htmlPage('B', ['/docs/a', '/']),
      '/blog/x': htmlPage('<img src=x onerror="window.__pwned=1">', ['/', '/blog/y']),
      '/blog/y': htmlPage('Y', ['/blog/x', '/docs/a']),
    });
    const e = app.engine;
    await e.open('crawl', { key: crawlKey });
    await (await e.submit(crawlKey, 'site', { startUrl: `${site.origin}/`, extraUrls: '', sitemaps: false })).completion;
    await (await e.submit(crawlKey, 'limits', { maxPages: 50, maxDepth: 5, perHost: 2, subdomains: false, userAgent: 'RailbookBot/test' })).completion;
    const st = await (await e.submit(crawlKey, 'crawl', { startOver: false })).completion;
    assert.equal(st.steps['crawl']!.status, 'done');
    await e.open('link_graph', { key });
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    await site?.close();
  });

  test('from the run page: choose the crawl, build the graph, open the map; search, click and colour work', async () => {
    const { page, context, problems } = await newPage(browser);
    try {
      await page.goto(`${app.base}/wf/link_graph/runs/${key}`);
      await page.locator('#step-source select[name="crawlRun"]').selectOption(crawlKey);
      await page.locator('#step-source').getByRole('button', { name: 'Run' }).click();
      await htmxQuiet(page);
      await page.locator('#step-graph').getByRole('button', { name: 'Build the graph' }).click();
      await page.waitForSelector('#step-graph[data-status="done"]', { timeout: 60_000 });
      await htmxQuiet(page);
      assert.match((await page.textContent('#step-graph')) ?? '', /5 pages/);
      await page.locator('#step-view').getByRole('button', { name: 'Open the map' }).click();
      await ready(page);
      assert.match((await page.textContent('.rb-graph-status')) ?? '', /^5 pages, \d+ links/);

      // Search: Enter on part of a URL selects the page, moves the camera to it and shows its details.
      await page.locator('[data-graph-search]').fill('docs/b');
      await page.locator('[data-graph-search]').press('Enter');
      await page.waitForFunction((u) => document.querySelector('.rb-graph')?.getAttribute('data-graph-selected') === u, `${site.origin}/docs/b`);
      assert.equal(await page.textContent('.rb-graph-details h4 a'), `${site.origin}/docs/b`);
      assert.match((await page.textContent('.rb-graph-details')) ?? '', /Linked from \(2\)[\s\S]*Links to \(2\)/);
      await page.waitForFunction(() => (window as unknown as { __railbookGraph: { sigma: { getCamera(): { getState(): { ratio: number } } } } }).__railbookGraph.sigma.getCamera().getState().ratio < 0.5);

      // Back to the whole graph, then a click on a node selects it; its hostile title stays text.
      await page.locator('.rb-graph-stage').focus();
      await page.keyboard.press('Escape');
      await page.keyboard.press('0');
      await page.waitForFunction(() => (window as unknown as { __railbookGraph: { sigma: { getCamera(): { getState(): { ratio: number } } } } }).__railbookGraph.sigma.getCamera().getState().ratio > 0.99);
      const target = `${site.origin}/blog/x`;
      const pos = await page.evaluate((u) => (window as unknown as { __railbookGraph: { screenPosition(u: string): { x: number; y: number } } }).__railbookGraph.screenPosition(u), target);
      await page.mouse.click(pos.x, pos.y);
      await page.waitForFunction((u) => document.querySelector('.rb-graph')?.getAttribute('data-graph-selected') === u, target);
      assert.equal(await page.textContent('.rb-graph-details .rb-graph-title'), '<img src=x onerror="window.__pwned=1">');
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);

      // A link in the details panel selects that page.
      await page.locator('.rb-graph-details').getByRole('button', { name: '/blog/y' }).first().click();
      await page.waitForFunction((u) => document.querySelector('.rb-graph')?.getAttribute('data-graph-selected') === u, `${site.origin}/blog/y`);

      // Colour by section: the legend names the sections.
      await page.locator('[data-graph-colour]').selectOption('section');
      assert.equal(await page.getAttribute('.rb-graph', 'data-graph-colour-mode'), 'section');
      const legend = (await page.textContent('.rb-graph-legend')) ?? '';
      assert.match(legend, /docs \(2\)/);
      assert.match(legend, /blog \(2\)/);

      // Filter: hiding the "blog" section hides its nodes (sigma's display data says hidden).
      await page.locator('.rb-graph-sections summary').click();
      await page.locator('[data-graph-section="blog"]').uncheck();
      const hidden = await page.evaluate((origin) => {
        const g = (window as unknown as { __railbookGraph: { sigma: { getNodeDisplayData(k: string): { visibility: string } | undefined }; nodeOf(u: string): number } }).__railbookGraph;
        return ['/blog/x', '/docs/a'].map((p) => g.sigma.getNodeDisplayData(String(g.nodeOf(origin + p)))?.visibility);
      }, site.origin);
      assert.deepEqual(hidden, ['hidden', 'visible']);

      // Full screen and back.
      await page.locator('[data-graph-full]').click();
      assert.ok(await page.locator('.rb-graph.rb-graph-full').isVisible());
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('.rb-graph.rb-graph-full').count(), 0);
      assert.deepEqual(realProblems(problems), []);
    } finally {
      await context.close();
    }
  });

  test('a generated graph of 100,000 pages and 1,000,000 links draws its first frame', async () => {
    // Communities are the sections here (Louvain stopped at once): this test is about drawing.
    const a = await analyseGraph(syntheticGraph(100_000, 10), { communities: { timeLimitMs: 1 } });
    const served = await serveGraphPage(graphFile(a));
    const { page, context, problems } = await newPage(browser);
    try {
      await page.goto(served.url);
      await ready(page);
      assert.match((await page.textContent('.rb-graph-status')) ?? '', /^100,000 pages, 1,000,0\d\d links/);
      // The canvas holds drawn pixels (not only the blank background).
      const drawn = await page.evaluate(() => {
        const s = (window as unknown as { __railbookGraph: { sigma: { getStageCanvas(): HTMLCanvasElement; refresh(): void } } }).__railbookGraph.sigma;
        // Drawn again and copied in the same task: WebGL keeps its buffer only until the frame is shown.
        s.refresh();
        const c = s.getStageCanvas();
        const copy = document.createElement('canvas');
        copy.width = c.width;
        copy.height = c.height;
        const ctx = copy.getContext('2d')!;
        ctx.drawImage(c, 0, 0);
        const px = ctx.getImageData(0, 0, copy.width, copy.height).data;
        let coloured = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i + 3]! > 0 && (px[i]! < 240 || px[i + 1]! < 240 || px[i + 2]! < 240)) coloured++;
        return coloured;
      });
      assert.ok(drawn > 1000, `coloured pixels: ${drawn}`);
      // A search still finds a page among the 100,000.
      await page.locator('[data-graph-search]').fill('page-99999');
      await page.locator('[data-graph-search]').press('Enter');
      await page.waitForFunction(() => document.querySelector('.rb-graph')?.getAttribute('data-graph-selected') === 'https://site.test/s0/page-99999' || /page-99999$/.test(document.querySelector('.rb-graph')?.getAttribute('data-graph-selected') ?? ''));
      assert.deepEqual(realProblems(problems), []);
    } finally {
      await context.close();
      await served.close();
    }
  });
});
