// Issue 5, defect 2 in real Chromium: Revert asks first, naming what it clears and how long that
// took; Escape and Cancel leave the card as it was; Confirm reverts; Undo brings the cleared steps
// back — the uploaded file and the long step's output included. With JavaScript and without.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { RunState } from '../../src/engine/run-state.ts';
import { newPage, useBrowserApp } from './helpers.ts';

describe('browser: revert asks first, and can be undone', () => {
  const t = useBrowserApp();

  /** A widgets run through the long `hash` step, which took 1 h 02 min (times set as a long step's would be). */
  async function widgetsDone(key: string): Promise<RunState> {
    const { engine } = t.app;
    await engine.open('widgets', { key });
    const inputs: [string, Record<string, unknown>][] = [
      ['title', { title: 'Apollo' }], ['notes', { notes: 'n' }], ['colour', { colour: 'red' }], ['toppings', { toppings: ['basil'] }],
      ['size', { size: 'l' }], ['level', { level: 3 }], ['notify', { notify: true }],
      ['upload', { file: new File(['one small file\n'], 'moon.txt') }],
      ['pick', { files: ['notes.md'] }], ['link', { url: 'https://example.org/' }], ['hash', { chunkKb: 1, pauseMs: 0 }],
    ];
    for (const [step, input] of inputs) await (await engine.submit(key, step, input)).completion;
    await engine.store.tx(async (tx) => {
      const st = (await tx.runs.lock(key))!;
      const h = st.steps.hash!;
      h.startedAt = new Date(Date.parse(h.finishedAt!) - 62 * 60 * 1000).toISOString();
      await tx.runs.update(st);
    });
    return structuredClone(await engine.get(key));
  }

  const question = (page: Page) => page.getByRole('alertdialog', { name: 'Revert to step 8: File upload?' });
  const revertButton = (page: Page) => page.getByRole('button', { name: 'Revert to step 8: File upload' });

  test('Revert → the question names what is cleared and how long it took → Escape, Cancel → Confirm → Undo → the steps are back', async () => {
    const { page, context, problems } = await newPage(t.browser);
    try {
      const key = 'undo-browser-1';
      const before = await widgetsDone(key);
      await page.goto(`${t.app.base}/wf/widgets/runs/${key}`);

      await revertButton(page).click();
      await question(page).waitFor();
      const text = await question(page).innerText();
      assert.match(text, /This clears 3 steps: 9\. Choose files from a folder → table output \(took \d+(\.\d)? m?s\), 10\. Link that opens a new tab \(what you entered\), 11\. Hash the upload \(long-running\) → code output \(took 1 h 02 min\)\./);
      assert.match(text, /Together they took 1 h 02 min to make\./);
      assert.match(text, /You can undo the revert until you next submit a step\./);
      // Focus is on the question's safe answer; Escape puts the card back, focus on its Revert button.
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Cancel');
      assert.equal(await revertButton(page).isVisible(), false, 'the question stands in for the Revert button');
      await page.keyboard.press('Escape');
      await question(page).waitFor({ state: 'detached' });
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Revert to step 8: File upload');
      assert.deepEqual(await t.app.engine.get(key), before, 'asking changed nothing');

      // Keyboard: Enter on Revert asks again; Cancel (a link that also works without JavaScript) backs out.
      await page.keyboard.press('Enter');
      await question(page).waitFor();
      await question(page).getByRole('button', { name: 'Cancel' }).click();
      await question(page).waitFor({ state: 'detached' });
      assert.match(page.url(), new RegExp(`/runs/${key}$`), 'still on the run page');

      // Confirm: the later steps are cleared, and the page offers to undo.
      await revertButton(page).click();
      await question(page).getByRole('button', { name: 'Revert and clear 3 steps' }).click();
      await page.locator('#step-hash').waitFor({ state: 'detached' });
      assert.equal((await t.app.engine.get(key)).steps.hash!.status, 'pending');
      const offer = page.locator('#undo-revert');
      await offer.waitFor();
      assert.match(await offer.innerText(), /Reverted to step 8: File upload.*Undo brings back 3 steps as they were: 9\. Choose files/s);
      await page.locator('#history').getByText('Reverted to').waitFor();

      await offer.getByRole('button', { name: 'Undo revert' }).click();
      await page.locator('#step-hash[data-status="done"]').waitFor();
      await page.getByText('Revert undone: 3 steps are back as before.').waitFor();
      assert.equal(await page.locator('#undo-revert').count(), 0);
      assert.deepEqual((await t.app.engine.get(key)).steps, before.steps, 'exactly as they were');
      assert.match(await page.locator('#step-hash').innerText(), /"matchesStored": true/);
      assert.match(await page.locator('#step-hash').innerText(), /took (1 h 0?2 min|62 min 00 s)/, "the step's own duration is back");
      // The uploaded file is served again from the restored step.
      const href = await page.locator('#step-upload a[href^="/files/"]').first().getAttribute('href');
      const file = await page.request.get(t.app.base + href!);
      assert.equal(await file.text(), 'one small file\n');
      await page.locator('#history').getByText('Revert undone').waitFor();

      assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
    } finally {
      await context.close();
    }
  });

  test('without JavaScript: the question is a page of its own, Confirm reverts, Undo restores', async () => {
    const context = await t.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    try {
      const key = 'undo-browser-2';
      const before = await widgetsDone(key);
      await page.goto(`${t.app.base}/wf/widgets/runs/${key}`);
      await revertButton(page).click();
      await page.waitForURL(/\/steps\/upload\/revert#revert-confirm-upload$/);
      assert.match(await question(page).innerText(), /This clears 3 steps: .*11\. Hash the upload.*\(took 1 h 02 min\)/s);
      await question(page).getByRole('button', { name: 'Revert and clear 3 steps' }).click();
      await page.waitForURL(new RegExp(`/runs/${key}#step-upload$`));
      assert.equal((await t.app.engine.get(key)).steps.hash!.status, 'pending');
      await page.getByRole('button', { name: 'Undo revert' }).click();
      await page.waitForURL(new RegExp(`/runs/${key}#run-finish$`));
      assert.deepEqual((await t.app.engine.get(key)).steps, before.steps);
      assert.equal(await page.locator('#step-hash[data-status="done"]').count(), 1);
    } finally {
      await context.close();
    }
  });
});
