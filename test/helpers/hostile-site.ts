/**
 * A loopback HTTP site for crawler tests: routes by path (or path + query), every request counted
 * with its arrival time, and handlers for the hostile cases a crawler must survive (redirect loops,
 * huge and endless bodies, a gzip bomb, a slow drip, bad encodings, non-HTML, a calendar).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface SiteRequest {
  /** Path and query as requested. */
  path: string;
  at: number;
  userAgent: string | undefined;
}

export interface TestSite {
  /** http://127.0.0.1:PORT (no trailing slash). */
  origin: string;
  requests: SiteRequest[];
  count(pathAndQuery: string): number;
  close(): Promise<void>;
}

/**
 * `routes` maps a path (with its query when it has one) to a handler or an HTML string; `fallback`
 * gets the rest (404 when absent). `delayMs` holds every answer back (to make a crawl last).
 */
export async function startSite(
  routes: Record<string, Handler | string>,
  fallback?: (path: string) => Handler | undefined,
  delayMs = 0,
): Promise<TestSite> {
  const requests: SiteRequest[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, at: performance.now(), userAgent: req.headers['user-agent'] });
    const route = routes[path] ?? routes[path.split('?')[0] ?? path] ?? fallback?.(path);
    const answer = (): void => {
      if (route === undefined) {
        res.writeHead(404, { 'content-type': 'text/html' }).end('<html><title>Not found</title></html>');
      } else if (typeof route === 'string') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(route);
      } else {
        route(req, res);
      }
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  // Above undici's 2 s safety margin: shorter keep-alive hints make it open a socket per request.
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    count: (p) => requests.filter((r) => r.path === p).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function page(title: string, links: string[], extra = ''): string {
  const a = links.map((l) => `<a href="${l}">${l}</a>`).join('\n');
  return `<!doctype html><html><head><title>${title}</title>${extra}</head><body><h1>${title}</h1><p>Some words about ${title}.</p>${a}</body></html>`;
}

export function redirect(status: number, location: string): Handler {
  return (_req, res) => res.writeHead(status, { location }).end();
}

/** Writes `total` bytes (HTML-ish), with backpressure, stopping when the client goes away. */
export function bigBody(total: number, withLength: boolean): Handler {
  return (_req, res) => {
    res.writeHead(200, withLength ? { 'content-type': 'text/html', 'content-length': String(total) } : { 'content-type': 'text/html' });
    const chunk = Buffer.alloc(16 * 1024, 'a');
    let sent = 0;
    let gone = false;
    res.on('close', () => (gone = true));
    const pump = (): void => {
      while (!gone && sent < total) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!res.write(chunk.subarray(0, n))) return void res.once('drain', pump);
      }
      if (!gone) res.end();
    };
    pump();
  };
}

let bomb: Buffer | undefined;
/** 64 MB of zeros, gzip-compressed to ~64 KB. */
export function gzipBomb(): Handler {
  bomb ??= zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
  const body = bomb;
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip', 'content-length': String(body.length) });
    res.end(body);
  };
}

/** Headers at once, then one byte every `everyMs`, for up to `forMs`. */
export function slowDrip(everyMs: number, forMs: number): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.write('<html><head><title>drip</title></head><body>');
    const started = Date.now();
    const t = setInterval(() => {
      if (Date.now() - started > forMs) {
        clearInterval(t);
        res.end('</body></html>');
      } else res.write('x');
    }, everyMs);
    res.on('close', () => clearInterval(t));
  };
}

/** Any body with any headers. */
export function raw(status: number, headers: Record<string, string>, body: Buffer | string): Handler {
  return (_req, res) => res.writeHead(status, headers).end(body);
}

/** /cal/YYYY/MM pages, each linking to the previous and the next month: endless. */
export function calendar(prefix: string): (path: string) => Handler | undefined {
  return (path) => {
    const m = new RegExp(`^${prefix}/(\\d+)/(\\d+)$`).exec(path);
    if (!m) return undefined;
    const y = Number(m[1]);
    const mo = Number(m[2]);
    const prev = mo === 1 ? `${prefix}/${y - 1}/12` : `${prefix}/${y}/${mo - 1}`;
    const next = mo === 12 ? `${prefix}/${y + 1}/1` : `${prefix}/${y}/${mo + 1}`;
    const html = page(`Calendar ${y}-${mo}`, [prev, next, `${prefix}/${y}/${mo}?view=week&s=${y * 100 + mo}`]);
    return (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  };
}
