// The Schedules page in real Chromium: it renders (no console errors or CSP violations), and
// Pause / Resume work from the keyboard, with the focus kept on the button and the news announced.
// The page, not the store, is under test here: SQLite only (the integration test covers both stores).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useBrowserApp } from './helpers.ts';

describe('browser: schedules', () => {
  const t = useBrowserApp();

  test('the page lists a schedule; Pause and Resume by keyboard swap the row in place', () =>
    t.withPage(async (page) => {
      const store = t.app.engine.store;
      await store.schedules.add({
        name: 'monday-hello',
        job: JSON.stringify({ job: { workflow: 'hello', inputs: { name: { name: 'Ada' } } }, baseDir: t.app.dataDir }),
        workflow: 'hello', cron: '0 6 * * 1', tz: 'Europe/Paris', missed: 'run-once', queue: null, created: new Date().toISOString(),
      });

      await page.goto(t.app.base + '/');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules' }).click();
      await page.waitForURL(/\/schedules$/);
      await page.getByRole('heading', { name: 'Schedules', level: 1 }).waitFor();
      const row = page.locator('#schedule-monday-hello');
      assert.match(await row.innerText(), /monday-hello[\s\S]*Hello[\s\S]*0 6 \* \* 1 \(Europe\/Paris\)/);
      assert.equal(await row.locator('ul.schedule-times time').count(), 3, 'the next 3 fire times');

      // From the row's workflow link, Tab reaches Pause; Enter presses it.
      await row.getByRole('link', { name: 'Hello' }).focus();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Pause monday-hello');
      await page.keyboard.press('Enter');
      const status = page.locator('#schedules-status');
      await status.getByText('is paused').waitFor();
      assert.ok((await store.schedules.get('monday-hello'))!.paused, 'paused in the store');
      assert.equal(page.url(), t.app.base + '/schedules', 'swapped in place, no navigation');
      assert.match(await row.innerText(), /none while paused[\s\S]*paused since/);
      // The focus stays on the (now) Resume button: Space presses it.
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Resume monday-hello');
      await page.keyboard.press('Space');
      await status.getByText('is active again').waitFor();
      assert.equal((await store.schedules.get('monday-hello'))!.paused, null, 'resumed in the store');
      assert.equal(await row.locator('ul.schedule-times time').count(), 3);
    }));
});
