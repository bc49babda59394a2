// The chat pane in real Chromium, against FakeOllama: Enter sends and the answer appears piece by
// piece, Shift+Enter is a new line, Stop ends a slow answer and keeps what came, and hostile model
// output (script, event handlers, javascript: links, a 2 MB answer) is rendered inert.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { saveAiSettings } from '../../src/ai/ai-settings.ts';
import { FakeOllama } from '../helpers/fake-ollama.ts';
import { useBrowserApp } from './helpers.ts';

/** Opens the home page and waits for the pane (fetched after the page); `fresh` starts a new conversation. */
async function openPane(page: Page, base: string, fresh = true): Promise<void> {
  await page.goto(base + '/');
  await page.locator('#chat-pane form[data-chat-form] textarea').waitFor();
  if (!fresh) return;
  await page.getByRole('button', { name: 'New conversation' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#chat-log > li').length === 0);
  // The button is gone with the old pane: the focus is in the new one's message box.
  await page.waitForFunction(() => document.activeElement?.id === 'chat-message');
}

/** Records every text the newest answer shows, as it changes (a MutationObserver in the page). */
async function recordAnswers(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __seen: string[] };
    w.__seen = [];
    const log = document.getElementById('chat-log')!;
    new MutationObserver(() => {
      const answers = log.querySelectorAll('.chat-assistant');
      const last = answers[answers.length - 1];
      if (last) w.__seen.push(last.textContent ?? '');
    }).observe(log, { childList: true, subtree: true, characterData: true });
  });
}

