import { CrawlStore } from '../crawl/crawl-store.ts';
import type { PageRecord } from '../crawl/page-record.ts';
import { normalizeUrl } from '../crawl/scope.ts';
import { sectionOf, type BuildStats, type LinkGraph } from './link-graph.ts';

/** Int32 storage that grows by doubling (a 1M-edge graph never exists as a JS array of objects). */
class IntList {
  a = new Int32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  done(): Int32Array {
    return this.a.slice(0, this.n);
  }
}

export interface BuildOptions {
  /** Called every `every` pages of each pass (the workflow's progress). */
  onProgress?: (pass: 'pages' | 'links', done: number) => void;
}

/**
 * The directed internal link graph of a crawl file. Two passes over the stored records (they are
 * parsed twice rather than keeping a million link URLs in memory): the first numbers the pages,
 * the second resolves each page's internal links to page numbers and deduplicates them.
 *
 * Redirects: a crawled URL that redirects to another crawled page is merged into that page (the
 * links that point at it count for the page they really reach); a redirect whose end was not
 * crawled stays a node with its redirect status.
 */
export async function buildLinkGraph(crawlFile: string, opts: BuildOptions = {}): Promise<LinkGraph> {
  const store = new CrawlStore(crawlFile);
  try {
    return await build(store, opts);
  } finally {
    store.close();
  }
}

async function build(store: CrawlStore, opts: BuildOptions): Promise<LinkGraph> {
  const id = new Map<string, number>();
  const urls: string[] = [];
  const titles: (string | undefined)[] = [];
  const status: number[] = [];
  const depth: number[] = [];
  // URL → the URL its redirects ended at, resolved once every page is numbered.
  const redirectsTo = new Map<string, { to: string; status: number; depth: number }>();

  let seen = 0;
  for (const r of store.pages()) {
    if (++seen % 2000 === 0) {
      opts.onProgress?.('pages', seen);
      await breathe();
    }
    const end = redirectEnd(r);
    if (end !== undefined) {
      redirectsTo.set(r.url, { to: end, status: r.redirects[0]?.status ?? r.status, depth: r.depth });
      continue;
    }
    addNode(r.url, r.status, r.depth, r.extract?.title);
  }
  function addNode(url: string, st: number, d: number, title: string | undefined): void {
    if (id.has(url)) return;
    id.set(url, urls.length);
    urls.push(url);
    titles.push(title);
    status.push(st);
    depth.push(d);
  }
  let redirectsMerged = 0;
  for (const [from, r] of redirectsTo) {
    const target = id.get(r.to);
    if (target !== undefined) {
      id.set(from, target);
      redirectsMerged++;
    } else addNode(from, r.status, r.depth, undefined);
  }

  const n = urls.length;
  const src = new IntList();
  const dst = new IntList();
  const count = new IntList();
  const stats: BuildStats = { pages: n, redirectsMerged, internalLinks: 0, selfLinks: 0, linksToUncrawled: 0 };
  const perPage = new Map<number, number>();
  seen = 0;
  for (const r of store.pages()) {
    if (++seen % 2000 === 0) {
      opts.onProgress?.('links', seen);
      await breathe();
    }
    const from = id.get(r.url);
    // A redirect's record holds its end's links: they are counted once, from the end's own record.
    if (from === undefined || redirectsTo.has(r.url)) continue;
    perPage.clear();
    for (const l of r.extract?.links ?? []) {
      if (!l.internal) continue;
      const to = id.get(l.url) ?? id.get(normalizeUrl(l.url) ?? '');
      if (to === undefined) {
        stats.linksToUncrawled++;
        continue;
      }
      if (to === from) {
        stats.selfLinks++;
        continue;
      }
      stats.internalLinks++;
      perPage.set(to, (perPage.get(to) ?? 0) + 1);
    }
    for (const [to, c] of perPage) {
      src.push(from);
      dst.push(to);
      count.push(c);
    }
  }

  const sectionIds = new Map<string, number>();
  const sections: string[] = [];
  const section = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = sectionOf(urls[i]!);
    let k = sectionIds.get(s);
    if (k === undefined) {
      k = sections.length;
      sectionIds.set(s, k);
      sections.push(s);
    }
    section[i] = k;
  }

  const S = src.done();
  const D = dst.done();
  const inDegree = new Int32Array(n);
  const outDegree = new Int32Array(n);
  for (let e = 0; e < S.length; e++) {
    outDegree[S[e]!]!++;
    inDegree[D[e]!]!++;
  }
  return {
    urls, titles, status: Uint16Array.from(status), depth: Int32Array.from(depth), section, sections,
    src: S, dst: D, count: new Uint32Array(count.done().buffer), inDegree, outDegree, stats,
  };
}

/** Lets the server's other requests through: a 100k-page crawl takes seconds to read. */
function breathe(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Where a redirecting page ended, when that is another URL. */
function redirectEnd(r: PageRecord): string | undefined {
  if (r.redirects.length === 0) return undefined;
  const end = normalizeUrl(r.finalUrl) ?? r.finalUrl;
  return end === r.url ? undefined : end;
}
