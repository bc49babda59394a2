// A long step in real Chromium: a live progress bar over SSE, leaving and coming back, Stop,
// a re-run that finishes on its own and reloads its card, and a failed step retried.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newPage, setRange, useBrowserApp } from './helpers.ts';

describe('browser: long-running step', () => {
  const t = useBrowserApp();

  test('live progress, leave and come back, stop, run again to the end, fail and retry', async () => {
    const { page, context, problems } = await newPage(t.browser);
    try {
      await page.goto(t.app.base + '/wf/slow');
      await page.getByRole('button', { name: '+ New run' }).click();
      await page.waitForURL(/\/runs\/default-slow-01$/);

      await setRange(page, '#f-count-steps', 60);
      await setRange(page, '#f-count-delay', 120);
      assert.equal(await page.locator('output[data-for="f-count-steps"]').innerText(), '60', 'the slider shows its value');
      await page.locator('#step-count').getByRole('button', { name: 'Run' }).click();

      const card = page.locator('#step-count');
      await page.locator('#step-count[data-status="running"] progress').waitFor();
      // The bar moves while we watch: updates arrive over SSE, without reloading anything.
      await page.waitForFunction(() => Number(document.querySelector('#step-count progress')?.getAttribute('value') ?? 0) >= 3);
      assert.match(await card.innerText(), /counting \d+ of 60/);
      assert.equal(await page.locator('#step-count progress').getAttribute('max'), '60');

      // Leave, come back: still running, with its progress.
      await page.goto(t.app.base + '/');
      await page.goto(t.app.base + '/wf/slow/runs/default-slow-01');
      await page.locator('#step-count[data-status="running"]').waitFor();
      const v1 = Number(await page.locator('#step-count progress').getAttribute('value'));
      assert.ok(v1 >= 3, `progress kept going (${v1})`);
      await page.waitForFunction((v) => Number(document.querySelector('#step-count progress')?.getAttribute('value') ?? 0) > v, v1);

      await card.getByRole('button', { name: /Stop/ }).click();
      await page.locator('#step-count[data-status="cancelled"]').waitFor();
      assert.match(await card.innerText(), /This step was stopped/);
      assert.equal(await page.inputValue('#f-count-steps'), '60', 'the form is back, pre-filled');
      assert.equal((await t.app.engine.get('default-slow-01')).steps.count!.status, 'cancelled');

      // Run again, short: the card reloads itself when the stream says done, and the next step appears.
      await setRange(page, '#f-count-steps', 8);
      await setRange(page, '#f-count-delay', 80);
      await card.getByRole('button', { name: 'Run again' }).click();
      await page.locator('#step-count[data-status="done"]').waitFor({ timeout: 15_000 });
      assert.match(await card.innerText(), /counted\s*8/);
      const check = page.getByLabel('Type "fail" to make this step fail');
      await check.waitFor();

      // A failing step shows its error and its form again; retrying works and nothing else is lost.
      await check.fill('fail');
      await check.press('Enter');
      await page.locator('#step-check[data-status="failed"]').waitFor();
      assert.match(await page.locator('#step-check').innerText(), /This step failed: asked to fail/);
      await page.getByLabel('Type "fail" to make this step fail').fill('fine');
      await page.getByLabel('Type "fail" to make this step fail').press('Enter');
      await page.locator('#step-check[data-status="done"]').waitFor();
      await page.locator('#run-finish').waitFor();
      assert.equal((await t.app.engine.get('default-slow-01')).steps.count!.status, 'done');
      await page.locator('#history li.event-failed').waitFor();

      assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('a step run elsewhere (not from this page) is followed live too', async () => {
    const { page, context, problems } = await newPage(t.browser);
    try {
      const { state } = await t.app.engine.open('slow', { key: 'elsewhere' });
      await page.goto(t.app.base + '/wf/slow/runs/elsewhere');
      // Started by another client (the CLI would do the same through the engine).
      await t.app.engine.submit(state.key, 'count', { steps: 10, delay: 100 });
      await page.reload();
      await page.locator('#step-count[data-status="running"]').waitFor();
      await page.locator('#step-count[data-status="done"]').waitFor({ timeout: 15_000 });
      await page.locator('#step-check').waitFor();
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
