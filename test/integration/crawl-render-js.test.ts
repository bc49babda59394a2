/**
 * JavaScript rendering in real Chromium against real loopback servers: a page built by its scripts
 * renders with its links and title, the crawler's copy is not fetched again, other origins (and
 * redirects to them) are refused, hostile pages end bounded while the next render still works, and
 * close() leaves no Chromium process behind. One renderer (one browser) for the whole file.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CHROMIUM_MISSING, createChromiumRenderer, findChromium, type ChromiumRenderer } from '../../src/seo/crawl/render-js.ts';

const CHROMIUM = process.env.RAILBOOK_CHROMIUM ?? '/usr/bin/chromium';

interface Server {
  origin: string;
  count(path: string): number;
  close(): Promise<void>;
}

type Route = string | ((req: http.IncomingMessage, res: http.ServerResponse) => void);

/** A loopback server: `routes` by path; HTML strings are served as text/html, `.js` paths as JavaScript. */
async function serve(routes: Record<string, Route>): Promise<Server> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    hits.push(path);
    const route = routes[path];
    if (route === undefined) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    else if (typeof route === 'string') res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : path.endsWith('.json') ? 'application/json' : 'text/html' }).end(route);
    else route(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (p) => hits.filter((h) => h === p).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Processes below this one whose command line is Chromium's (tsx's esbuild is a child too). */
