// The built-in `crawl` workflow end to end on a real engine (SQLite) against loopback sites served
// here: site → limits → crawl → findings (a broken link, a redirect chain, CSV files) → commentary
// (no model: unavailable, and the run still completes). Then a crawl stopped mid-way and run again
// resumes from its file: nothing fetched and done before is requested again (the server counts).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProgressEvent } from '../../src/engine/engine-events.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import type { ModelComment, RenderContext } from '../../src/engine/workflow.ts';
import { CrawlStore } from '../../src/seo/crawl/crawl-store.ts';
import ExcelJS from 'exceljs';
import { pageSample, prepareCrawlFile } from '../../src/seo/crawl-workflow-helpers.ts';
import type { Findings } from '../../src/seo/findings/analyse.ts';
import type { ArtifactRef } from '../../src/store/artifact-ref.ts';
import { page, raw, redirect, startSite, type TestSite } from '../helpers/hostile-site.ts';
import { tempEngine, type TempEngine } from '../helpers/temp-engine.ts';
import crawlWorkflow from '../../workflows/crawl.ts';
import { doneUrls } from '../helpers/crawl-db.ts';
import { railbookCli } from '../helpers/railbook-cli.ts';

interface CrawlOut {
  status: string;
  pages: number;
  fetchedThisRun: number;
  resumed: boolean;
  note: string | undefined;
  robots: string[];
}

const ROBOTS = raw(200, { 'content-type': 'text/plain' }, 'User-agent: *\nAllow: /\n');

function output<T>(st: RunState, step: string): T {
  const s = st.steps[step]!;
  assert.equal(s.status, 'done', `step ${step} completed (${s.error ?? ''})`);
  return s.output as T;
}

/** A step's card as HTML, the way the run page renders it. */
async function card(step: string, out: unknown, live = false): Promise<string> {
  const ctx: RenderContext = { runKey: 'k', workflowId: 'crawl', artifactUrl: (r) => `/files/${r.path}`, frameUrl: (r) => `/frames/${r.path}`, live };
  const node = crawlWorkflow.steps.find((s) => s.id === step)!.render!(out, ctx);
  const parts = Array.isArray(node) ? node : [node];
  return (await Promise.all(parts.map(async (n) => String(await (n as { toString(): unknown }).toString())))).join('');
}

