/**
 * The crawl's optional JavaScript rendering in Chromium (playwright-core): finding a browser, and a
 * small pool rendering a few pages at once in one browser process. Each rendering gets a fresh
 * browser context (own cookies, storage and renderer process): a hostile page cannot leave state
 * for the next one, and closing the context ends whatever it was running, endless loops included.
 * The policy for a single page lives in render-page.ts.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import type { PageRenderer } from './page-renderer.ts';
import { renderInContext, type RenderOutcome } from './render-page.ts';

export const CHROMIUM_MISSING = 'JavaScript rendering needs Chromium: install it (apt-get install chromium) or set RAILBOOK_CHROMIUM';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

/**
 * The Chromium to render with: RAILBOOK_CHROMIUM when set (and only it: a wrong setting is not
 * silently replaced), else a system Chromium or Chrome, else the one playwright-core would have
 * downloaded; undefined when there is none (say CHROMIUM_MISSING).
 */
export function findChromium(): string | undefined {
  const chosen = process.env.RAILBOOK_CHROMIUM;
  if (chosen !== undefined && chosen !== '') return existsSync(chosen) ? chosen : undefined;
  const system = CANDIDATES.find((p) => existsSync(p));
  if (system) return system;
  try {
    const own = chromium.executablePath();
    return own && existsSync(own) ? own : undefined;
  } catch {
    return undefined;
  }
}

/** Quiet on a closed network; no --user-data-dir (Playwright gives each launch its own). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // No --disable-features here: it would replace Playwright's own list rather than add to it.
];

export interface ChromiumRendererOptions {
  executablePath?: string;
  /** Pages rendered at once (default 2). */
  concurrency?: number;
  /** Per page, from its context's creation to the DOM read (default 15 s). */
  timeoutMs?: number;
  userAgent?: string;
  /** Origins besides the page's own that may serve scripts, XHR and fetch (default: none). */
  allowedOrigins?: (origin: string) => boolean;
  /** Rendered HTML is cut to this many bytes (default 5 MB). */
  maxHtmlBytes?: number;
  /** Quiet network time that counts as settled (default 250 ms). */
  idleMs?: number;
  /** Longest wait for that quiet after `load` (default 3 s). */
  settleMs?: number;
}

export interface ChromiumRenderer extends PageRenderer {
  render(url: string, body: Buffer, contentType: string | undefined, signal?: AbortSignal): Promise<RenderOutcome>;
}

const LAUNCH_TIMEOUT_MS = 30_000;

export async function createChromiumRenderer(opts: ChromiumRendererOptions = {}): Promise<ChromiumRenderer> {
  const executablePath = opts.executablePath ?? findChromium();
  if (executablePath === undefined) throw new Error(CHROMIUM_MISSING);
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const policy = {
    timeoutMs: opts.timeoutMs ?? 15_000,
    userAgent: opts.userAgent,
    allowedOrigins: opts.allowedOrigins ?? (() => false),
    maxHtmlBytes: opts.maxHtmlBytes ?? 5 * 1024 * 1024,
    idleMs: opts.idleMs ?? 250,
    settleMs: opts.settleMs ?? 3_000,
  };

  const launch = (): Promise<Browser> =>
    chromium.launch({
      executablePath,
      args: CHROMIUM_ARGS,
      timeout: LAUNCH_TIMEOUT_MS,
      // Playwright turns the popup blocker off; on, window.open without a click (all we ever see) fails.
      ignoreDefaultArgs: ['--disable-popup-blocking'],
    });

  // Fail here, not on the first page, when this Chromium cannot start.
  let browser: Promise<Browser> | undefined = launch();
  await browser;
  let closed = false;
  let active = 0;
  const waiting: (() => void)[] = [];

  /** The live browser, relaunched when the last one crashed or was replaced. */
  const current = async (): Promise<Browser> => {
    const b = browser ? await browser.catch(() => undefined) : undefined;
    if (b?.isConnected()) return b;
    browser = launch();
    return browser;
  };

  const replace = async (sick: Browser): Promise<void> => {
    if (browser && (await browser.catch(() => undefined)) === sick) browser = undefined;
    await sick.close().catch(() => {});
  };

  const acquire = (signal: AbortSignal | undefined): Promise<boolean> => {
    if (active < concurrency) {
      active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const go = (): void => {
        signal?.removeEventListener('abort', leave);
        active++;
        resolve(true);
      };
      const leave = (): void => {
        const i = waiting.indexOf(go);
        if (i >= 0) waiting.splice(i, 1);
        resolve(false);
      };
      waiting.push(go);
      signal?.addEventListener('abort', leave, { once: true });
    });
  };
  const release = (): void => {
    active--;
    waiting.shift()?.();
  };

  return {
    async render(url, body, contentType, signal) {
      if (closed) return { error: 'renderer closed', notes: [] };
      if (signal?.aborted || !(await acquire(signal))) return { error: 'render aborted', notes: [] };
      try {
        // A second attempt only when the browser itself went away (it may have died between renders,
        // before Playwright noticed): a fresh one is started for it.
        for (let attempt = 1; ; attempt++) {
          if (closed) return { error: 'renderer closed', notes: [] };
          let b: Browser;
          try {
            b = await current();
          } catch (e) {
            return { error: `Chromium did not start: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, notes: [] };
          }
          if (closed) {
            // close() ran while this browser was starting: it is nobody's to close but ours.
            await b.close().catch(() => {});
            return { error: 'renderer closed', notes: [] };
          }
          const { outcome, stuck } = await renderInContext(b, url, body, contentType, policy, signal);
          if (stuck && !closed) await replace(b);
          if ('error' in outcome && closed) return { error: 'renderer closed', notes: outcome.notes };
          if ('error' in outcome && !b.isConnected() && attempt === 1 && !signal?.aborted) continue;
          return outcome;
        }
      } finally {
        release();
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      // Renders still queued give up; running ones fail as their contexts go away with the browser.
      for (const go of waiting.splice(0)) go();
      const b = browser ? await browser.catch(() => undefined) : undefined;
      browser = undefined;
      await b?.close().catch(() => {});
    },
  };
}