function chromiumPids(): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...parent.keys()].filter((pid) => {
    if (!below(pid)) return false;
    try {
      return /chrom/i.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is dead but still listed until its parent reaps it.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('JavaScript rendering in Chromium', () => {
  let site: Server; // the crawled site
  let cdn: Server; // an origin the renderer is told to allow
  let other: Server; // an origin nobody allowed: must never see a request
  let renderer: ChromiumRenderer;
  const held: http.ServerResponse[] = [];

  /** What the crawler would do: fetch the page once, then hand the body to the renderer. */
  async function crawlAndRender(path: string, signal?: AbortSignal) {
    const res = await fetch(site.origin + path);
    const body = Buffer.from(await res.arrayBuffer());
    return renderer.render(site.origin + path, body, res.headers.get('content-type') ?? undefined, signal);
  }

  async function assertStillWorks(): Promise<void> {
    const r = await crawlAndRender('/plain');
    assert.ok('html' in r, `the next render works: ${JSON.stringify(r)}`);
    assert.match(r.html, /<title>Plain<\/title>/);
  }

  before(async () => {
    other = await serve({
      '/evil.js': 'document.title = "hijacked"',
      '/data.json': '{"x":1}',
      '/popup': '<html><body>CONTENT FROM ELSEWHERE</body></html>',
      '/away': '<html><body>CONTENT FROM ELSEWHERE</body></html>',
    });
    cdn = await serve({ '/lib.js': 'document.addEventListener("DOMContentLoaded", () => document.body.insertAdjacentHTML("beforeend", "<a href=\\"/from-cdn\\">cdn</a>"))' });
    site = await serve({
      '/plain': '<!doctype html><html><head><title>Plain</title></head><body><p>plain</p></body></html>',
      '/app': `<!doctype html><html><head><title>Loading</title><script src="/app.js"></script><script src="${cdn.origin}/lib.js"></script>
        <link rel="stylesheet" href="/style.css"></head><body><div id="root"></div><img src="/big.png"></body></html>`,
      '/app.js': `document.addEventListener('DOMContentLoaded', async () => {
          document.title = 'Built by JS';
          const root = document.getElementById('root');
          root.innerHTML = '<h1>Rendered</h1><a href="/js-link-1">one</a>';
          const r = await fetch('/api/links.json');
          for (const href of await r.json()) root.insertAdjacentHTML('beforeend', '<a href="' + href + '">x</a>');
        });`,
      '/api/links.json': JSON.stringify(['/from-api-1', '/from-api-2']),
      '/style.css': 'body{color:red}',
      '/big.png': 'not really a png',
      '/third': `<html><head><title>Third</title><script src="${other.origin}/evil.js"></script></head><body>
        <script src="/third.js"></script></body></html>`,
      '/third.js': `fetch('${other.origin}/data.json').catch(() => {}); const x = new XMLHttpRequest(); x.open('GET', '${other.origin}/data.json'); x.send();
        navigator.sendBeacon && navigator.sendBeacon('${other.origin}/data.json', 'x');`,
      '/redirects': '<html><head><title>Redirects</title><script src="/to-other.js"></script><script src="/to-same.js"></script></head><body></body></html>',
      '/to-other.js': (_req, res) => res.writeHead(302, { location: `${other.origin}/evil.js` }).end(),
      '/to-same.js': (_req, res) => res.writeHead(302, { location: '/same.js' }).end(),
      '/same.js': 'document.documentElement.setAttribute("data-same", "same origin redirect ran")',
      '/loop': '<html><head><title>Loop</title></head><body><script>while (true) {}</script></body></html>',
      '/loop-later': '<html><head><title>Later</title></head><body><script>setTimeout(() => { for (;;) {} }, 0)</script></body></html>',
      '/dialogs': `<html><head><title>Dialogs</title></head><body><script>alert('a'); confirm('b'); prompt('c');
        window.onbeforeunload = () => 'stay'; document.title = 'After dialogs';</script></body></html>`,
      '/popup': `<html><head><title>Popup</title></head><body><script>const w = window.open('${other.origin}/popup'); document.title = 'Popup ' + (w === null);
        </script></body></html>`,
      '/navigate': `<html><head><title>Navigate</title></head><body><p id=kept>kept</p><script>location = '${other.origin}/away';</script></body></html>`,
      '/navigate-later': `<html><head><title>Navigate later</title></head><body><p id=kept>kept</p><script>setTimeout(() => { location.href = '${other.origin}/away'; }, 50)</script></body></html>`,
      '/navigate-file': `<html><head><title>File</title></head><body><p id=kept>kept</p><script>location = 'file:///etc/passwd';</script></body></html>`,
      '/navigate-js': `<html><head><title>JS URL</title></head><body><p id=kept>kept</p><script>location = 'javascript:void(document.title = "js url ran")';</script></body></html>`,
      '/download': `<html><head><title>Download</title></head><body><p id=kept>kept</p><script>
        for (const href of ['/file.bin', '${other.origin}/file.bin']) {
          const a = document.createElement('a'); a.href = href; a.download = 'file.bin'; document.body.appendChild(a); a.click();
        }</script></body></html>`,
      '/file.bin': (_req, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(1024)),
      '/js-replace': `<html><head><title>Replace</title></head><body><script>setTimeout(() => { location = 'javascript:"<p>replaced by its own script</p>"'; }, 0)</script></body></html>`,
      '/refresh': `<html><head><title>Refresh</title><meta http-equiv="refresh" content="0;url=${other.origin}/away"></head><body>kept</body></html>`,
      '/self-reload': `<html><head><title>Reload</title></head><body><script>location.reload()</script></body></html>`,
      '/frame': `<html><head><title>Frame</title></head><body><iframe src="${other.origin}/popup"></iframe><iframe src="/plain"></iframe></body></html>`,
      '/huge': `<html><head><title>Huge</title></head><body><script>document.body.appendChild(document.createElement('pre')).textContent = 'é'.repeat(400000);</script></body></html>`,
      '/held': '<html><head><title>Held</title><script src="/hold.js"></script></head><body></body></html>',
      '/hold.js': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.write('// never ends\n');
        held.push(res);
      },
    });
    renderer = await createChromiumRenderer({
      executablePath: CHROMIUM,
      concurrency: 2,
      timeoutMs: 5000,
      idleMs: 100,
      settleMs: 1000,
      maxHtmlBytes: 256 * 1024,
      allowedOrigins: (o) => o === cdn.origin,
      userAgent: 'RailbookTest/1.0',
    });
  });

  after(async () => {
    await renderer?.close();
    for (const r of held) r.destroy();
    await Promise.all([site?.close(), cdn?.close(), other?.close()]);
  });

  it('renders what scripts add (title, links, XHR data) without fetching the page again', async () => {
    const r = await crawlAndRender('/app');
    assert.ok('html' in r, JSON.stringify(r));
    assert.match(r.html, /<title>Built by JS<\/title>/);
    for (const href of ['/js-link-1', '/from-api-1', '/from-api-2', '/from-cdn']) assert.ok(r.html.includes(`href="${href}"`), `${href} in the rendered DOM`);
    assert.equal(site.count('/app'), 1, 'the document was fetched once, by the crawler');
    assert.equal(site.count('/app.js'), 1);
    assert.equal(site.count('/api/links.json'), 1);
    assert.equal(cdn.count('/lib.js'), 1, 'an allowed origin serves its script');
    assert.equal(site.count('/big.png'), 0, 'images are not loaded');
    assert.equal(site.count('/style.css'), 0, 'stylesheets are not loaded');
    assert.ok(r.ms >= 0);
  });

  it('refuses scripts, fetch, XHR and beacons from origins not allowed, and redirects to them', async () => {
    const r = await crawlAndRender('/third');
    assert.ok('html' in r, JSON.stringify(r));
    assert.match(r.html, /<title>Third<\/title>/, 'the third-party script did not run');
    assert.ok(r.notes.some((n) => n.includes(other.origin) && n.includes('blocked')), JSON.stringify(r.notes));

    const red = await crawlAndRender('/redirects');
    assert.ok('html' in red, JSON.stringify(red));
    assert.match(red.html, /same origin redirect ran/, 'a redirect within the origin is followed');
    assert.ok(red.notes.some((n) => n.startsWith('redirect to') && n.includes(other.origin)), JSON.stringify(red.notes));
    assert.equal(other.count('/evil.js') + other.count('/data.json'), 0, 'the other origin saw no request');
  });

  it('cuts an endless loop at the timeout, before and after load, and goes on', async () => {
    const [loop, later] = await Promise.all([crawlAndRender('/loop'), crawlAndRender('/loop-later')]);
    assert.deepEqual(loop, { error: 'render timeout', notes: [] });
    assert.ok('error' in later && later.error === 'render timeout', JSON.stringify(later));
    await assertStillWorks();
  });

  it('dismisses dialogs, blocks popups, frames and navigations away, and keeps the page', async () => {
    const d = await crawlAndRender('/dialogs');
    assert.ok('html' in d, JSON.stringify(d));
    assert.match(d.html, /<title>After dialogs<\/title>/);
    assert.ok(d.notes.some((n) => n.includes('alert')) && d.notes.some((n) => n.includes('confirm')) && d.notes.some((n) => n.includes('prompt')), JSON.stringify(d.notes));

    const p = await crawlAndRender('/popup');
    assert.ok('html' in p, JSON.stringify(p));
    assert.match(p.html, /<title>Popup true<\/title>/, 'window.open returned null: blocked');

    const paths = ['/navigate', '/navigate-later', '/navigate-file', '/navigate-js', '/refresh', '/download'];
    const results = await Promise.all(paths.map((path) => crawlAndRender(path)));
    results.forEach((n, i) => {
      assert.ok('html' in n, `${paths[i]}: ${JSON.stringify(n)}`);
      assert.ok(n.html.includes('kept'), `${paths[i]}: the crawled document is what was read: ${n.html.slice(0, 300)}`);
      assert.ok(!n.html.includes('CONTENT FROM ELSEWHERE') && !n.html.includes('root:'), `${paths[i]}: nothing from elsewhere`);
    });
    // Chromium's download manager fetches a same-origin download outside request interception: that
    // request reaches the site, and the download is then refused. Another origin's is a navigation: refused.
    const download = results[paths.indexOf('/download')];
    assert.ok(download && 'html' in download && download.notes.includes('download refused'), JSON.stringify(download));
    assert.equal(other.count('/file.bin'), 0, 'no download from another origin');
    // A javascript: URL returning HTML replaces the document in place (the page's own script, as
    // document.write would): what is read is that document, and the read still works.
    const replaced = await crawlAndRender('/js-replace');
    assert.ok('html' in replaced, JSON.stringify(replaced));
    assert.ok(/replaced by its own script|<title>Replace<\/title>/.test(replaced.html), replaced.html);

    const nav = await crawlAndRender('/navigate');
    assert.ok('notes' in nav && nav.notes.some((n) => n.startsWith('navigation to') && n.includes(other.origin)), JSON.stringify(nav));

    const reload = await crawlAndRender('/self-reload');
    assert.ok('html' in reload, JSON.stringify(reload));
    assert.equal(site.count('/self-reload'), 1, 'a reload is refused, not fetched');

    const plainBefore = site.count('/plain');
    const f = await crawlAndRender('/frame');
    assert.ok('html' in f, JSON.stringify(f));
    assert.equal(site.count('/plain'), plainBefore, 'frames are not loaded, not even from the same origin');
    assert.equal(other.count('/popup') + other.count('/away'), 0, 'the other origin saw no request');
    await assertStillWorks();
  });

  it('cuts a huge DOM at maxHtmlBytes on a character boundary', async () => {
    const r = await crawlAndRender('/huge');
    assert.ok('html' in r, JSON.stringify(r));
    assert.ok(Buffer.byteLength(r.html) <= 256 * 1024);
    assert.ok(Buffer.byteLength(r.html) > 200 * 1024);
    assert.ok(!r.html.includes('\uFFFD'), 'no broken character at the cut');
    assert.ok(r.notes.some((n) => n.includes('cut')), JSON.stringify(r.notes));
  });

  it('reports a crashed page and goes on', async () => {
    const before = held.length;
    const pending = crawlAndRender('/held');
    while (held.length === before) await sleep(20);
    const renderers = chromiumPids().filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer'));
    assert.ok(renderers.length > 0, 'a renderer process is running');
    for (const pid of renderers) process.kill(pid, 'SIGKILL');
    const r = await pending;
    assert.ok('error' in r && /crash/i.test(r.error), JSON.stringify(r));
    await assertStillWorks();
  });

  it('starts a new browser when the last one died', async () => {
    const browsers = chromiumPids().filter((pid) => !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type='));
    assert.equal(browsers.length, 1, 'one browser process');
    process.kill(browsers[0]!, 'SIGKILL');
    while (alive(browsers[0]!)) await sleep(20);
    await assertStillWorks();
    assert.ok(!chromiumPids().includes(browsers[0]!));
  });

  it('stops on abort, queued or running, and renders several pages at once', async () => {
    const ac = new AbortController();
    const running = crawlAndRender('/loop', ac.signal);
    const queued = [crawlAndRender('/loop', ac.signal), crawlAndRender('/loop', ac.signal)];
    await sleep(300);
    ac.abort();
    for (const r of await Promise.all([running, ...queued])) assert.deepEqual(r, { error: 'render aborted', notes: [] });

    const many = await Promise.all(['/plain', '/app', '/dialogs', '/plain'].map((p) => crawlAndRender(p)));
    many.forEach((r, i) => assert.ok('html' in r, `${i}: ${JSON.stringify(r)}`));
  });

  it('close() ends every Chromium process; later renders are refused', async () => {
    const pids = chromiumPids();
    assert.ok(pids.length > 0, 'Chromium is running');
    await renderer.close();
    for (let i = 0; i < 100 && pids.some(alive); i++) await sleep(50);
    assert.deepEqual(pids.filter(alive), [], 'no Chromium process left');
    assert.deepEqual(await crawlAndRender('/plain'), { error: 'renderer closed', notes: [] });
  });
});

describe('finding Chromium', () => {
  it('takes RAILBOOK_CHROMIUM when set, and only it; else a system Chromium', async () => {
    const saved = process.env.RAILBOOK_CHROMIUM;
    try {
      process.env.RAILBOOK_CHROMIUM = CHROMIUM;
      assert.equal(findChromium(), CHROMIUM);
      process.env.RAILBOOK_CHROMIUM = '/nonexistent/chromium';
      assert.equal(findChromium(), undefined);
      delete process.env.RAILBOOK_CHROMIUM;
      assert.ok(findChromium() !== undefined, 'a system Chromium is found on this machine');
    } finally {
      if (saved === undefined) delete process.env.RAILBOOK_CHROMIUM;
      else process.env.RAILBOOK_CHROMIUM = saved;
    }
  });

  it('refuses to start without a usable browser, saying what to do', async () => {
    const saved = process.env.RAILBOOK_CHROMIUM;
    try {
      process.env.RAILBOOK_CHROMIUM = '/nonexistent/chromium';
      await assert.rejects(createChromiumRenderer(), { message: CHROMIUM_MISSING });
    } finally {
      if (saved === undefined) delete process.env.RAILBOOK_CHROMIUM;
      else process.env.RAILBOOK_CHROMIUM = saved;
    }
    await assert.rejects(createChromiumRenderer({ executablePath: '/nonexistent/chromium' }));
  });
});
