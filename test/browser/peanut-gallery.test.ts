// The peanut gallery in real Chromium: the built-in peanut_gallery workflow, served by a real
// server whose engine asks a real HTTP server speaking Ollama's protocol (fake-ollama.ts). The
// model's comment streams into the step's card while it runs, ends rendered (hostile bits inert),
// and is still there after a reload.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { loadAiSettings } from '../../src/ai/ai-settings.ts';
import { peanutGallery } from '../../src/ai/peanut-gallery.ts';
import { startServer, type RunningServer } from '../../src/web/server.ts';
import { FakeOllama } from '../helpers/fake-ollama.ts';
import { tempEngine, type TempEngine } from '../helpers/temp-engine.ts';
import { launchBrowser, newPage } from './helpers.ts';

describe('browser: a step asks the model for a comment', () => {
  let browser: Browser;
  let fake: FakeOllama;
  let t: TempEngine;
  let server: RunningServer;
  let base: string;

  before(async () => {
    [browser, fake] = await Promise.all([launchBrowser(), FakeOllama.start()]);
    const env = { RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: fake.url, RAILBOOK_AI_CHAT_MODEL: 'gemma3:1b' };
    t = await tempEngine({ engine: { ai: peanutGallery({ settings: () => loadAiSettings(t.engine.store, env) }) } });
    server = await startServer({ engine: t.engine, port: 0 });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
    await fake?.close();
  });

  test('the comment appears live in the step card, ends rendered and inert, and stays after a reload', async () => {
    const { page, context, problems } = await newPage(browser);
    try {
      let release!: () => void;
      const shown = new Promise<void>((r) => { release = r; });
      fake.chat = {
        tokens: ['The ', 'outlier ', 'is ', '**100**', '. ', '<img src=x onerror="window.__pwned=1">', '<script>window.__pwned=2</script>', '[see](javascript:window.__pwned=3)'],
        // Holds after "outlier " until the page has shown the half-streamed comment.
        hold: { after: 1, release: shown },
      };
      await page.goto(`${base}/wf/peanut_gallery`);
      await page.getByRole('button', { name: '+ New run' }).click();
      await page.waitForURL(/\/runs\/default-peanut_gallery-01$/);
      await page.getByLabel('Numbers or text, one item per line').fill('3\n4\n5\n100');
      await page.locator('#step-data').getByRole('button', { name: 'Continue' }).click();
      await page.locator('#step-comment').getByRole('button', { name: 'Count and ask the model' }).click();

      // While it runs: the stats, and the comment growing, marked as still thinking.
      const seen = await page.waitForFunction(() => {
        const c = document.querySelector('#step-comment[data-status="running"] .live-output .model-comment[data-status="streaming"]');
        const text = c?.querySelector('.model-comment-text')?.textContent ?? '';
        return text.includes('outlier') && !text.includes('100') ? { text, head: c?.querySelector('.model-comment-head')?.textContent ?? '' } : false;
      });
      const live = (await seen.jsonValue()) as { text: string; head: string };
      release();
      assert.match(live.head, /gemma3:1b · thinking…/);
      assert.match(await page.locator('#step-comment .live-output').innerText(), /numbers\s*4/);

      // Done: the card reloads with the stored output, the markdown rendered.
      const card = page.locator('#step-comment[data-status="done"]');
      await card.waitFor();
      const check = async () => {
        assert.equal(await card.locator('.model-comment[data-status="done"] .model-comment-text strong').innerText(), '100');
        assert.match(await card.locator('.model-comment-text').innerText(), /^The outlier is 100\./);
        assert.match(await card.locator('.model-comment-head').innerText(), /gemma3:1b/);
        assert.equal(await card.locator('img, script, [onerror], a[href^="javascript"]').count(), 0, 'nothing hostile made it into the page');
        assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      };
      await check();
      const stored = (await t.engine.get('default-peanut_gallery-01')).steps.comment!.output as { comment: { text: string } };
      assert.match(stored.comment.text, /<script>window.__pwned=2<\/script>/, 'stored as the model wrote it');

      await page.reload();
      await card.waitFor();
      await check();
      assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
    } finally {
      await context.close();
    }
  });
});
