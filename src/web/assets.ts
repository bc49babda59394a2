import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Every script and stylesheet the pages use, served by the app itself (no CDN: it must work
// offline). Files are read once at start-up; their URLs carry a content hash, so browsers may
// cache them for a year and still never run a stale copy after an upgrade.

export interface Asset {
  name: string;
  type: string;
  body: Uint8Array;
  hash: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function pkgFile(pkg: string, rel: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), rel);
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const file = (f: () => string) => () => readFileSync(f());

/**
 * Code output is highlighted on the server (widgets/code.tsx); these are highlight.js's GitHub
 * colours for it, light by default and dark when the system is (as Pico follows it too).
 */
function highlightTheme(): Uint8Array {
  const light = readFileSync(pkgFile('highlight.js', 'styles/github.min.css'), 'utf8');
  const dark = readFileSync(pkgFile('highlight.js', 'styles/github-dark.min.css'), 'utf8');
  return Buffer.from(`${light}\n@media (prefers-color-scheme: dark) {\n${dark}\n}\n`);
}

const SOURCES: Record<string, { load: () => Uint8Array; type: string }> = {
  'htmx.min.js': { load: file(() => pkgFile('htmx.org', 'dist/htmx.min.js')), type: JS },
  'htmx-sse.js': { load: file(() => pkgFile('htmx-ext-sse', 'dist/sse.min.js')), type: JS },
  'pico.min.css': { load: file(() => pkgFile('@picocss/pico', 'css/pico.min.css')), type: CSS },
  'highlight.css': { load: highlightTheme, type: CSS },
  'app.js': { load: file(() => path.join(here, 'static/app.js')), type: JS },
  'app.css': { load: file(() => path.join(here, 'static/app.css')), type: CSS },
  'chat.js': { load: file(() => path.join(here, 'static/chat.js')), type: JS },
  'chat.css': { load: file(() => path.join(here, 'static/chat.css')), type: CSS },
  'outputs.css': { load: file(() => path.join(here, 'static/outputs.css')), type: CSS },
  // The link graph (issue 9): sigma.js and graphology's browser builds, loaded by graph.js only
  // on a page that shows a graph.
  'sigma.min.js': { load: file(() => pkgFile('sigma', 'dist/sigma.min.js')), type: JS },
  // graphology's package.json is not in its exports: find its dist folder from its main file.
  'graphology.umd.min.js': { load: file(() => path.join(path.dirname(require.resolve('graphology')), 'graphology.umd.min.js')), type: JS },
  'graph-data.js': { load: file(() => path.join(here, 'static/graph-data.js')), type: JS },
  'graph-controls.js': { load: file(() => path.join(here, 'static/graph-controls.js')), type: JS },
  'graph.js': { load: file(() => path.join(here, 'static/graph.js')), type: JS },
  'graph.css': { load: file(() => path.join(here, 'static/graph.css')), type: CSS },
  'tables.js': { load: file(() => path.join(here, 'static/tables.js')), type: JS },
  'tables.css': { load: file(() => path.join(here, 'static/tables.css')), type: CSS },
  'favicon.svg': { load: file(() => path.join(here, 'static/favicon.svg')), type: 'image/svg+xml' },
};

let cache: Map<string, Asset> | undefined;

/** All assets, loaded on first use. */
export function assets(): Map<string, Asset> {
  if (cache) return cache;
  const m = new Map<string, Asset>();
  for (const [name, src] of Object.entries(SOURCES)) {
    const body = src.load();
    m.set(name, { name, type: src.type, body, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
  }
  cache = m;
  return m;
}

/** The URL a page links to: `/assets/<name>?v=<content hash>`. */
export function assetUrl(name: keyof typeof SOURCES | string): string {
  const a = assets().get(name);
  if (!a) throw new Error(`unknown asset "${name}"`);
  return `/assets/${name}?v=${a.hash}`;
}
