// Every widget of the widgets workflow, in real Chromium: typed, chosen, ticked, slid, switched,
// uploaded (multipart), picked from a folder; every output view; the long hashing step with its
// live progress bar; then finalize. No console errors or CSP violations along the way.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { htmxQuiet, newPage, setRange, useBrowserApp } from './helpers.ts';

describe('browser: widgets workflow', () => {
  const t = useBrowserApp();

  const submit = (page: Page, step: string) => page.locator(`#step-${step} form.step-form button[type=submit]`).click();
  const doneCard = async (page: Page, step: string) => {
    await page.locator(`#step-${step}[data-status="done"]`).waitFor({ timeout: 15_000 });
    await htmxQuiet(page);
  };

  test('every widget, every output view, the long step, finalize', async () => {
    const { page, context, problems } = await newPage(t.browser);
    try {
      await page.goto(t.app.base + '/wf/widgets');
      await page.getByRole('button', { name: '+ New run' }).click();
      await page.waitForURL(/\/runs\/default-widgets-01$/);
      const key = 'default-widgets-01';

      // text
      await page.getByLabel('Project title').fill('Apollo');
      await page.getByLabel('Project title').press('Enter');
      await doneCard(page, 'title');
      assert.match(await page.locator('#step-title').innerText(), /Apollo/);

      // textarea → markdown output (raw HTML shown as text)
      const notes = page.getByLabel('Notes (markdown)');
      await notes.fill('## Plan\n\n- first *this*\n- <b>raw</b>');
      await submit(page, 'notes');
      await doneCard(page, 'notes');
      assert.equal(await page.locator('#step-notes .step-output h2').innerText(), 'Plan');
      assert.equal(await page.locator('#step-notes .step-output em').innerText(), 'this');
      assert.equal(await page.locator('#step-notes .step-output b').count(), 0, 'raw HTML is not rendered');
      assert.match(await page.locator('#step-notes .step-output').innerText(), /<b>raw<\/b>/);

      // dropdown: nothing chosen is refused next to the field, then a choice goes through
      await submit(page, 'colour');
      await page.locator('#f-colour-colour-error').waitFor();
      assert.equal(await page.locator('#f-colour-colour').getAttribute('aria-invalid'), 'true');
      await page.selectOption('#f-colour-colour', 'green');
      await submit(page, 'colour');
      await doneCard(page, 'colour');
      assert.match(await page.locator('#step-colour').innerText(), /green/);

      // checkboxes
      await page.locator('#step-toppings').getByLabel('cheese').check();
      await page.locator('#step-toppings').getByLabel('basil').check();
      await submit(page, 'toppings');
      await doneCard(page, 'toppings');
      assert.match(await page.locator('#step-toppings').innerText(), /cheese, basil/);

      // radios
      await page.locator('#step-size').getByLabel('Medium').check();
      await submit(page, 'size');
      await doneCard(page, 'size');
      assert.deepEqual((await t.app.engine.get(key)).steps.size!.output, { size: 'm' });

      // range, with its live value beside the label
      await setRange(page, '#f-level-level', 8);
      assert.equal(await page.locator('output[data-for="f-level-level"]').innerText(), '8');
      await page.focus('#f-level-level');
      await page.keyboard.press('ArrowRight');
      assert.equal(await page.locator('output[data-for="f-level-level"]').innerText(), '9', 'the keyboard moves the slider too');
      await submit(page, 'level');
      await doneCard(page, 'level');
      assert.deepEqual((await t.app.engine.get(key)).steps.level!.output, { level: 9 });

      // switch
      await page.getByRole('switch', { name: 'Notify me when done' }).check();
      await submit(page, 'notify');
      await doneCard(page, 'notify');
      assert.deepEqual((await t.app.engine.get(key)).steps.notify!.output, { notify: true });

      // file upload (multipart), stored as an artifact and linked from the output
      const bytes = randomBytes(400_000);
      const sha = createHash('sha256').update(bytes).digest('hex');
      assert.equal(await page.locator('#step-upload form').getAttribute('enctype'), 'multipart/form-data');
      await page.setInputFiles('#f-upload-file', { name: 'data.bin', mimeType: 'application/octet-stream', buffer: bytes });
      await submit(page, 'upload');
      await doneCard(page, 'upload');
      const ref = ((await t.app.engine.get(key)).steps.upload!.output as { file: { sha256: string; path: string } }).file;
      assert.equal(ref.sha256, sha);
      const href = await page.locator('#step-upload .step-output a').getAttribute('href');
      // The link carries the file's own name, so a download is saved as "data.bin".
      assert.equal(href, `/files/${ref.path}?name=data.bin`);
      const served = await page.evaluate(async (u) => {
        const r = await fetch(u);
        return { status: r.status, size: (await r.arrayBuffer()).byteLength };
      }, href!);
      assert.deepEqual(served, { status: 200, size: bytes.length });

      // choosing files from a folder → table output
      await page.locator('#step-pick').getByLabel(/hello\.txt/).check();
      await page.locator('#step-pick').getByLabel(/keywords\.csv/).check();
      await submit(page, 'pick');
      await doneCard(page, 'pick');
      const rows = await page.locator('#step-pick table tbody tr').count();
      assert.equal(rows, 2);
      assert.match(await page.locator('#step-pick table').innerText(), /keywords\.csv/);

      // link output: opens in a new tab, safely
      await page.getByLabel('A web address').fill('not a url');
      await submit(page, 'link');
      assert.match(await page.locator('#f-link-url-error').innerText(), /http:\/\/ or https:\/\//);
      assert.equal(await page.getByLabel('A web address').inputValue(), 'not a url', 'the entered value is kept');
      await page.getByLabel('A web address').fill('https://example.org/railbook');
      await submit(page, 'link');
      await doneCard(page, 'link');
      const link = page.locator('#step-link .step-output a');
      assert.equal(await link.getAttribute('href'), 'https://example.org/railbook');
      assert.equal(await link.getAttribute('target'), '_blank');
      assert.match((await link.getAttribute('rel')) ?? '', /noopener/);

      // the long step: a live progress bar, then code output with highlighting
      await setRange(page, '#f-hash-chunkKb', 4);
      await setRange(page, '#f-hash-pauseMs', 15);
      await submit(page, 'hash');
      await page.locator('#step-hash[data-status="running"] progress').waitFor();
      await page.waitForFunction(() => Number(document.querySelector('#step-hash progress')?.getAttribute('value') ?? 0) > 0);
      assert.match(await page.locator('#step-hash').innerText(), /chunks? hashed/);
      await doneCard(page, 'hash');
      const code = page.locator('#step-hash .step-output code');
      assert.match(await code.innerText(), new RegExp(sha));
      assert.ok((await page.locator('#step-hash .step-output [class^="hljs-"]').count()) > 0, 'the code is highlighted');
      // …and the highlight colours are served and applied: a JSON key is not in the plain text colour.
      const colours = await code.evaluate((el) => ({
        text: getComputedStyle(el).color,
        key: getComputedStyle(el.querySelector('.hljs-attr')!).color,
      }));
      assert.notEqual(colours.key, colours.text, 'highlight.css colours the code');
      assert.equal(((await t.app.engine.get(key)).steps.hash!.output as { matchesStored: boolean }).matchesStored, true);

      await page.getByRole('button', { name: 'Finalize' }).click();
      await page.getByRole('button', { name: 'Unfinalize' }).waitFor();
      assert.ok((await t.app.engine.get(key)).finalized);
      assert.equal(await page.locator('article.step[data-status="done"]').count(), 11);

      assert.deepEqual(
        problems.filter((p) => !p.includes('status of 422 ')),
        [],
        'no console errors, page errors or CSP violations',
      );
    } finally {
      await context.close();
    }
  });

  test('on a phone in dark mode: nothing widens the page, code takes the dark colours', async () => {
    const context = await t.browser.newContext({ viewport: { width: 420, height: 800 }, colorScheme: 'dark' });
    try {
      const page = await context.newPage();
      await page.goto(t.app.base + '/wf/widgets/runs/default-widgets-01');
      await page.locator('#step-hash .step-output code .hljs-attr').first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
      // The header keeps the brand and both menus on one line.
      const middles = await page.locator('.app-header nav > ul > li').evaluateAll((lis) =>
        lis.filter((li) => li.getClientRects().length > 0).map((li) => { const r = li.getBoundingClientRect(); return Math.round(r.top + r.height / 2); }));
      assert.ok(Math.max(...middles) - Math.min(...middles) <= 8, `header items on one line (middles ${middles.join(', ')})`);
      const { background, key } = await page.evaluate(() => ({
        background: getComputedStyle(document.body).backgroundColor,
        key: getComputedStyle(document.querySelector('#step-hash .hljs-attr')!).color,
      }));
      const lum = (rgb: string) => {
        const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).map(Number);
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      assert.ok(lum(background) < 60, `a dark page (${background})`);
      assert.ok(lum(key) > 120, `light code colours on it (${key})`);
    } finally {
      await context.close();
    }
  });
});
