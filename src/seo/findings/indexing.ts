/** Canonical problems and robots directives (meta robots and the X-Robots-Tag header). */
import type { FindingTable, Row, Thresholds } from './types.ts';
import type { Model, Page } from './model.ts';
import { table } from './table.ts';

/** "none" means noindex + nofollow. A header may name a bot ("googlebot: noindex"): still counted. */
const has = (value: string | undefined, directive: 'noindex' | 'nofollow'): boolean =>
  value !== undefined && new RegExp(`(^|[\\s,:])(${directive}|none)($|[\\s,])`).test(value.toLowerCase());

function directiveRows(m: Model, directive: 'noindex' | 'nofollow'): Row[] {
  const rows: Row[] = [];
  for (const p of m.pages) {
    const meta = has(p.metaRobots, directive);
    const header = has(p.xRobotsTag, directive);
    if (!meta && !header) continue;
    rows.push({ url: p.url, source: meta && header ? 'both' : meta ? 'meta' : 'x-robots-tag', metaRobots: p.metaRobots ?? null, xRobotsTag: p.xRobotsTag ?? null });
  }
  return rows;
}

/** A canonical naming the page itself (as requested or after redirects) is fine. */
const isSelf = (p: Page, c: string): boolean => c === p.finalUrl || c === p.url;

export function indexingTables(m: Model, t: Thresholds): FindingTable[] {
  const missing: Row[] = [];
  const elsewhere: Row[] = [];
  const non200: Row[] = [];
  const toRedirect: Row[] = [];
  const chains: Row[] = [];
  for (const p of m.pages) {
    if (!p.html) continue;
    const c = p.canonical;
    if (c === undefined) {
      missing.push({ url: p.url });
      continue;
    }
    if (isSelf(p, c)) continue;
    elsewhere.push({ url: p.url, canonical: c });
    const target = m.byUrl.get(c);
    if (!target) continue; // not crawled: nothing more is known
    if (target.redirects.length > 0) toRedirect.push({ url: p.url, canonical: c, redirectsTo: target.finalUrl, status: target.status });
    if (target.status !== 200) non200.push({ url: p.url, canonical: c, status: target.status });
    const next = target.canonical;
    if (target.html && next !== undefined && !isSelf(target, next)) chains.push({ url: p.url, canonical: c, next });
  }
  return [
    table('canonical.missing', 'No canonical', 'notice', ['url'], missing, t.maxRows),
    table('canonical.elsewhere', 'Canonical points to another URL (canonicalised)', 'info', ['url', 'canonical'], elsewhere, t.maxRows),
    table('canonical.non-200', 'Canonical to a URL that does not answer 200', 'error', ['url', 'canonical', 'status'], non200, t.maxRows),
    table('canonical.to-redirect', 'Canonical to a redirecting URL', 'warning', ['url', 'canonical', 'redirectsTo', 'status'], toRedirect, t.maxRows),
    table('canonical.chain', 'Canonical chains (the canonical has another canonical)', 'warning', ['url', 'canonical', 'next'], chains, t.maxRows),
    table('indexing.noindex', 'Noindex pages', 'warning', ['url', 'source', 'metaRobots', 'xRobotsTag'], directiveRows(m, 'noindex'), t.maxRows),
    table('indexing.nofollow', 'Nofollow pages', 'notice', ['url', 'source', 'metaRobots', 'xRobotsTag'], directiveRows(m, 'nofollow'), t.maxRows),
  ];
}
