/**
 * One JavaScript rendering in Chromium, in its own browser context: the crawler's copy of the page
 * is served to the browser (no second fetch), subresources are held to a policy (scripts, XHR and
 * fetch from allowed origins; everything else refused), hostile behaviour (dialogs, popups,
 * navigating away, endless loops) is contained and noted, and the DOM is read once the page settled.
 */
import type { Browser, BrowserContext, Page, Request, Route } from 'playwright-core';

export interface RenderPolicy {
  /** Whole rendering, from the new context to the DOM read. */
  timeoutMs: number;
  userAgent: string | undefined;
  /** May the page load a script, XHR or fetch from this origin? */
  allowedOrigins: (origin: string) => boolean;
  maxHtmlBytes: number;
  /** Quiet time (no request in flight) that counts as network idle. */
  idleMs: number;
  /** Longest wait for network idle after `load`; the DOM is read anyway when it runs out. */
  settleMs: number;
}

export interface ChromiumRendered {
  html: string;
  ms: number;
  /** What the page tried and was refused (dialogs, popups, navigations, blocked origins), or truncation. */
  notes: string[];
}

export type RenderOutcome = ChromiumRendered | { error: string; notes: string[] };

const SUBRESOURCE_TYPES = new Set(['script', 'xhr', 'fetch']);
const MAX_NOTES = 20;
const CLOSE_TIMEOUT_MS = 5_000;
/** Read in an isolated world, so page scripts cannot redefine what outerHTML or slice return. */
const SNAPSHOT = (cap: number): string =>
  `(() => { const e = document.documentElement; if (!e) return ''; const s = e.outerHTML; return s.length > ${cap} ? s.slice(0, ${cap}) : s; })()`;

function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

function isMainFrame(req: Request, page: Page): boolean {
  try {
    return req.frame() === page.mainFrame();
  } catch {
    return false; // a request with no frame (a worker's) is never the page's document
  }
}

