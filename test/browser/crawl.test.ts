// The Site crawl workflow in real Chromium, as a person uses it: start URL and limits, the crawl
// running live in its card, Stop (the card says where it stopped), run again to resume, then the
// findings (a chart, a table sorted by keyboard and filtered, the workbook link) and the
// commentary step saying how to connect a model when none is.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { page as htmlPage, raw, startSite, type Handler, type TestSite } from '../helpers/hostile-site.ts';
import { htmxQuiet, useBrowserApp } from './helpers.ts';

const PAGES = 20;

describe('browser: crawling a site', () => {
  const b = useBrowserApp();
  let site: TestSite;
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });

  before(async () => {
    const routes: Record<string, string | Handler> = { '/robots.txt': raw(200, { 'content-type': 'text/plain' }, 'User-agent: *\nAllow: /\n') };
    for (let i = 0; i < PAGES; i++) routes[i === 0 ? '/' : `/p${i}`] = htmlPage(`Page ${i}`, [i + 1, i + 2].filter((j) => j < PAGES).map((j) => `/p${j}`).concat(i === 3 ? ['/gone'] : []));
    // /p8 answers only once the test lets it: the crawl is visibly mid-way until then.
    const slow = routes['/p8'] as string;
    routes['/p8'] = (_req, res) => void held.then(() => res.writeHead(200, { 'content-type': 'text/html' }).end(slow));
    site = await startSite(routes);
  });
  after(async () => {
    release();
    await site?.close();
  });

  test('crawl live, stop, resume, then sort and filter the findings', async () => {
    await b.withPage(async (page) => {
      await page.goto(`${b.app.base}/wf/crawl`);
      await page.getByRole('button', { name: '+ New run' }).click();
      await page.waitForURL(/\/runs\/default-crawl-01$/);
      await page.getByLabel('Start URL').fill(`${site.origin}/`);
      await page.locator('#step-site').getByRole('button', { name: 'Run' }).click();
      await htmxQuiet(page);
      await page.getByLabel('Requests at a time per host').fill('1');
      await page.getByLabel('Max depth (clicks from the start)').fill('50');
      await page.locator('#step-limits').getByRole('button', { name: 'Run' }).click();
      await htmxQuiet(page);
      await page.locator('#step-crawl').getByRole('button', { name: 'Crawl' }).click();

      // Live: the card counts pages while the crawl waits on /p8.
      const card = page.locator('#step-crawl');
      await page.waitForFunction(() => /Crawling… \d+ pages so far|\b[5-9] pages · /.test(document.querySelector('#step-crawl')?.textContent ?? ''));
      await card.getByRole('button', { name: /Stop/ }).click();
      await page.locator('#step-crawl[data-status="cancelled"]').waitFor();
      assert.match(await card.innerText(), /Stopped at \d+ pages\. Run this step again to resume/);

      // Run it again: it resumes, and finishes once /p8 answers.
      release();
      await card.getByRole('button', { name: 'Crawl' }).click();
      await page.locator('#step-crawl[data-status="done"]').waitFor();
      assert.match(await card.innerText(), new RegExp(`${PAGES + 1} pages crawled \\(done\\)`));

      await page.locator('#step-findings').getByRole('button', { name: 'Analyse' }).click();
      const findings = page.locator('#step-findings[data-status="done"]');
      await findings.waitFor();
      assert.equal(await findings.locator('svg[role="img"][aria-label^="Status codes"]').count(), 1);
      // The workbook downloads as a real XLSX (a zip: "PK").
      const xlsxHref = await findings.locator('a[href*="-findings.xlsx"]').getAttribute('href');
      const xlsx = await page.request.get(`${b.app.base}${xlsxHref ?? ''}`);
      assert.equal((await xlsx.body()).subarray(0, 2).toString(), 'PK');

      // The summary table, sorted by its "rows" column from the keyboard, biggest first.
      const summary = findings.locator('.data-table').first();
      const rowsHeader = summary.getByRole('button', { name: /^rows/ });
      await rowsHeader.focus();
      await page.keyboard.press('Enter');
      await page.keyboard.press('Enter');
      const counts = await summary.locator('tbody tr td:nth-child(3)').allInnerTexts();
      assert.deepEqual(counts.map(Number), counts.map(Number).sort((x, y) => y - x), `sorted descending: ${counts.join(', ')}`);
      // Filtering a table to one row.
      const broken = findings.locator('.data-table', { has: page.locator('caption', { hasText: 'Broken internal links' }) });
      await broken.getByRole('searchbox').fill('gone');
      assert.equal(await broken.locator('tbody tr:visible').count(), 1);

      await page.locator('#step-commentary').getByRole('button', { name: 'Ask the model' }).click();
      const comment = page.locator('#step-commentary[data-status="done"]');
      await comment.waitFor();
      assert.match(await comment.innerText(), /Ollama|model/i);
    });
  });
});
