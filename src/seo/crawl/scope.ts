/**
 * Which URLs a crawl may fetch: URL normalisation (http/https only), the scope (same host by
 * default, subdomains, a list of named hosts, include/exclude patterns) and the guard against
 * infinite URL spaces (calendars, session ids, faceted queries, repeating paths).
 */

export interface ScopeOptions {
  /** Hosts below the seeds' domain count as internal (blog.example.com for example.com). */
  subdomains?: boolean;
  /** When given, only these hosts are crawled (and count as internal). */
  allowedHosts?: string[];
  /** A URL must match one of these (when any are given)… */
  include?: (string | RegExp)[];
  /** …and none of these. */
  exclude?: (string | RegExp)[];
}

export interface SpaceLimits {
  maxUrlLength: number;
  /** Distinct query strings per host+path (faceted search, session ids, calendars by query). */
  maxQueryVariantsPerPath: number;
  /**
   * Distinct URLs per path pattern with numbers folded, for paths with two or more numbers
   * (/cal/2024/05 and /cal/1999/12 are one pattern; /product/123 is not folded).
   */
  maxUrlsPerPattern: number;
  /** A path segment repeated this many times is a loop (/a/b/a/b/a/b). */
  maxSegmentRepeats: number;
}

export const DEFAULT_SPACE_LIMITS: SpaceLimits = {
  maxUrlLength: 2048,
  maxQueryVariantsPerPath: 500,
  maxUrlsPerPattern: 1000,
  maxSegmentRepeats: 3,
};

/** Absolute, http/https only, fragment and path session ids removed; undefined for anything else. */
export function normalizeUrl(raw: string, base?: string): string | undefined {
  let u: URL;
  try {
    u = base === undefined ? new URL(raw.trim()) : new URL(raw.trim(), base);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  u.hash = '';
  if (u.username || u.password) return undefined;
  // A session id in the path makes every visit a new URL space: the page is the same without it.
  if (u.pathname.includes(';')) u.pathname = u.pathname.replace(/;(jsessionid|phpsessid|sid)=[^/]*/gi, '');
  return u.href;
}

function toRegExp(p: string | RegExp): RegExp {
  return typeof p === 'string' ? new RegExp(p) : p;
}

export interface Scope {
  /** The host is one of the crawl's (what the extractor marks `internal`). */
  isInternal(url: string): boolean;
  /** Internal and passing the include/exclude patterns: to be fetched. */
  inScope(url: string): boolean;
}

export function makeScope(seeds: string[], opts: ScopeOptions = {}): Scope {
  const named = opts.allowedHosts?.map((h) => h.toLowerCase());
  const seedHosts = new Set(seeds.map((s) => new URL(s).host.toLowerCase()));
  const domains = [...seedHosts].map((h) => h.replace(/:\d+$/, '').replace(/^www\./, ''));
  const include = (opts.include ?? []).map(toRegExp);
  const exclude = (opts.exclude ?? []).map(toRegExp);
  const isInternal = (url: string): boolean => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    const host = u.host.toLowerCase();
    if (named) return named.includes(host) || named.includes(u.hostname.toLowerCase());
    if (seedHosts.has(host)) return true;
    if (!opts.subdomains) return false;
    const name = u.hostname.toLowerCase();
    return domains.some((d) => name === d || name.endsWith(`.${d}`));
  };
  return {
    isInternal,
    inScope(url) {
      if (!isInternal(url)) return false;
      if (include.length > 0 && !include.some((r) => r.test(url))) return false;
      return !exclude.some((r) => r.test(url));
    },
  };
}

/**
 * Why a NEW url is not to be fetched because of an infinite space, or undefined. `take(key, cap)`
 * counts distinct URLs per key and says whether the key is still under its cap (the store keeps the
 * counters, so they survive a resume).
 */
export function spaceReason(url: string, limits: SpaceLimits, take: (key: string, cap: number) => boolean): string | undefined {
  if (url.length > limits.maxUrlLength) return 'url too long';
  const u = new URL(url);
  const segments = u.pathname.split('/').filter(Boolean);
  const seen = new Map<string, number>();
  for (const s of segments) {
    const n = (seen.get(s) ?? 0) + 1;
    if (n >= limits.maxSegmentRepeats) return 'repeating path';
    seen.set(s, n);
  }
  const base = `${u.host}${u.pathname}`;
  if (u.search && !take(`q ${base}`, limits.maxQueryVariantsPerPath)) return 'too many query variants';
  // Calendar-like: two or more numbers in the path (/cal/2024/05, /events/2024-05-01/day/3).
  // A single number is an id (/product/123): a big shop has more than any cap, so it is not folded.
  const numbers = u.pathname.match(/\d+/g)?.length ?? 0;
  if (numbers >= 2) {
    const pattern = `${u.host}${u.pathname.replace(/\d+/g, '#')}${u.search ? '?' : ''}`;
    if (!take(`p ${pattern}`, limits.maxUrlsPerPattern)) return 'too many urls of one pattern';
  }
  return undefined;
}