/** Trims to at most `max` UTF-8 bytes without cutting a character in two. */
function capBytes(s: string, max: number): { text: string; cut: boolean } {
  if (Buffer.byteLength(s) <= max) return { text: s, cut: false };
  const buf = Buffer.from(s).subarray(0, max);
  // Drop a trailing partial sequence (continuation bytes are 10xxxxxx).
  let end = buf.length;
  while (end > 0 && (buf[end - 1]! & 0xc0) === 0x80) end--;
  if (end > 0 && buf[end - 1]! >= 0xc0) end--;
  return { text: buf.subarray(0, end).toString('utf8'), cut: true };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Resolves once `p` settles or `ms` passes; true when it settled in time. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function renderInContext(
  browser: Browser,
  url: string,
  body: Buffer,
  contentType: string | undefined,
  policy: RenderPolicy,
  signal: AbortSignal | undefined,
): Promise<{ outcome: RenderOutcome; stuck: boolean }> {
  const started = performance.now();
  const notes: string[] = [];
  const note = (n: string): void => {
    if (notes.length < MAX_NOTES && !notes.includes(n)) notes.push(n);
  };
  const pageOrigin = originOf(url);
  if (!pageOrigin) return { outcome: { error: `not an http(s) URL: ${url}`, notes }, stuck: false };
  const allowed = (origin: string | undefined): boolean => origin !== undefined && (origin === pageOrigin || policy.allowedOrigins(origin));

  let context: BrowserContext | undefined;
  let finished = false;
  // Fails the race below on timeout, crash or abort; `fail` is set before anything can call it.
  let fail: (reason: string) => void = () => {};
  const failed = new Promise<{ error: string }>((resolve) => (fail = (error) => resolve({ error })));
  const timer = setTimeout(() => fail('render timeout'), policy.timeoutMs);
  const onAbort = (): void => fail('render aborted');
  signal?.addEventListener('abort', onAbort, { once: true });

  const work = async (): Promise<ChromiumRendered> => {
    const ctx = await browser.newContext({
      ...(policy.userAgent !== undefined ? { userAgent: policy.userAgent } : {}),
      serviceWorkers: 'block',
      acceptDownloads: false,
      viewport: { width: 1280, height: 900 },
      // Our origin policy decides what loads; without this, Chromium would also stall an allowed origin
      // on a private or loopback address (a served copy counts as a public page to it).
      permissions: ['local-network-access'],
    });
    context = ctx;
    if (finished) throw new Error('render already over'); // the finally below closes it
    let page: Page | undefined;
    let mainServed = false;

    await ctx.route('**/*', (route: Route) => {
      const req = route.request();
      const reqUrl = req.url();
      if (req.isNavigationRequest()) {
        // The crawler's own copy is the first document of the page (our goto: nothing runs before it);
        // every later navigation (location=, meta refresh, form submit, frames, popups) is refused with
        // ERR_ABORTED, which leaves the current document in place instead of an error page.
        const main = page !== undefined && isMainFrame(req, page);
        if (main && !mainServed) {
          mainServed = true;
          return route.fulfill({ status: 200, contentType: contentType ?? 'text/html', body });
        }
        note(main ? `navigation to ${reqUrl} refused` : `frame or popup document ${reqUrl} refused`);
        return route.abort('aborted');
      }
      const origin = originOf(reqUrl);
      if (!SUBRESOURCE_TYPES.has(req.resourceType())) return route.abort('blockedbyclient');
      if (!allowed(origin)) {
        note(`${req.resourceType()} from ${origin ?? reqUrl.slice(0, 80)} blocked`);
        return route.abort('blockedbyclient');
      }
      return route.continue();
    });
    await ctx.routeWebSocket(() => true, (ws) => {
      note(`websocket ${ws.url()} refused`);
      return ws.close();
    });
    ctx.on('page', (p) => {
      // The first page is ours (this fires before newPage() resolves); any other is a popup.
      if (page === undefined || p === page) {
        page = p;
        return;
      }
      note('popup closed');
      p.close().catch(() => {});
    });

    page = await ctx.newPage();
    page.on('crash', () => fail('page crashed'));
    page.on('dialog', (d) => {
      note(`${d.type()} dialog dismissed`);
      d.dismiss().catch(() => {});
    });
    page.on('download', (d) => {
      note('download refused');
      d.cancel().catch(() => {});
    });

    // Playwright routes only see the first URL of a redirect chain: a second interceptor at the response
    // stage refuses redirects that would leave the allowed origins.
    const cdp = await ctx.newCDPSession(page);
    cdp.on('Fetch.requestPaused', (e: { requestId: string; request: { url: string }; responseStatusCode?: number; responseHeaders?: { name: string; value: string }[] }) => {
      if (e.responseStatusCode === undefined) {
        // A request that already failed (refused above, or a network error): let its error stand, since
        // another error code here would turn a refused navigation into an error page.
        cdp.send('Fetch.continueRequest', { requestId: e.requestId }).catch(() => {});
        return;
      }
      const location = e.responseHeaders?.find((h) => h.name.toLowerCase() === 'location')?.value;
      let leaves = !allowed(originOf(e.request.url));
      if (!leaves && location !== undefined && e.responseStatusCode >= 300 && e.responseStatusCode < 400) {
        let next: string | undefined;
        try {
          next = new URL(location, e.request.url).href;
        } catch {
          next = undefined;
        }
        leaves = next === undefined || !allowed(originOf(next));
        if (leaves) note(`redirect to ${next ?? location} blocked`);
      }
      const done = leaves
        ? cdp.send('Fetch.failRequest', { requestId: e.requestId, errorReason: 'BlockedByClient' })
        : cdp.send('Fetch.continueResponse', { requestId: e.requestId });
      done.catch(() => {});
    });
    await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*', requestStage: 'Response' }] });

    // Requests in flight, for network idle.
    const inFlight = new Set<Request>();
    let lastActivity = performance.now();
    const settle = (r: Request): void => {
      inFlight.delete(r);
      lastActivity = performance.now();
    };
    page.on('request', (r) => {
      inFlight.add(r);
      lastActivity = performance.now();
    });
    page.on('requestfinished', settle);
    page.on('requestfailed', settle);

    const remaining = (): number => Math.max(1, policy.timeoutMs - (performance.now() - started));
    await page.goto(url, { waitUntil: 'commit', timeout: remaining() });
    // Everything we read runs in an isolated world, where page scripts cannot redefine what we call.
    let worldId: number | undefined;
    const evaluate = async (expression: string): Promise<unknown> => {
      if (worldId === undefined) {
        const tree = (await cdp.send('Page.getFrameTree')) as { frameTree: { frame: { id: string } } };
        const world = (await cdp.send('Page.createIsolatedWorld', { frameId: tree.frameTree.frame.id, worldName: 'railbook-render' })) as { executionContextId: number };
        worldId = world.executionContextId;
      }
      const r = (await cdp.send('Runtime.evaluate', { expression, contextId: worldId, returnByValue: true })) as { result: { value?: unknown }; exceptionDetails?: unknown };
      if (r.exceptionDetails !== undefined) throw new Error('could not read the page');
      return r.result.value;
    };
    // A document the page replaced (document.open, a javascript: URL returning HTML) took our world with it.
    const inWorld = (expression: string): Promise<unknown> =>
      evaluate(expression).catch(() => {
        worldId = undefined;
        return evaluate(expression);
      });
    // readyState rather than the load event: a navigation the page starts (and we refuse) stops the
    // document's loading, so its load event never fires, yet the document is complete.
    const reserve = Math.min(1_000, policy.timeoutMs / 4); // time left to read the DOM if it never completes
    const loadUntil = performance.now() + Math.max(1, remaining() - reserve);
    let loaded = false;
    while (!loaded && performance.now() < loadUntil) {
      loaded = (await inWorld('document.readyState')) === 'complete';
      if (!loaded) await delay(25);
    }
    if (!loaded) note('document not complete in time; DOM read anyway');
    const settleUntil = performance.now() + Math.min(policy.settleMs, remaining());
    while (performance.now() < settleUntil) {
      if (inFlight.size === 0 && performance.now() - lastActivity >= policy.idleMs) break;
      await delay(Math.min(25, policy.idleMs));
    }
    if (inFlight.size > 0) note(`network not idle after ${policy.settleMs} ms; DOM read anyway`);

    const value = await inWorld(SNAPSHOT(policy.maxHtmlBytes));
    if (typeof value !== 'string') throw new Error('could not read the DOM');
    const { text, cut } = capBytes(value, policy.maxHtmlBytes);
    if (cut || value.length >= policy.maxHtmlBytes) note(`rendered HTML cut at ${policy.maxHtmlBytes} bytes`);
    return { html: text, ms: Math.round(performance.now() - started), notes };
  };

  const running = work();
  running.catch(() => {}); // when the race below is lost, closing the context rejects it: expected
  let outcome: RenderOutcome;
  try {
    if (signal?.aborted) fail('render aborted');
    const won = await Promise.race([running, failed]);
    outcome = 'error' in won ? { error: won.error, notes } : won;
  } catch (e) {
    const message = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
    outcome = { error: `render failed: ${message}`, notes };
  }
  clearTimeout(timer);
  signal?.removeEventListener('abort', onAbort);
  finished = true;
  // A context still being created is closed as soon as it exists (work() throws right after).
  const created = context !== undefined || (await within(running, CLOSE_TIMEOUT_MS));
  const ctx = context as BrowserContext | undefined;
  // A context that will not come or will not close means a sick browser: the caller replaces it.
  const stuck = !created || (ctx !== undefined && !(await within(ctx.close(), CLOSE_TIMEOUT_MS)));
  return { outcome, stuck };
}
