// A folder served on loopback as a plain web server serves it: index.html for a folder, a 301 to
// the slash for a folder asked without one, 404 for what is not there. Counts every request, so a
// test can say what the crawler asked for.
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.xml': 'application/xml',
  '.zip': 'application/zip',
  '.bz2': 'application/x-bzip2',
  '.py': 'text/x-python',
};

export interface StaticSite {
  origin: string;
  /** Requests per path (with query), in arrival order of first request. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

export async function serveFolder(root: string): Promise<StaticSite> {
  const requests = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const raw = req.url ?? '/';
    requests.set(raw, (requests.get(raw) ?? 0) + 1);
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(raw, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const file = path.join(root, rel);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    let st;
    try {
      st = statSync(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<title>Not found</title><h1>Not found</h1>');
      return;
    }
    if (st.isDirectory()) {
      if (!rel.endsWith('/')) {
        res.writeHead(301, { location: `${rel}/` }).end();
        return;
      }
      return send(path.join(file, 'index.html'), res);
    }
    send(file, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function send(file: string, res: http.ServerResponse): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    res.writeHead(404, { 'content-type': 'text/html' }).end('<title>Not found</title>');
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': size });
  createReadStream(file).pipe(res);
}
