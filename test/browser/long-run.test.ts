// A 30-step run in real Chromium: the page opens on the first open field, an outline lists every
// step with its status, done steps fold away (and stay folded across a reload), "jump to the
// current step" works from anywhere, the run's header stays in view, Escape closes the header
// menus, and the skip link does not cover the brand.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { useBrowserApp } from './helpers.ts';

const id = (i: number) => `s${String(i).padStart(2, '0')}`;

describe('browser: a 30-step run', () => {
  const t = useBrowserApp();
  let key = '';

  before(async () => {
    key = (await t.app.engine.open('thirty')).state.key;
    for (let i = 1; i <= 12; i++) await (await t.app.engine.submit(key, id(i), { value: `value ${i}` })).completion;
  });


  const inViewport = (page: Page, selector: string) =>
    page.locator(selector).evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.bottom > 0 && r.top < window.innerHeight;
    });

  test('opens with focus on the first open field; the outline lists every step with its status', () =>
    t.withPage(async (page) => {
      await page.goto(`${t.app.base}/wf/thirty/runs/${key}`);
      await page.waitForFunction(() => document.activeElement?.id === 'f-s13-value');
      assert.ok(await inViewport(page, '#step-s13'));

      const items = page.locator('.run-outline li');
      assert.equal(await items.count(), 30);
      assert.equal(await page.locator('.run-outline li.outline-done').count(), 12);
      const current = page.locator('.run-outline a[aria-current="step"]');
      assert.equal(await current.innerText(), '13. Step 13');
      // Steps not on the page yet are listed, not linked.
      assert.equal(await page.locator('.run-outline li').nth(20).locator('a').count(), 0);
      assert.match(await page.locator('.run-outline li').nth(0).innerText(), /1\. Step 1[\s\S]*\(done\)/);
      assert.match(await page.locator('#run-bar').innerText(), /12 of 30 steps done[\s\S]*Jump to step 13/);
    }));

  test('the run header stays in view while scrolling; jump to the current step from the top', () =>
    t.withPage(async (page) => {
      await page.goto(`${t.app.base}/wf/thirty/runs/${key}`);
      await page.waitForFunction(() => document.activeElement?.id === 'f-s13-value');
      for (const y of [0, 1500, 3000, 100_000]) {
        await page.evaluate((to) => window.scrollTo(0, to), y);
        const top = await page.locator('#run-bar').evaluate((el) => el.getBoundingClientRect().top);
        assert.ok(await inViewport(page, '#run-bar'), `header visible at scroll ${y}`);
        if (y >= 1500) assert.ok(top >= 0 && top < 2, `stuck to the top at scroll ${y} (top ${top})`);
      }
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.locator('body').focus();
      await page.getByRole('link', { name: 'Jump to step 13' }).click();
      await page.waitForFunction(() => document.activeElement?.id === 'f-s13-value');
      assert.ok(await inViewport(page, '#step-s13'));
      // Alt+J does the same from anywhere.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.locator('.run-outline summary').focus();
      await page.keyboard.press('Alt+J');
      await page.waitForFunction(() => document.activeElement?.id === 'f-s13-value');

      // Submitting moves the header on with the run.
      await page.keyboard.type('thirteen');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement?.id === 'f-s14-value');
      await page.locator('#run-bar', { hasText: '13 of 30 steps done' }).waitFor();
      await page.getByRole('link', { name: 'Jump to step 14' }).waitFor();
      await page.locator('.run-outline a[aria-current="step"]', { hasText: '14. Step 14' }).waitFor();
    }));

  test('done steps fold one by one or all at once, and stay folded after a reload', () =>
    t.withPage(async (page) => {
      await page.goto(`${t.app.base}/wf/thirty/runs/${key}`);
      const fold = page.locator('[data-collapse-done]');
      await fold.waitFor();
      assert.equal(await fold.innerText(), 'Fold done steps');
      await fold.click();
      assert.equal(await fold.getAttribute('aria-pressed'), 'true');
      const done = await page.locator('#steps article.step[data-status="done"]').count();
      assert.ok(done >= 12);
      assert.equal(await page.locator('#steps article.step.is-folded').count(), done);
      assert.equal(await page.locator('#step-s02 .step-output').isVisible(), false, 'a folded card shows only its header');
      assert.equal(await page.locator('#step-s02 .step-header').isVisible(), true);
      assert.equal(await page.locator('#step-s02 [data-toggle-step]').getAttribute('aria-expanded'), 'false');
      // The open step is never folded.
      assert.equal(await page.locator('form.step-form').first().isVisible(), true);

      await page.reload();
      await page.locator('#step-s02.is-folded').waitFor({ state: 'attached' });
      assert.equal(await page.locator('#steps article.step.is-folded').count(), done, 'remembered for this run');

      // One card unfolds by its own button, from the keyboard.
      await page.locator('#step-s03 [data-toggle-step]').focus();
      await page.keyboard.press('Enter');
      assert.equal(await page.locator('#step-s03 .step-output').isVisible(), true);
      assert.equal(await page.locator('#step-s03 [data-toggle-step]').getAttribute('aria-expanded'), 'true');
      assert.equal(await fold.innerText(), 'Fold done steps', 'no longer all folded');

      // Following the outline to a folded step unfolds it.
      await page.locator('.run-outline a', { hasText: '2. Step 2' }).click();
      assert.equal(await page.locator('#step-s02 .step-output').isVisible(), true);
      assert.ok(await inViewport(page, '#step-s02'));
    }));

  test('Escape closes the header menus; the skip link does not cover the brand', () =>
    t.withPage(async (page) => {
      await page.goto(t.app.base + '/');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.className), 'skip-link');
      const [skip, brand] = await Promise.all([page.locator('.skip-link').boundingBox(), page.locator('.brand').boundingBox()]);
      assert.ok(skip && brand);
      const overlap = skip.x < brand.x + brand.width && brand.x < skip.x + skip.width && skip.y < brand.y + brand.height && brand.y < skip.y + skip.height;
      assert.equal(overlap, false, `skip link ${JSON.stringify(skip)} overlaps the brand ${JSON.stringify(brand)}`);

      for (const menu of ['Workflows', 'Profile']) {
        const details = page.locator('details.dropdown', { has: page.locator('summary', { hasText: menu }) });
        await details.locator('summary').click();
        assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), true);
        await page.keyboard.press('Escape');
        assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), false, `${menu} closed by Escape`);
        assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'SUMMARY');
      }
    }));
});