describe('crawl workflow', () => {
  let t: TempEngine;
  before(async () => {
    t = await tempEngine();
  });
  after(async () => {
    await t?.close();
  });

  async function through(key: string, site: TestSite, extra: Record<string, unknown> = {}): Promise<void> {
    await t.engine.open('crawl', { key });
    output(await (await t.engine.submit(key, 'site', { startUrl: `${site.origin}/`, extraUrls: '', sitemaps: true })).completion, 'site');
    await (await t.engine.submit(key, 'limits', { maxPages: 100, maxDepth: 5, perHost: 1, subdomains: false, userAgent: 'RailbookBot/test', ...extra })).completion;
  }

  test('a small site: pages crawled, a broken link and a redirect found, CSV files written, commentary without a model', async () => {
    const site = await startSite({
      '/robots.txt': ROBOTS,
      '/': page('Home', ['/a', '/b', '/old', '/missing']),
      '/a': page('A', ['/', '/b']),
      '/b': page('B', ['/a', '/c']),
      '/old': redirect(301, '/r2'),
      '/r2': redirect(302, '/c'),
      '/c': page('C', ['/']),
    });
    try {
      const key = 'crawl-small';
      await through(key, site);
      const progress: ProgressEvent[] = [];
      const onProgress = (p: ProgressEvent) => p.run === key && progress.push(p);
      t.engine.bus.on('progress', onProgress);
      const crawled = output<CrawlOut>(await (await t.engine.submit(key, 'crawl', { startOver: false })).completion, 'crawl');
      t.engine.bus.off('progress', onProgress);
      assert.equal(crawled.status, 'done');
      assert.equal(crawled.pages, 6, '/, /a, /b, /c, /old, /missing');
      assert.equal(crawled.resumed, false);
      assert.ok(crawled.robots.some((r) => r.startsWith(`${site.origin}: `)), JSON.stringify(crawled.robots));
      assert.ok(site.requests.every((r) => r.userAgent === 'RailbookBot/test'), 'the user agent chosen in the limits step');
      assert.match(progress.at(-1)?.progress.message ?? '', /^6 pages · [\d.]+ pages\/s · 0 queued · 1 errors$/);
      assert.equal(progress.at(-1)?.progress.total, 100);

      const found = output<{ findings: Findings; workbook: ArtifactRef; files: ArtifactRef[] }>(await (await t.engine.submit(key, 'findings', {})).completion, 'findings');
      const { findings, files } = found;
      assert.equal(findings.pages, 6);
      const table = (id: string) => findings.tables.find((x) => x.id === id)!;
      const broken = table('links.broken');
      assert.deepEqual(broken.rows.map((r) => [r.url, r.status, r.from]), [[`${site.origin}/missing`, 404, `${site.origin}/`]]);
      assert.deepEqual(table('redirects.chains').rows.map((r) => [r.url, r.hops]), [[`${site.origin}/old`, 2]]);
      // One CSV per non-empty table, every row in it.
      const csv = files.find((f) => f.name === 'links.broken.csv');
      assert.ok(csv, files.map((f) => f.name).join(', '));
      const lines = readFileSync(t.engine.store.artifacts.resolve(csv.path), 'utf8').trim().split('\r\n');
      assert.equal(lines[0], 'url,status,error,from,anchor');
      assert.match(lines[1]!, new RegExp(`^${site.origin}/missing,404,`));
      assert.equal(files.length, findings.tables.filter((x) => x.total > 0).length);
      // The workbook: a summary sheet, then a sheet per non-empty table with every row.
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(t.engine.store.artifacts.resolve(found.workbook.path));
      assert.equal(wb.worksheets[0]?.name, 'Summary');
      assert.equal(wb.worksheets.length, 1 + files.length);
      const brokenSheet = wb.worksheets.find((w) => w.getCell('A1').value === 'url' && w.getCell('D1').value === 'from' && w.getCell('E1').value === 'anchor');
      assert.equal(brokenSheet?.actualRowCount, 2, 'the header and the one broken link');
      const shown = await card('findings', found);
      assert.match(shown, /<caption>Broken internal links \(1\)<\/caption>/);
      assert.match(shown, /<svg[^>]*role="img"[^>]*aria-label="Status codes/, 'the status codes as a chart');
      assert.match(shown, /data-sortable="true"/);
      assert.match(shown, /-findings\.xlsx"/);
      // What the model would read besides the counts: the start page and the broken page first.
      const sample = pageSample(path.join(t.engine.store.artifacts.dirFor(key), 'crawl.db'), findings);
      assert.deepEqual(sample.slice(0, 2).map((p) => [p.url, p.why]), [[`${site.origin}/`, 'the start page'], [`${site.origin}/missing`, 'first row of "Pages with 4xx/5xx or no response"']]);
      assert.ok(sample.every((p) => p.inlinks >= 0 && typeof p.wordCount === 'number'));
      assert.match(shown, /href="\/files\/artifacts\/crawl-small\/[0-9a-f]{12}-links\.broken\.csv"/);
      assert.match(await card('crawl', crawled), /6 pages<\/strong> crawled \(done\)/);

      // No model connected to this engine: the comment says so, and the run completes.
      const { comment } = output<{ comment: ModelComment }>(await (await t.engine.submit(key, 'commentary', { question: 'What first?' })).completion, 'commentary');
      assert.equal(comment.status, 'unavailable');
      // Custom extraction is optional: no rules, nothing extracted.
      const none = output<{ rules: number }>(await (await t.engine.submit(key, 'extract', { rules: '' })).completion, 'extract');
      assert.equal(none.rules, 0);
      assert.ok((await t.engine.finalize(key)).finalized);

      // The crawl file outlives a revert: crawling again resumes it and fetches nothing new…
      await t.engine.unfinalize(key);
      await t.engine.revert(key, 'crawl');
      const requests = site.requests.length;
      const again = output<CrawlOut>(await (await t.engine.submit(key, 'crawl', { startOver: false })).completion, 'crawl');
      assert.deepEqual([again.pages, again.fetchedThisRun, again.resumed], [6, 0, true]);
      assert.equal(site.requests.length, requests, 'nothing requested');
      // …unless the person asks to start over.
      await t.engine.revert(key, 'crawl');
      const fresh = output<CrawlOut>(await (await t.engine.submit(key, 'crawl', { startOver: true })).completion, 'crawl');
      assert.deepEqual([fresh.pages, fresh.resumed], [6, false]);
      assert.match(fresh.note ?? '', /Started over/);
      assert.equal(site.count('/a'), 2);
    } finally {
      await site.close();
    }
  });

  test('custom extraction works on the stored pages: no request, rules changed and run again, a bad rule named by its line', async () => {
    const product = (n: number) => `<!doctype html><html><head><title>P${n}</title><meta name="author" content="Ann ${n}"></head><body><h1>P${n}</h1><span class="price">${n}.99</span><img class="hero" src="/img/${n}.png"><script>var d = {"sku":"SKU-${n}"};</script><a href="/p${n + 1}">next</a></body></html>`;
    const site = await startSite({ '/robots.txt': ROBOTS, '/': page('Home', ['/p1']), '/p1': product(1), '/p2': product(2), '/p3': product(3) });
    const key = 'crawl-extract';
    try {
      await through(key, site);
      output(await (await t.engine.submit(key, 'crawl', { startOver: false })).completion, 'crawl');
      await (await t.engine.submit(key, 'findings', {})).completion;
      await (await t.engine.submit(key, 'commentary', { question: 'q' })).completion;
    } finally {
      await site.close();
    }
    // The site is gone: anything fetched now would fail.
    const asked = site.requests.length;
    type Out = { rules: number; pages: number; found: Record<string, number>; rows: Record<string, string>[]; total: number; csv: ArtifactRef | null };
    const first = output<Out>(await (await t.engine.submit(key, 'extract', { rules: 'price = css .price\nimage = css img.hero @src\nauthor = xpath //meta[@name="author"]/@content' })).completion, 'extract');
    assert.deepEqual(first.found, { price: 3, image: 3, author: 3 });
    const p2 = first.rows.find((r) => r['url'] === `${site.origin}/p2`);
    assert.deepEqual(p2, { url: `${site.origin}/p2`, price: '2.99', image: '/img/2.png', author: 'Ann 2' });
    assert.match(readFileSync(t.engine.store.artifacts.resolve(first.csv!.path), 'utf8'), /^url,price,image,author\r\n/);

    await t.engine.revert(key, 'extract');
    const second = output<Out>(await (await t.engine.submit(key, 'extract', { rules: '# the SKU from the page script\nsku = regex "sku":"([^"]+)"' })).completion, 'extract');
    assert.deepEqual(second.found, { sku: 3 });
    assert.equal(second.rows.find((r) => r['url'] === `${site.origin}/p3`)?.['sku'], 'SKU-3');
    assert.equal(site.requests.length, asked, 'nothing was requested');

    await t.engine.revert(key, 'extract');
    const bad = await (await t.engine.submit(key, 'extract', { rules: 'ok = css h1\nbroken = xpath //div/following-sibling::p' })).completion;
    assert.equal(bad.steps.extract!.status, 'failed');
    assert.match(bad.steps.extract!.error ?? '', /^Rule on line 2 \(broken\): /);
  });

  test('JavaScript rendering: links a script adds are crawled only when rendering is on; the rendered HTML is kept', async () => {
    const home = '<!doctype html><html><head><title>App</title><script src="/app.js"></script></head><body><div id="app"></div></body></html>';
    const app = "document.addEventListener('DOMContentLoaded', () => { const a = document.createElement('a'); a.href = '/from-js'; a.textContent = 'made by a script'; document.getElementById('app').append(a); document.title = 'App, rendered'; });";
    const site = await startSite({ '/robots.txt': ROBOTS, '/': raw(200, { 'content-type': 'text/html' }, home), '/app.js': raw(200, { 'content-type': 'text/javascript' }, app), '/from-js': page('From JS', []) });
    try {
      await through('crawl-raw', site, { maxDepth: 3 });
      output(await (await t.engine.submit('crawl-raw', 'crawl', { startOver: false })).completion, 'crawl');
      assert.equal(site.count('/from-js'), 0, 'without rendering the script link is not seen');

      await through('crawl-js', site, { maxDepth: 3, renderJs: true });
      const out = output<CrawlOut>(await (await t.engine.submit('crawl-js', 'crawl', { startOver: false })).completion, 'crawl');
      assert.equal(out.status, 'done');
      assert.equal(site.count('/from-js'), 1, 'rendered: the script link is crawled');
      assert.equal(site.count('/'), 2, 'once per crawl: the renderer got the fetched copy');
      const store = new CrawlStore(path.join(t.engine.store.artifacts.dirFor('crawl-js'), 'crawl.db'));
      try {
        const rec = [...store.pages()].find((p) => p.url === `${site.origin}/`)!;
        assert.equal(rec.extract?.title, 'App, rendered');
        assert.ok(rec.rendered && 'ms' in rec.rendered);
        assert.match(store.renderedBody(rec.id)?.toString('utf8') ?? '', /made by a script/);
      } finally {
        store.close();
      }
    } finally {
      await site.close();
    }
  });

  test('the same crawl runs headlessly from a job file (railbook run)', async () => {
    const site = await startSite({ '/robots.txt': ROBOTS, '/': page('Home', ['/a', '/missing']), '/a': page('A', ['/']) });
    const dir = mkdtempSync(path.join(tmpdir(), 'crawl-job-'));
    try {
      const job = path.join(dir, 'crawl.json');
      writeFileSync(job, JSON.stringify({
        workflow: 'crawl',
        key: 'monday-crawl',
        inputs: {
          site: { startUrl: `${site.origin}/`, sitemaps: false },
          limits: { maxPages: 50, maxDepth: 3, perHost: 2, subdomains: false, userAgent: 'RailbookBot/job' },
          crawl: { startOver: false },
          findings: {},
          commentary: { question: 'What first?' },
          extract: { rules: 'h1 = css h1' },
        },
      }));
      const r = await railbookCli(['run', job, '--data-dir', path.join(dir, 'data')]);
      assert.equal(r.code, 0, r.stderr);
      const store = new CrawlStore(path.join(dir, 'data', 'artifacts', 'monday-crawl', 'crawl.db'));
      try {
        assert.deepEqual([...store.pages()].map((p) => [new URL(p.url).pathname, p.status]).sort(), [['/', 200], ['/a', 200], ['/missing', 404]]);
      } finally {
        store.close();
      }
      assert.ok(site.requests.every((q) => q.userAgent === 'RailbookBot/job'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await site.close();
    }
  });

  test('a bad URL in the list is refused with the line that is wrong', async () => {
    await t.engine.open('crawl', { key: 'crawl-bad' });
    const st = await (await t.engine.submit('crawl-bad', 'site', { startUrl: 'http://127.0.0.1:9/', extraUrls: 'http://127.0.0.1:9/x\nftp://127.0.0.1/f\n', sitemaps: false })).completion;
    assert.equal(st.steps.site!.status, 'failed');
    assert.match(st.steps.site!.error ?? '', /Not http\(s\) addresses: ftp:\/\/127\.0\.0\.1\/f/);
    await assert.rejects(t.engine.submit('crawl-bad', 'site', { startUrl: 'file:///etc/passwd', sitemaps: false }), /http:\/\/ or https:\/\//);
  });

  test('the limits: a bad pattern is refused with its line; exclude patterns and max KB per page are honoured', async () => {
    await t.engine.open('crawl', { key: 'crawl-limits' });
    await (await t.engine.submit('crawl-limits', 'site', { startUrl: 'http://127.0.0.1:9/', sitemaps: false })).completion;
    const bad = await (await t.engine.submit('crawl-limits', 'limits', { maxPages: 10, maxDepth: 2, perHost: 1, subdomains: false, userAgent: 'x', exclude: '/ok/\n/a(b\n' })).completion;
    assert.equal(bad.steps.limits!.status, 'failed');
    assert.match(bad.steps.limits!.error ?? '', /Never URLs matching, line 2: "\/a\(b" is not a regular expression/);

    const site = await startSite({ '/robots.txt': ROBOTS, '/': page('Home', ['/keep', '/skip/1', '/big']), '/keep': page('Keep', []), '/skip/1': page('Skip', []), '/big': page('Big', [], 'x '.repeat(40_000)) });
    try {
      await through('crawl-excl', site, { exclude: '^.*/skip/', maxKbPerPage: 16 });
      output(await (await t.engine.submit('crawl-excl', 'crawl', { startOver: false })).completion, 'crawl');
      assert.equal(site.count('/skip/1'), 0, 'excluded');
      assert.equal(site.count('/keep'), 1);
      const { findings } = output<{ findings: Findings }>(await (await t.engine.submit('crawl-excl', 'findings', {})).completion, 'findings');
      assert.equal(findings.pages, 3);
      const store = new CrawlStore(path.join(t.engine.store.artifacts.dirFor('crawl-excl'), 'crawl.db'));
      try {
        const big = [...store.pages()].find((p) => p.url.endsWith('/big'));
        assert.equal(big?.truncated, true, 'cut at 16 KB');
      } finally {
        store.close();
      }
    } finally {
      await site.close();
    }
  });

  test('a run whose limits were saved before the newer fields existed still crawls, with their defaults', async () => {
    // /a is 6 MB: the default cap (5 MB) must cut it.
    const site = await startSite({ '/robots.txt': ROBOTS, '/': page('Home', ['/a']), '/a': page('A', [], 'x '.repeat(3_000_000)) });
    try {
      await through('crawl-old', site);
      const st = (await t.engine.store.runs.get('crawl-old'))!;
      const out = st.steps.limits!.output as Record<string, unknown>;
      for (const k of ['maxMinutes', 'maxKbPerPage', 'followNofollow', 'renderJs', 'include', 'exclude']) delete out[k];
      await t.engine.store.runs.update(st);
      const crawled = output<CrawlOut>(await (await t.engine.submit('crawl-old', 'crawl', { startOver: false })).completion, 'crawl');
      assert.deepEqual([crawled.status, crawled.pages], ['done', 2]);
      const store = new CrawlStore(path.join(t.engine.store.artifacts.dirFor('crawl-old'), 'crawl.db'));
      try {
        assert.deepEqual([...store.pages()].map((p) => [new URL(p.url).pathname, p.truncated, p.bytes]), [['/', false, 134], ['/a', true, 5 * 1024 * 1024]], 'cut at the 5 MB default');
      } finally {
        store.close();
      }
    } finally {
      await site.close();
    }
  });

  test('the crawl file is resumed under new limits, and started afresh when the site or scope changed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'crawl-file-'));
    try {
      const file = path.join(dir, 'sub', 'crawl.db');
      const seeds = { startUrls: ['http://127.0.0.1:9/'], sitemaps: true, subdomains: false };
      assert.deepEqual(prepareCrawlFile(file, seeds, false), { resumed: false, note: undefined });
      const store = new CrawlStore(file);
      store.addUrls([{ url: 'http://127.0.0.1:9/', depth: 0 }]);
      store.close();
      assert.deepEqual(prepareCrawlFile(file, seeds, false), { resumed: true, note: undefined });
      const other = prepareCrawlFile(file, { ...seeds, subdomains: true }, false);
      assert.equal(other.resumed, false);
      assert.match(other.note ?? '', /changed/);
      const reopened = new CrawlStore(file);
      assert.equal(reopened.counts().queued, 0, 'the earlier crawl is gone');
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('stopped mid-way, then run again: it resumes, and nothing done before is fetched again', async () => {
    const PAGES = 40;
    const routes: Record<string, string | ReturnType<typeof raw>> = { '/robots.txt': ROBOTS };
    for (let i = 0; i < PAGES; i++) {
      routes[i === 0 ? '/' : `/p${i}`] = page(`P${i}`, [1, 2, 3].map((d) => i + d).filter((j) => j < PAGES).map((j) => `/p${j}`));
    }
    const site = await startSite(routes, undefined, 25);
    try {
      const key = 'crawl-stop';
      await through(key, site, { maxDepth: 100 });
      // Stop once a few pages are in (progress comes every half second).
      const stopped = new Promise<void>((resolve) => {
        const watch = (p: ProgressEvent) => {
          if (p.run !== key || p.step !== 'crawl' || p.progress.done < 3) return;
          t.engine.bus.off('progress', watch);
          void t.engine.cancel(key, 'crawl').then(() => resolve());
        };
        t.engine.bus.on('progress', watch);
      });
      const first = await t.engine.submit(key, 'crawl', { startOver: false });
      await stopped;
      const st = await first.completion;
      const s = st.steps.crawl!;
      assert.equal(s.status, 'cancelled');
      assert.equal((s.output as CrawlOut).status, 'crawling', 'the partial output stays, to say where it stopped');
      assert.match(await card('crawl', s.output), /Stopped at \d+ pages\.<\/strong> Run this step again to resume/);
      assert.match(await card('crawl', s.output, true), /Crawling…/);

      const storePath = path.join(t.engine.store.artifacts.dirFor(key), 'crawl.db');
      const doneBefore = doneUrls(storePath);
      assert.ok(doneBefore.length >= 3 && doneBefore.length < PAGES, `stopped mid-way (${doneBefore.length} done)`);

      const resumed = output<CrawlOut>(await (await t.engine.submit(key, 'crawl', { startOver: false })).completion, 'crawl');
      assert.equal(resumed.status, 'done');
      assert.equal(resumed.resumed, true);
      assert.equal(resumed.pages, PAGES);
      assert.equal(resumed.fetchedThisRun, PAGES - doneBefore.length);
      for (const u of doneBefore) assert.equal(site.count(new URL(u).pathname), 1, `${u} fetched once`);
      for (const p of Object.keys(routes)) assert.ok(site.count(p) >= 1, `${p} fetched`);
    } finally {
      await site.close();
    }
  });
});
