/**
 * The crawl benchmark's sites, served from their own process (so serving costs no CPU in the
 * crawler's process): a generated site of N pages of ~15 KB realistic HTML with ~30 internal links
 * each, a few redirects and 404s; and, when given, a folder of static files (the Python docs).
 * Prints one JSON line {generated, docs} with the two origins, then serves until killed.
 *
 *   node --import tsx bench/crawl-site.ts <pages> [docsDir]
 */
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { mulberry32 } from '../test/helpers/seeded-random.ts';

const pages = Number(process.argv[2] ?? 2000);
const docsDir = process.argv[3];


const WORDS = (
  'the of and to in is for on with as by at from that this be are it or an was which can not use your more all new ' +
  'search engine page site link crawl index content title description canonical redirect status header body ' +
  'product price review shipping order customer account service support guide learn about contact blog news ' +
  'python function module class method value return string number list dictionary file system network server'
).split(' ');

function sentence(r: () => number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(r() * WORDS.length)]!);
  const s = out.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

/** Where page i links: mostly other pages, sometimes a redirect or a missing page. */
function target(r: () => number): string {
  const x = r();
  const j = Math.floor(r() * pages);
  if (x < 0.01) return `/moved/${j}`;
  if (x < 0.015) return `/gone/${j}`;
  return j === 0 ? '/' : `/p/${j}.html`;
}

function generatedPage(i: number): string {
  const r = mulberry32(i + 1);
  const nav: string[] = [];
  for (let k = 0; k < 10; k++) nav.push(`<li><a href="${target(r)}">${sentence(r, 2).slice(0, -1)}</a></li>`);
  const body: string[] = [];
  for (let p = 0; p < 14; p++) {
    const links: string[] = [];
    for (let k = 0; k < (p < 10 ? 2 : 0); k++) links.push(` <a href="${target(r)}" title="${sentence(r, 3)}">${sentence(r, 3).slice(0, -1)}</a>`);
    body.push(`<h2 id="s${p}">${sentence(r, 4)}</h2>\n<p class="lead text">${sentence(r, 55)}${links.join(',')} ${sentence(r, 80)}</p>`);
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Page ${i}: ${sentence(r, 5)}</title>
<meta name="description" content="${sentence(r, 20)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="canonical" href="/p/${i}.html"><link rel="stylesheet" href="/static/site.css">
<link rel="alternate" hreflang="de" href="/de/p/${i}.html">
<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);} gtag('js', new Date());</script>
<style>.lead{font-size:1.1em}.nav li{display:inline-block;margin:0 .5em}</style></head>
<body><header><nav class="nav"><ul>${nav.join('')}</ul></nav></header>
<main><article><h1>${sentence(r, 6)}</h1>
${body.join('\n')}
</article></main>
<footer><p>&copy; 2026 Example &middot; <a href="/">Home</a> &middot; <a href="/p/${(i + 1) % pages}.html" rel="next">Next</a></p></footer>
</body></html>`;
}

function serveGenerated(req: http.IncomingMessage, res: http.ServerResponse): void {
  const p = (req.url ?? '/').split('?')[0]!;
  let m: RegExpExecArray | null;
  if (p === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(generatedPage(0));
  if ((m = /^\/p\/(\d+)\.html$/.exec(p)) && Number(m[1]) < pages) {
    return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(generatedPage(Number(m[1])));
  }
  if ((m = /^\/moved\/(\d+)$/.exec(p))) return void res.writeHead(301, { location: `/p/${m[1]}.html` }).end();
  res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><html><head><title>Not found</title></head><body><h1>Not found</h1></body></html>');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.txt': 'text/plain', '.json': 'application/json',
};

function serveDocs(root: string): http.RequestListener {
  return (req, res) => {
    let p: string;
    try {
      p = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    } catch {
      return void res.writeHead(400).end();
    }
    let file = path.join(root, path.normalize(p));
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    try {
      let st = statSync(file);
      if (st.isDirectory()) {
        if (!p.endsWith('/')) return void res.writeHead(301, { location: `${p}/` }).end();
        file = path.join(file, 'index.html');
        st = statSync(file);
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': st.size });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html><title>Not found</title></html>');
    }
  };
}

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const generated = await listen(serveGenerated);
const docs = docsDir ? await listen(serveDocs(path.resolve(docsDir))) : undefined;
process.stdout.write(`${JSON.stringify({ generated, docs })}\n`);
