// Sortable, filterable tables (tableView + tables.js) and bar charts in real Chromium: a workflow of
// the test's own renders 1,000 rows in a step card that htmx swaps in; the keyboard sorts a numeric
// column, then a text column (empty cells last), the filter box narrows the rows with a live count,
// and a reload (the card served with the page) is enhanced once. No console errors or CSP violations.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { workflow } from '../../src/engine/index.ts';
import { barChart, statusCodeTone, tableView } from '../../src/widgets/index.ts';
import { htmxQuiet, useBrowserApp } from './helpers.ts';

const N = 1000;

const tablesDemo = workflow({ id: 'tables_demo', title: 'Tables demo' })
  .step({
    id: 'pages',
    title: 'Pages',
    fields: {},
    submitLabel: 'Show pages',
    run: () => ({
      rows: Array.from({ length: N }, (_, i) => ({
        url: `https://t.test/p/${i}`,
        // Spread out and not in order; 9 < 10 < 100 tells numeric sorting from text sorting.
        bytes: (i * 7919) % 1009,
        title: i % 10 === 3 ? null : `Page ${String.fromCharCode(97 + (i % 26))} ${i}`,
      })),
      codes: { '200': 900, '301': 60, '404': 40 },
    }),
    render: (out) => [
      tableView(out.rows, { caption: 'Pages', sortable: true, filterable: true, maxRows: N }),
      barChart(out.codes, { title: 'Status codes', unit: 'pages', tone: statusCodeTone }),
    ],
  });

/** One column's cells of the rows on show, top to bottom. */
function column(page: Page, col: number): Promise<string[]> {
  return page.evaluate((c) => Array.from(document.querySelectorAll<HTMLTableRowElement>('#step-pages .data-table tbody tr'))
    .filter((tr) => !tr.hidden)
    .map((tr) => tr.cells[c]!.textContent ?? ''), col);
}

describe('browser: sortable and filterable tables, bar charts', () => {
  const t = useBrowserApp();
  before(() => t.app.engine.registry.add(tablesDemo));

  test('keyboard sorting, filtering with a live count, enhanced once after a reload', async () => {
    await t.withPage(async (page) => {
      await page.goto(`${t.app.base}/wf/tables_demo`);
      await page.getByRole('button', { name: '+ New run' }).click();
      await page.waitForURL(/\/runs\/default-tables_demo-01$/);
      await page.locator('#step-pages form.step-form button[type=submit]').click();
      await page.locator('#step-pages[data-status="done"]').waitFor();
      await htmxQuiet(page);

      // Swapped in by htmx, then enhanced: a sort button per header, the filter box and its count.
      const card = page.locator('#step-pages');
      const count = card.locator('.table-count');
      await count.waitFor();
      assert.equal(await count.innerText(), `${N} of ${N} rows`);
      assert.equal(await count.getAttribute('aria-live'), 'polite');
      assert.equal(await card.locator('th button.th-sort').count(), 3);

      // A numeric column, by keyboard: Enter sorts ascending, Space descending.
      const bytes = card.getByRole('button', { name: 'bytes' });
      await bytes.focus();
      await page.keyboard.press('Enter');
      const bytesTh = card.locator('th').nth(1);
      assert.equal(await bytesTh.getAttribute('aria-sort'), 'ascending');
      const up = (await column(page, 1)).map(Number);
      assert.equal(up.length, N);
      assert.deepEqual(up, [...up].sort((a, b) => a - b), 'numbers in numeric order');
      assert.deepEqual(up.slice(0, 3), [0, 1, 2]);
      await page.keyboard.press('Space');
      assert.equal(await bytesTh.getAttribute('aria-sort'), 'descending');
      const down = (await column(page, 1)).map(Number);
      assert.deepEqual(down, [...up].reverse());
      assert.equal(await card.locator('th[aria-sort]').count(), 1);

      // A text column: locale order, empty cells last in both directions.
      await card.getByRole('button', { name: 'title' }).click();
      assert.equal(await bytesTh.getAttribute('aria-sort'), null, 'only the sorted column says so');
      for (const dir of ['ascending', 'descending']) {
        if (dir === 'descending') await card.getByRole('button', { name: 'title' }).press('Enter');
        assert.equal(await card.locator('th').nth(2).getAttribute('aria-sort'), dir);
        const titles = await column(page, 2);
        const filled = titles.filter((s) => s !== '');
        assert.equal(filled.length, N - 100);
        assert.deepEqual(titles.slice(filled.length), Array(100).fill(''), `${dir}: empty cells last`);
        const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
        const expected = [...filled].sort(collator.compare);
        assert.deepEqual(filled, dir === 'ascending' ? expected : expected.reverse());
      }

      // Filtering: every column, any case, with the count said out loud.
      const filter = card.getByRole('searchbox', { name: 'Filter rows of Pages' });
      await filter.fill('T.TEST/P/99');
      await page.waitForFunction(() => document.querySelector('#step-pages .table-count')?.textContent === '11 of 1000 rows');
      const urls = await column(page, 0);
      assert.deepEqual([...urls].sort(), ['https://t.test/p/99', ...Array.from({ length: 10 }, (_, i) => `https://t.test/p/99${i}`)].sort());
      await filter.fill('page z');
      const zs = (await column(page, 2));
      assert.ok(zs.length > 0 && zs.every((s) => s.startsWith('Page z')), 'a filter on another column');
      assert.equal(await count.innerText(), `${zs.length} of ${N} rows`);
      const runUrl = page.url();
      await filter.press('Enter');
      assert.equal(page.url(), runUrl, 'Enter in the filter box submits nothing');
      assert.equal(await filter.inputValue(), 'page z');
      // Sorting keeps the filter.
      await bytes.click();
      assert.equal((await column(page, 2)).length, zs.length);
      await filter.fill('');
      await page.waitForFunction(() => document.querySelector('#step-pages .table-count')?.textContent === '1000 of 1000 rows');
      assert.equal((await column(page, 0)).length, N);

      // The bar chart: drawn, named, coloured by the stylesheet (not the SVG default black).
      const svg = card.locator('.bar-chart svg[role="img"]');
      assert.match((await svg.getAttribute('aria-label')) ?? '', /^Status codes: 3 bars, largest 200 with 900 pages\.$/);
      const fills = await card.locator('.bar-chart rect').evaluateAll((rs) => rs.map((r) => getComputedStyle(r).fill));
      assert.equal(fills.length, 3);
      assert.ok(fills.every((f) => f !== 'rgb(0, 0, 0)'), `styled fills: ${fills}`);
      assert.equal(new Set(fills).size, 3, 'good, warning and bad bars differ');
      await page.emulateMedia({ colorScheme: 'dark' });
      const dark = await card.locator('.bar-chart rect.bar-good').evaluate((r) => getComputedStyle(r).fill);
      assert.notEqual(dark, fills[0], 'the dark theme has its own bar colours');
      await page.emulateMedia({ colorScheme: 'light' });

      // Served with the page this time (DOMContentLoaded), and enhanced only once even when
      // htmx:load fires again over it.
      await page.reload();
      await card.locator('.table-count').waitFor();
      await page.evaluate(() => document.body.dispatchEvent(new CustomEvent('htmx:load', { bubbles: true })));
      assert.equal(await card.locator('.table-tools').count(), 1);
      assert.equal(await card.locator('th button.th-sort').count(), 3);
      assert.equal(await card.locator('th button button').count(), 0);
      await card.getByRole('button', { name: 'url' }).press('Enter');
      assert.equal(await card.locator('th').nth(0).getAttribute('aria-sort'), 'ascending');
    });
  });
});
