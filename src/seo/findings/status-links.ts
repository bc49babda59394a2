/** Status codes, failed pages, broken internal links, redirect chains and links to redirects. */
import type { FindingTable, Row, Thresholds } from './types.ts';
import type { Model, Page } from './model.ts';
import { bump, table } from './table.ts';

const isBroken = (p: Page): boolean => p.status === 0 || p.status >= 400;

/** Internal inlinks per requested URL (self-links excluded). */
export function inlinkCounts(m: Model): Map<string, number> {
  const out = new Map<string, number>();
  const { from, to, urls } = m.links;
  for (let i = 0; i < from.length; i++) {
    const target = urls[to[i]!]!;
    if (m.pages[from[i]!]!.url === target) continue;
    out.set(target, (out.get(target) ?? 0) + 1);
  }
  return out;
}

/** By the status of the first response, as crawlers show it: a redirected URL counts as its 301. */
export function statusCodes(m: Model): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of m.pages) bump(out, p.redirects[0]?.status ?? p.status);
  return out;
}

/** Each (source page, target) pair once, with its first anchor text, for targets matching `want`. */
function linksTo(m: Model, want: (target: Page) => boolean): { source: Page; target: Page; text: string }[] {
  const out: { source: Page; target: Page; text: string }[] = [];
  const seen = new Set<string>();
  const { from, to, text, urls } = m.links;
  for (let i = 0; i < from.length; i++) {
    const target = m.byUrl.get(urls[to[i]!]!);
    if (!target || !want(target)) continue;
    const source = m.pages[from[i]!]!;
    if (source.url === target.url) continue;
    const key = `${source.index} ${to[i]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ source, target, text: text[i]! });
  }
  return out;
}

function chainOf(p: Page): string[] {
  return [...p.redirects.map((h) => h.url), p.finalUrl];
}

export function statusTables(m: Model, t: Thresholds): FindingTable[] {
  const inlinks = inlinkCounts(m);
  const errors: Row[] = m.pages
    .filter(isBroken)
    .map((p) => ({ url: p.url, status: p.status, error: p.error ?? null, inlinks: inlinks.get(p.url) ?? 0 }));

  const broken: Row[] = linksTo(m, isBroken)
    .sort((a, b) => a.target.index - b.target.index || a.source.index - b.source.index)
    .map(({ source, target, text }) => ({ url: target.url, status: target.status, error: target.error ?? null, from: source.url, anchor: text }));

  const chains: Row[] = [];
  for (const p of m.pages) {
    const chain = chainOf(p);
    const loop = /loop/i.test(p.error ?? '') || new Set(chain).size < chain.length;
    if (p.redirects.length >= 2 || loop) {
      chains.push({ url: p.url, hops: p.redirects.length, chain: chain.join(' → '), finalUrl: p.finalUrl, status: p.status, loop });
    }
  }

  const toRedirects: Row[] = linksTo(m, (target) => target.redirects.length > 0).map(({ source, target, text }) => ({
    url: target.url,
    redirectsTo: target.finalUrl,
    hops: target.redirects.length,
    status: target.status,
    from: source.url,
    anchor: text,
  }));

  return [
    table('status.errors', 'Pages with 4xx/5xx or no response', 'error', ['url', 'status', 'error', 'inlinks'], errors, t.maxRows),
    table('links.broken', 'Broken internal links', 'error', ['url', 'status', 'error', 'from', 'anchor'], broken, t.maxRows),
    table('redirects.chains', 'Redirect chains (2+ hops) and loops', 'warning', ['url', 'hops', 'chain', 'finalUrl', 'status', 'loop'], chains, t.maxRows),
    table('links.to-redirects', 'Internal links to redirecting URLs', 'notice', ['url', 'redirectsTo', 'hops', 'status', 'from', 'anchor'], toRedirects, t.maxRows),
  ];
}
