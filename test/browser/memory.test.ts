// The Memory page in real Chromium: reached from the header, a note and a pasted document added
// from the keyboard (htmx swaps the section in place), both listed after a reload, the embedding
// state said in words — with no console errors or CSP violations. No model is configured here:
// documents wait for one (the integration test covers embedding).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { htmxQuiet, useBrowserApp } from './helpers.ts';

describe('browser: memory', () => {
  const t = useBrowserApp();

  test('add a note and a document from the page, by keyboard; both are listed', () =>
    t.withPage(async (page) => {
      await page.goto(t.app.base + '/');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Memory' }).click();
      await page.waitForURL(/\/memory$/);
      await page.getByRole('heading', { name: 'Memory', level: 1 }).waitFor();
      await htmxQuiet(page);

      // A note: key, Tab, value, Tab to the button, Enter.
      await page.getByLabel('Key').focus();
      await page.keyboard.type('Home town');
      await page.keyboard.press('Tab');
      await page.keyboard.type('Utrecht');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Add note');
      await page.keyboard.press('Enter');
      const notes = page.locator('#memory-notes');
      await notes.getByRole('status').getByText('Note saved.').waitFor();
      assert.match(await notes.locator('tbody').innerText(), /home town\s+Utrecht\s+you/);
      assert.equal(page.url(), t.app.base + '/memory', 'swapped in place, no navigation');

      // A refused note: the message at the form, the field marked invalid.
      await htmxQuiet(page);
      await page.getByLabel('Key').fill('colour');
      await page.getByLabel('Value').fill('   ');
      await page.getByLabel('Value').evaluate((el) => el.removeAttribute('required'));
      await page.getByRole('button', { name: 'Add note' }).press('Enter');
      await notes.getByRole('alert').getByText('A note needs a value').waitFor();
      assert.equal(await page.getByLabel('Key').getAttribute('aria-invalid'), 'true');
      await page.waitForFunction(() => document.activeElement?.id === 'memory-note-key');
      assert.equal(await page.getByLabel('Key').inputValue(), 'colour', 'what was typed is kept, and the focus is back at the form');

      // A document: pasted text with a title.
      await htmxQuiet(page);
      await page.getByLabel('Pasted text: title').focus();
      await page.keyboard.type('Tea');
      await page.keyboard.press('Tab');
      await page.keyboard.type('Steep green tea for two minutes, black tea for four.');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Add text');
      await page.keyboard.press('Enter');
      const docs = page.locator('#memory-documents');
      await docs.getByRole('status').getByText('Added 1 document.').waitFor();
      assert.match(await docs.locator('tbody').innerText(), /Tea\s+pasted text\s+waiting for an embedding model/);

      // After a reload both are there, and the embedding state says what to do.
      await htmxQuiet(page);
      await page.reload();
      await page.getByRole('heading', { name: 'Memory', level: 1 }).waitFor();
      assert.match(await page.locator('#memory-notes tbody').innerText(), /home town/);
      assert.match(await page.locator('#memory-documents tbody').innerText(), /Tea/);
      await page.locator('#memory-embedding').getByText('No embedding model.').waitFor();
      assert.ok(await page.locator('#memory-embedding').getByRole('link', { name: 'Settings page' }).isVisible());
      await htmxQuiet(page);
    }, [422])); // the refused note answers 422 on purpose (Chromium logs it)
});
