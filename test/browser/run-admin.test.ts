// Finding your way in real Chromium: the landing page's "Open" and "+ New run" do different
// things, a new typed key is asked about, a stray automatic-looking key is refused; a run is
// archived (and brought back) from the table and deleted through its confirmation page.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { useBrowserApp } from './helpers.ts';

describe('browser: archive, delete and the landing page', () => {
  const t = useBrowserApp();


  const runCount = async () => (await t.app.engine.listRuns({ archived: 'all' })).length;

  test('landing: a half-typed automatic key is refused; a new key is asked about (Cancel, then Create); "+ New run" takes the next number', () =>
    t.withPage(async (page) => {
      await t.app.engine.open('hello');
      const before = await runCount();
      await page.goto(t.app.base + '/wf/hello');
      assert.equal(await page.inputValue('#run-key'), '');
      const next = await page.locator('#next-key').innerText();

      await page.fill('#run-key', 'default-hello-0');
      await page.getByRole('button', { name: 'Open', exact: true }).click();
      const error = page.locator('#run-key-error');
      await error.waitFor();
      assert.match(await error.innerText(), /There is no run "default-hello-0", and keys of the form <profile>-hello-<number> are given out only by "\+ New run"/);
      assert.equal(await page.inputValue('#run-key'), 'default-hello-0', 'what was typed stays, to be corrected');
      assert.equal(await runCount(), before, 'no stray run');

      await page.fill('#run-key', 'q3-review');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'No run q3-review exists' }).waitFor();
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.waitForURL(/\/wf\/hello$/);
      assert.equal(await runCount(), before, 'Cancel creates nothing');

      await page.fill('#run-key', 'q3-review');
      await page.getByRole('button', { name: 'Open', exact: true }).click();
      await page.getByRole('button', { name: 'Create q3-review' }).click();
      await page.waitForURL(/\/runs\/q3-review$/);
      assert.equal((await t.app.engine.get('q3-review')).workflow, 'hello');

      await page.goto(t.app.base + '/wf/hello');
      await page.getByRole('button', { name: '+ New run' }).click();
      await page.waitForURL(new RegExp(`/runs/${next}$`));
    }, [422]));

  test('archive from the table, Undo from the notice; the archived list; the run page says it is archived', () =>
    t.withPage(async (page) => {
      const key = (await t.app.engine.open('hello')).state.key;
      await page.goto(t.app.base + '/wf/hello');
      await page.getByRole('button', { name: `Archive ${key}`, exact: true }).click();
      const notice = page.locator('.list-notice');
      await notice.waitFor();
      assert.match(await notice.innerText(), new RegExp(`Run ${key} is archived`));
      assert.equal(await page.locator('table.runs tr', { hasText: key }).count(), 0, 'gone from the list');
      assert.ok((await t.app.engine.get(key)).archived, 'archived, and kept');

      await notice.getByRole('button', { name: 'Undo' }).click();
      await page.locator('table.runs tr', { hasText: key }).waitFor();
      assert.equal((await t.app.engine.get(key)).archived, null);

      await page.getByRole('button', { name: `Archive ${key}`, exact: true }).click();
      await page.getByRole('link', { name: /Show archived runs/ }).click();
      await page.getByRole('heading', { name: 'Archived runs of Hello' }).waitFor();
      await page.locator('table.runs tr', { hasText: key }).getByRole('link', { name: key }).click();
      await page.waitForURL(new RegExp(`/runs/${key}$`));
      assert.match(await page.locator('.run-archived').innerText(), /Archived .*hidden from the lists of runs/);
      // In the run's header: one click, back on the run page.
      await page.locator('#run-bar').getByRole('button', { name: 'Unarchive' }).click();
      // Exact: by default the name matches as a substring, and "Unarchive" would answer at once.
      await page.locator('#run-bar').getByRole('button', { name: 'Archive', exact: true }).waitFor();
      await page.waitForURL(new RegExp(`/runs/${key}$`));
      assert.equal(await page.locator('.run-archived').count(), 0);
      assert.equal((await t.app.engine.get(key)).archived, null);
    }));

  test('delete: the confirmation page says what goes and starts on Cancel; deleting lands on the workflow page with a notice', () =>
    t.withPage(async (page) => {
      const key = (await t.app.engine.open('hello')).state.key;
      await (await t.app.engine.submit(key, 'name', { name: 'Ada' })).completion;
      await (await t.app.engine.submit(key, 'greeting', { greeting: 'Hi' })).completion;
      await t.app.engine.finalize(key);
      await t.app.engine.store.artifacts.writeBytes(key, 'report.txt', 'r'.repeat(1500));
      const folder = t.app.engine.store.artifacts.dirFor(key);

      await page.goto(`${t.app.base}/wf/hello/runs/${key}`);
      await page.getByRole('button', { name: 'Delete…' }).click();
      await page.getByRole('heading', { name: `Delete run ${key}` }).waitFor();
      const text = await page.locator('.confirm-delete').innerText();
      assert.match(text, /2 of 2 steps done/);
      assert.match(text, /1 artifact file \(1\.5 kB\)/);
      assert.match(text, /This run is finalized/);
      assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText), 'Cancel', 'the safe choice has the focus');

      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.waitForURL(new RegExp(`/runs/${key}$`));
      assert.ok(await t.app.engine.get(key), 'Cancel deletes nothing');

      await page.getByRole('button', { name: 'Delete…' }).click();
      await page.getByRole('button', { name: `Delete run ${key}` }).click();
      await page.waitForURL(/\/wf\/hello\?notice=deleted/);
      assert.match(await page.locator('.list-notice').innerText(), new RegExp(`Run ${key} was deleted`));
      assert.equal(await page.locator('table.runs tr', { hasText: key }).count(), 0);
      assert.equal(existsSync(folder), false, 'its artifacts are gone');
      await assert.rejects(t.app.engine.get(key));
    }));

  test('delete from the home page\'s table goes through the same confirmation', () =>
    t.withPage(async (page) => {
      const key = (await t.app.engine.open('hello')).state.key;
      await page.goto(t.app.base + '/');
      await page.getByRole('button', { name: `Delete… ${key}` }).click();
      await page.getByRole('heading', { name: `Delete run ${key}` }).waitFor();
      assert.match(await page.locator('.confirm-delete').innerText(), /no steps done \(of 2\)/);
      await page.getByRole('button', { name: `Delete run ${key}` }).click();
      await page.waitForURL(/notice=deleted/);
      await assert.rejects(t.app.engine.get(key));
    }));
});
