// The crawl workflow on a real site nobody here wrote: Debian's Python 3.11 HTML documentation
// (package python3.11-doc, which .ci/run installs), served on loopback as a plain web server
// serves a folder. What the crawl reports is checked against what the folder really contains,
// worked out here independently of the crawler: which URLs the links reach, which of them are
// missing (broken links), and which are folders asked for without their slash (redirects).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Findings } from '../../src/seo/findings/analyse.ts';
import { serveFolder, type StaticSite } from '../helpers/static-site.ts';
import { tempEngine, type TempEngine } from '../helpers/temp-engine.ts';

const DOCS = '/usr/share/doc/python3.11/html';

interface Truth {
  /** Every URL the links reach from the start pages, and where redirects end (what a crawl without limits fetches). */
  urls: Set<string>;
  /** Missing targets → the pages linking to them. */
  broken: Map<string, Set<string>>;
  /** Folders linked without their slash → where they redirect. */
  redirects: Map<string, string>;
}

/** Links of an HTML file the plain way: href of `<a>` and `<area>`, pure fragments skipped. */
function hrefs(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<(?:a|area)\b[^>]*?\shref\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) {
    const h = (m[1] ?? m[2] ?? '').replace(/&amp;/g, '&').trim();
    if (h !== '' && !h.startsWith('#')) out.push(h);
  }
  return out;
}

function truthOf(seeds: string[]): Truth {
  const origin = new URL(seeds[0]!).origin;
  const urls = new Set<string>(seeds);
  const broken = new Map<string, Set<string>>();
  const redirects = new Map<string, string>();
  const queue = [...seeds];
  while (queue.length) {
    const url = queue.shift()!;
    const u = new URL(url);
    let file = path.join(DOCS, decodeURIComponent(u.pathname));
    let st = existsSync(file) ? statSync(file) : undefined;
    // The page the links belong to: a folder asked for without its slash redirects to it.
    let source = url;
    if (st?.isDirectory()) {
      if (!u.pathname.endsWith('/')) {
        source = `${url}/`;
        redirects.set(url, source);
        urls.add(source);
      }
      file = path.join(file, 'index.html');
      st = existsSync(file) ? statSync(file) : undefined;
    }
    if (!st) continue; // missing: recorded as broken by whoever linked to it
    if (!file.endsWith('.html')) continue;
    for (const h of hrefs(readFileSync(file, 'utf8'))) {
      let target: URL;
      try {
        target = new URL(h, source);
      } catch {
        continue;
      }
      if (target.origin !== origin) continue;
      target.hash = '';
      const t = target.href;
      const tf = path.join(DOCS, decodeURIComponent(target.pathname));
      if (!existsSync(tf)) {
        if (!broken.has(t)) broken.set(t, new Set());
        broken.get(t)!.add(source);
      }
      if (!urls.has(t)) {
        urls.add(t);
        queue.push(t);
      }
    }
  }
  return { urls, broken, redirects };
}

function output<T>(st: { steps: Record<string, { status: string; output?: unknown; error?: string } | undefined> }, id: string): T {
  const s = st.steps[id];
  assert.equal(s?.status, 'done', s?.error);
  return s!.output as T;
}

describe('crawling the Python documentation', () => {
  let site: StaticSite;
  let t: TempEngine;
  before(async () => {
    assert.ok(existsSync(path.join(DOCS, 'index.html')), `the Python docs are missing: apt-get install python3.11-doc (.ci/run installs it)`);
    site = await serveFolder(DOCS);
    t = await tempEngine();
  });
  after(async () => {
    await t?.close();
    await site?.close();
  });

  it('finds every page the links reach, the broken links and the redirects the folder really has', async () => {
    // The docs link to no folder without its slash, so two of the start URLs do: a plain server
    // redirects them, as it would a person typing them.
    const extra = [`${site.origin}/library`, `${site.origin}/whatsnew`];
    const truth = truthOf([`${site.origin}/`, ...extra]);
    assert.ok(truth.urls.size > 500, `the docs reach ${truth.urls.size} URLs`);
    assert.equal(truth.redirects.size, 2);

    const key = 'python-docs';
    await t.engine.open('crawl', { key });
    output(await (await t.engine.submit(key, 'site', { startUrl: `${site.origin}/`, extraUrls: extra.join('\n'), sitemaps: false })).completion, 'site');
    output(await (await t.engine.submit(key, 'limits', { maxPages: 5000, maxDepth: 100, perHost: 8, subdomains: false, userAgent: 'RailbookBot/test' })).completion, 'limits');
    const crawled = output<{ status: string; pages: number; failed: number }>(await (await t.engine.submit(key, 'crawl', { startOver: false })).completion, 'crawl');
    assert.equal(crawled.status, 'done');

    // Every reachable URL requested exactly once (and each redirect's target), nothing else
    // (robots.txt aside).
    // A redirect's target is a page of the crawl too (fetched once, while following).
    const pages = truth.urls;
    const asked = [...site.requests.keys()].filter((p) => p !== '/robots.txt').map((p) => `${site.origin}${p}`);
    assert.deepEqual(new Set(asked), pages);
    assert.deepEqual([...site.requests.entries()].filter(([, n]) => n > 1), []);
    assert.equal(crawled.pages, pages.size);

    const { findings } = output<{ findings: Findings }>(await (await t.engine.submit(key, 'findings', {})).completion, 'findings');
    assert.equal(findings.pages, pages.size);
    const tableOf = (id: string) => findings.tables.find((x) => x.id === id)!;

    // Broken links: each (target, linking page) pair the folder really has.
    const broken = tableOf('links.broken');
    const pairs = [...truth.broken].flatMap(([to, froms]) => [...froms].map((f) => `${to} ← ${f}`)).sort();
    assert.equal(broken.total, pairs.length);
    assert.ok(pairs.length > 0, 'the docs have broken links (to files Debian leaves out)');
    if (broken.more === 0) assert.deepEqual(broken.rows.map((r) => `${String(r['url'])} ← ${String(r['from'])}`).sort(), pairs);
    assert.deepEqual(new Set(broken.rows.map((r) => r['status'])), new Set([404]));

    // Redirects: the two folders asked for without their slash, each one hop to the folder; no
    // link in the docs points at a redirect, and there are no chains.
    assert.equal(findings.statusCodes['301'], truth.redirects.size);
    assert.equal(tableOf('links.to-redirects').total, 0);
    assert.equal(tableOf('redirects.chains').total, 0);
    assert.equal(findings.statusCodes['404'], truth.broken.size);
    assert.equal(findings.statusCodes['200'], pages.size - truth.broken.size - truth.redirects.size);
  });
});
