// A notebook run in real Chromium against a real python3 kernel: the notebook listed as such, its
// parameters form, cells run one by one with their code folded and their output shown, output
// streaming in while a cell still runs, "Run all remaining steps", the kernel's status and restart,
// and an HTML output whose script runs sandboxed and cannot touch the app.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { htmxQuiet, useBrowserApp } from './helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NOTEBOOKS = [path.join(ROOT, 'notebooks'), path.join(ROOT, 'test/fixtures/notebooks/workflow')];

describe('browser: notebooks', () => {
  const t = useBrowserApp({ notebooks: NOTEBOOKS });

  const doneCard = async (page: Page, step: string) => {
    await page.locator(`#step-${step}[data-status="done"]`).waitFor({ timeout: 30_000 });
    await htmxQuiet(page);
  };

  test('hello_world: listed as a notebook; parameters form, cells one by one, run all, kernel status and restart', async () => {
    await t.withPage(async (page) => {
      await page.goto(t.app.base + '/');
      const card = page.locator('article.workflow-card', { hasText: 'Hello World with notebook documentation' });
      assert.match(await card.locator('.badge-notebook').innerText(), /Notebook · python3/);
      await card.getByRole('link').click();
      await page.getByRole('button', { name: '+ New run' }).click();
      await page.waitForURL(/\/runs\/default-hello_world-01$/);
      const key = 'default-hello_world-01';
      assert.match(await page.locator('.run-bar').innerText(), /Kernel python3: not started/);

      // The parameters cell is a form: typed fields, help from the comments, a dropdown from "# choices:".
      const params = page.locator('#step-parameters');
      assert.match(await params.innerText(), /Who should be greeted\?/);
      await params.getByLabel('name').fill('Ada');
      await params.getByLabel('greeting').selectOption('Hola');
      await params.getByLabel('times').fill('2');
      await params.getByRole('button', { name: 'Run with these values' }).click();
      await doneCard(page, 'parameters');
      assert.deepEqual(((await t.app.engine.get(key)).steps.parameters!.output as { values: unknown }).values, { name: 'Ada', greeting: 'Hola', times: 2, shout: false });

      // A code cell: its code folded ("Show code"), run with one click, its output shown.
      const greet = page.locator('#step-greet');
      await greet.locator('details.step-source summary').click();
      assert.match(await greet.locator('details.step-source code').innerText(), /message = f"\{greeting\}, \{name\}!"/);
      await greet.getByRole('button', { name: 'Run cell' }).click();
      await doneCard(page, 'greet');
      assert.equal(await page.locator('#step-greet .nb-outputs pre').first().innerText(), 'Hola, Ada!\nHola, Ada!\n');
      await page.locator('.run-bar .badge-kernel-idle').waitFor();

      // Run all remaining steps: the rest runs without a click each.
      await page.getByRole('button', { name: /Run all remaining steps/ }).click();
      await doneCard(page, 'rich');
      assert.equal(await page.locator('#step-rich .nb-outputs strong').innerText(), 'Hola, Ada!');
      assert.match(await page.locator('#step-rich .nb-outputs').innerText(), /'characters': 10/);
      await page.locator('#run-finish').waitFor();

      // Restart the kernel: said, and the run stays as it was.
      await page.getByRole('button', { name: 'Restart kernel' }).click();
      await page.locator('#steps .notice', { hasText: 'Restarted the kernel' }).waitFor();
      assert.equal(await page.locator('article.step[data-status="done"]').count(), 3);
    });
  });

  test('output streams into the page while the cell runs; the kernel shows busy, then idle', async () => {
    await t.withPage(async (page) => {
      const gate = path.join(t.app.dataDir, 'browser-gate');
      const { state } = await t.app.engine.open('lifecycle');
      await (await t.app.engine.submit(state.key, 'parameters', { n: 3, gate })).completion;
      await page.goto(`${t.app.base}/wf/lifecycle/runs/${state.key}`);
      await page.locator('#step-count').getByRole('button', { name: 'Run cell' }).click();
      // The first line arrives while the cell is still waiting for the gate.
      await page.locator('#step-count[data-status="running"] .live-output pre', { hasText: 'line 0' }).waitFor({ timeout: 30_000 });
      assert.equal((await t.app.engine.get(state.key)).steps.count!.status, 'running');
      // The run bar follows the kernel: busy while the cell runs, idle after.
      await page.locator('.run-bar .badge-kernel-busy', { hasText: 'Kernel python3: busy' }).waitFor();
      writeFileSync(gate, '');
      await doneCard(page, 'count');
      await page.locator('.run-bar .badge-kernel-idle').waitFor();
      assert.match(await page.locator('#step-count .step-output').innerText(), /line 0\s+line 1\s+line 2/);
    });
  });

  test("an HTML output runs its script in a sandbox: it cannot reach the app's page", async () => {
    await t.withPage(async (page) => {
      const { state } = await t.app.engine.open('html_output');
      await page.goto(`${t.app.base}/wf/html_output/runs/${state.key}`);
      const title = await page.title();
      await page.locator('#step-show_html').getByRole('button', { name: 'Run cell' }).click();
      await doneCard(page, 'show_html');
      const frame = page.locator('#step-show_html iframe');
      assert.equal(await frame.getAttribute('sandbox'), 'allow-scripts');
      const inner = page.frameLocator('#step-show_html iframe').locator('#inner');
      await inner.filter({ hasText: /^blocked: / }).waitFor();
      assert.match(await inner.innerText(), /^blocked: SecurityError$/, 'the script ran, and was refused the parent page');
      assert.equal(await page.title(), title, 'the app page was not changed');
    });
  });
});