describe('browser: chat pane', () => {
  const t = useBrowserApp();
  let fake: FakeOllama;

  before(async () => {
    fake = await FakeOllama.start();
    await saveAiSettings(t.app.engine.store, { provider: 'ollama', baseUrl: fake.url, chatModel: 'gemma3:1b' });
  });
  after(async () => {
    await fake?.close();
  });

  test('the header says the model is ready; the pane sits beside the run\'s history', () =>
    t.withPage(async (page) => {
      await openPane(page, t.app.base);
      const badge = page.locator('a.health-badge');
      await badge.waitFor();
      assert.equal(await badge.getAttribute('data-ready'), 'ready');
      assert.match((await badge.getAttribute('title')) ?? '', /gemma3:1b/);
      assert.equal(await badge.getAttribute('href'), '/settings');

      // A run page: the history stays, the chat is beside it, and the step on screen is sent along.
      await page.goto(t.app.base + '/wf/hello');
      await page.getByRole('button', { name: '+ New run' }).click();
      await page.waitForURL(/\/runs\//);
      await page.locator('#chat-pane textarea').waitFor();
      await page.locator('#history').waitFor();
      assert.equal(await page.locator('#chat-pane form[data-chat-form] input[name="wf"]').getAttribute('value'), 'hello');
      assert.equal(await page.locator('#chat-pane form[data-chat-form] input[name="step"]').getAttribute('value'), 'name');
      assert.ok(await page.locator('#chat-pane form[data-chat-form] input[name="run"]').getAttribute('value'));
    }));

  test('Enter sends, the answer appears piece by piece, Shift+Enter is a new line', () =>
    t.withPage(async (page) => {
      fake.chat = { tokens: ['Alpha', ' beta', ' gamma', ' delta', ' **omega**'], delayMs: 150 };
      await openPane(page, t.app.base);
      await recordAnswers(page);
      const box = page.getByLabel('Message', { exact: true });
      await box.click();
      await page.keyboard.type('line one');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('line two');
      assert.equal(await box.inputValue(), 'line one\nline two', 'Shift+Enter added a newline, and sent nothing');
      assert.equal(await page.locator('#chat-log .chat-user').count(), 0);

      await page.keyboard.press('Enter');
      const user = page.locator('#chat-log .chat-user').last();
      await user.waitFor();
      assert.equal(await user.locator('.chat-user-text').innerText(), 'line one\nline two');
      assert.equal(await box.inputValue(), '', 'the box is emptied once sent');
      // Stop replaces Send while the answer streams.
      await page.getByRole('button', { name: 'Stop' }).waitFor({ state: 'visible' });

      const done = page.locator('#chat-log .chat-assistant.chat-done').last();
      await done.waitFor();
      assert.match(await done.innerText(), /Alpha beta gamma delta omega/);
      assert.equal(await done.locator('strong').innerText(), 'omega', 'markdown rendered');
      const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
      assert.ok(seen.some((s) => s.includes('Alpha') && !s.includes('omega')), `an intermediate state was shown: ${JSON.stringify(seen.slice(0, 6))}`);
      assert.equal(await page.getByRole('button', { name: 'Send' }).isVisible(), true, 'Send is back');
      assert.equal(await page.getByRole('button', { name: 'Stop' }).count(), 0, 'Stop is hidden');
      // The request named the text as typed.
      const asked = fake.requests.filter((r) => r.path === '/api/chat').at(-1)!.body as { messages: { content: string }[] };
      assert.equal(asked.messages.at(-1)!.content, 'line one\nline two');
    }));

  test('an answer whose POST stream breaks off is followed over its own stream to the end', () =>
    t.withPage(async (page) => {
      fake.chat = { tokens: ['Dropped', ' but', ' **recovered**'], delayMs: 20 };
      await openPane(page, t.app.base);
      // The POST's stream is cut after its first event (the bubble): chat.js must reconnect.
      let cut = 0;
      await page.route('**/chat', async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        const res = await route.fetch();
        const body = await res.text();
        cut++;
        await route.fulfill({ status: res.status(), headers: res.headers(), body: body.slice(0, body.indexOf('\n\n') + 2) });
      });
      const box = page.getByLabel('Message', { exact: true });
      await box.fill('Cut me off');
      await box.press('Enter');
      const done = page.locator('#chat-log .chat-assistant.chat-done').last();
      await done.waitFor();
      assert.equal(cut, 1, 'the POST was the one cut');
      assert.match(await done.innerText(), /Dropped but recovered/);
      assert.equal(await done.locator('strong').innerText(), 'recovered');
      assert.equal(await page.getByRole('button', { name: 'Send' }).isVisible(), true, 'Send is back');
      await page.unroute('**/chat');
    }));

  test('Stop ends a slow answer, from the keyboard; the partial answer stays', () =>
    t.withPage(async (page) => {
      fake.chat = { tokens: ['Once upon a time', ...Array.from({ length: 300 }, (_, i) => ` word${i}`)], delayMs: 100 };
      await openPane(page, t.app.base);
      const box = page.getByLabel('Message', { exact: true });
      await box.fill('Tell me a long story');
      await box.press('Enter');
      const streaming = page.locator('#chat-log .chat-assistant.is-streaming');
      await streaming.getByText('Once upon a time').waitFor();
      const stop = page.getByRole('button', { name: 'Stop' });
      await stop.focus();
      await page.keyboard.press('Enter');
      const stopped = page.locator('#chat-log .chat-assistant.chat-stopped').last();
      await stopped.waitFor();
      const text = await stopped.innerText();
      assert.match(text, /Once upon a time/);
      assert.match(text, /Stopped\./);
      assert.doesNotMatch(text, /word299/);
      assert.equal(await page.locator('#chat-log .is-streaming').count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Send' }).isVisible(), true);
      // Stored: a reload shows it too.
      await openPane(page, t.app.base, false);
      assert.match(await page.locator('#chat-log .chat-assistant.chat-stopped').last().innerText(), /Once upon a time/);
    }));

  test('hostile model output is inert: no script runs, no javascript: link, a 2 MB answer leaves the page usable', () =>
    t.withPage(async (page) => {
      fake.chat = {
        tokens: [
          'Look: <script>window.__pwned=1</script>',
          ' <img src=x onerror="window.__pwned=1">',
          ' [x](javascript:window.__pwned=1)',
          ' <a href="javascript:window.__pwned=1" onclick="window.__pwned=1">y</a>',
          ' <svg onload="window.__pwned=1"></svg> <iframe src="javascript:window.__pwned=1"></iframe>',
          ' <details open ontoggle="window.__pwned=1">z</details> end.',
        ],
        delayMs: 60,
      };
      await openPane(page, t.app.base);
      const box = page.getByLabel('Message', { exact: true });
      await box.fill('Be evil');
      await box.press('Enter');
      const done = page.locator('#chat-log .chat-assistant.chat-done').last();
      await done.waitFor();
      assert.match(await done.innerText(), /Look:[\s\S]*end\./);
      const pane = page.locator('#chat-pane');
      assert.equal(await pane.locator('script, img, svg, iframe, [onerror], [onclick], [onload], [ontoggle]').count(), 0);
      const hrefs = await pane.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
      assert.ok(hrefs.every((h) => !/^\s*javascript:/i.test(h)), `no javascript: link: ${JSON.stringify(hrefs)}`);
      // Clicking what was the link does nothing either.
      await done.getByText('x', { exact: true }).first().click();
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined);

      // A 2 MB answer: shown cut, as text, and the page still answers and takes input.
      const chunk = 'All work and no play makes a model a dull one. '.repeat(2_000);
      fake.chat = { tokens: Array.from({ length: Math.ceil(2_000_000 / chunk.length) }, () => chunk), delayMs: 5 };
      await box.fill('Say a lot');
      await box.press('Enter');
      const huge = page.locator('#chat-log .chat-assistant.chat-done').last();
      await page.locator('#chat-log .chat-assistant.chat-done .model-text-cut').waitFor();
      assert.match(await huge.locator('.model-text-cut').innerText(), /cut: the answer was 2,\d{3},\d{3} characters/);
      assert.equal(await page.evaluate(() => 1 + 1), 2);
      await box.fill('still typing');
      assert.equal(await box.inputValue(), 'still typing');
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined);
      assert.equal(await pane.locator('script').count(), 0);
    }));
});
