// Shared by the browser tests: a real server on a temp data folder, and real Chromium
// (Debian's, driven by playwright-core) that records every console error and page error.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.RAILBOOK_CHROMIUM ?? '/usr/bin/chromium';
// The same flags the crawl's renderer starts Chromium with (quiet on a closed network).
export { CHROMIUM_ARGS } from '../../src/seo/crawl/render-js.ts';
import { CHROMIUM_ARGS } from '../../src/seo/crawl/render-js.ts';

export function launchBrowser(): Promise<Browser> {
  // Never skip: a missing browser is a failed test run with a message saying what to install.
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (Debian/Ubuntu: apt-get install -y chromium) or point RAILBOOK_CHROMIUM at a Chromium or Chrome binary`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

import { startTestApp, type TestApp, type TestAppOptions } from '../helpers/test-app.ts';

export { startTestApp, type TestApp };

/** A fresh page (own context: own cookies) that collects console errors, page errors and CSP reports. */
export async function newPage(browser: Browser): Promise<{ page: Page; context: BrowserContext; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A stream the page closes on purpose (navigation, a card that finished) is not a failure.
    if (r.url().endsWith('/events') || r.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  // CSP violations also surface as console errors; this catches them even if the console stays quiet.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  return { page, context, problems };
}

/** Moves a range slider to `value` the way a person's drag ends: value set, input and change fired. */
export async function setRange(page: Page, selector: string, value: number): Promise<void> {
  await page.locator(selector).evaluate((el, v) => {
    const input = el as HTMLInputElement;
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}

/**
 * Waits until htmx is quiet: no request in flight, nothing swapping or settling. A submit's answer
 * also makes the run bar and the history reload themselves; clicking while they land can hit a
 * field that is moving, so a test that goes on to the next field waits for this first.
 */
export async function htmxQuiet(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling'));
}

export interface BrowserApp {
  /** Real Chromium, shared by the tests of the enclosing describe(). */
  readonly browser: Browser;
  /** A real server on a temp data folder, shared likewise. */
  readonly app: TestApp;
  /**
   * Runs `fn` in a fresh page (own context, own cookies) and fails the test on any console error,
   * page error or CSP violation — except failed loads with a status in `allowStatus`, for pages a
   * test loads on purpose with that status (Chromium logs each as a console error).
   */
  withPage(fn: (page: Page) => Promise<void>, allowStatus?: number[]): Promise<void>;
}

/** One browser and one app for the enclosing describe(): started before its first test, stopped after its last. */
export function useBrowserApp(opts: TestAppOptions = {}): BrowserApp {
  let browser: Browser | undefined;
  let app: TestApp | undefined;
  before(async () => {
    [browser, app] = await Promise.all([launchBrowser(), startTestApp(opts)]);
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
  });
  return {
    get browser() {
      return browser!;
    },
    get app() {
      return app!;
    },
    async withPage(fn, allowStatus = []) {
      const { page, context, problems } = await newPage(browser!);
      try {
        await fn(page);
        const unexpected = problems.filter((p) => !allowStatus.some((s) => p.includes(`status of ${s} `)));
        assert.deepEqual(unexpected, [], 'no console errors, page errors or CSP violations');
      } finally {
        await context.close();
      }
    },
  };
}
