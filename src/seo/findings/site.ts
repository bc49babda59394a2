/** Site-wide views: thin pages, depth distribution, orphans, slow and heavy pages. */
import type { FindingTable, Row, Thresholds } from './types.ts';
import type { Model } from './model.ts';
import { bump, table } from './table.ts';

export function depths(m: Model): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of m.pages) bump(out, p.depth);
  return out;
}

/**
 * Sitemap URLs no crawled page links to (self-links do not count). A link to a URL that
 * redirects counts for where it lands too.
 */
export function orphanTable(m: Model, t: Thresholds, sitemapUrls: Set<string>): FindingTable {
  const linked = new Set<string>();
  const { from, to, urls } = m.links;
  for (let i = 0; i < from.length; i++) {
    const source = m.pages[from[i]!]!;
    const url = urls[to[i]!]!;
    const target = m.byUrl.get(url);
    if (url !== source.url && url !== source.finalUrl) linked.add(url);
    if (target && target.finalUrl !== source.url && target.finalUrl !== source.finalUrl) linked.add(target.finalUrl);
  }
  const rows: Row[] = [];
  for (const url of sitemapUrls) {
    if (linked.has(url)) continue;
    const page = m.byUrl.get(url);
    rows.push({ url, crawled: page !== undefined, status: page?.status ?? null });
  }
  return table('orphans', 'Orphans (in a sitemap, linked from no crawled page)', 'warning', ['url', 'crawled', 'status'], rows, t.maxRows);
}

export function siteTables(m: Model, t: Thresholds): FindingTable[] {
  const thin = m.pages.filter((p) => p.html && p.wordCount < t.thinWords).map((p) => ({ url: p.url, words: p.wordCount }));
  const slow = m.pages
    .filter((p) => (p.ttfbMs ?? 0) > t.slowTtfbMs || (p.totalMs ?? 0) > t.slowTotalMs)
    .map((p) => ({ url: p.url, ttfbMs: p.ttfbMs ?? null, totalMs: p.totalMs ?? null }));
  const heavy = m.pages.filter((p) => p.bytes > t.heavyBytes).map((p) => ({ url: p.url, bytes: p.bytes }));
  return [
    table('content.thin', `Thin pages (under ${t.thinWords} words)`, 'notice', ['url', 'words'], thin, t.maxRows),
    table('performance.slow', `Slow pages (TTFB over ${t.slowTtfbMs} ms or total over ${t.slowTotalMs} ms)`, 'notice', ['url', 'ttfbMs', 'totalMs'], slow, t.maxRows),
    table('performance.heavy', `Heavy pages (over ${t.heavyBytes} bytes)`, 'notice', ['url', 'bytes'], heavy, t.maxRows),
  ];
}
