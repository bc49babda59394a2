/**
 * robots.txt, fetched once per origin and parsed with robots-parser. What a fetch outcome means
 * (following RFC 9309 and Google's reading of it):
 * - 2xx: the rules apply; only the first `maxBytes` (500 KB) are read, garbage lines are ignored;
 * - 4xx (404, 410, 403…): no rules, everything allowed;
 * - 5xx, network error, timeout, redirect loop: everything DISALLOWED for this origin for the rest
 *   of this run (not retried within it); its URLs are recorded as skipped "robots.txt unreachable",
 *   and a resumed run (CrawlStore.recover) queues them again and asks for robots.txt again.
 */
import robotsParserModule from 'robots-parser';
import type { Agent } from 'undici';
import { fetchPage } from './fetch-page.ts';

interface ParsedRobots {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
  getSitemaps(): string[];
}
// The package is CommonJS (`module.exports = fn`) while its types declare an ES default export:
// under NodeNext the default import IS the function at run time, whatever TypeScript infers.
const robotsParser = robotsParserModule as unknown as (url: string, text: string) => ParsedRobots;

export type RobotsState = 'ok' | 'missing' | 'unreachable';

export interface RobotsRules {
  origin: string;
  state: RobotsState;
  /** What happened, e.g. "status 503" or "timeout" (for the report). */
  note: string | undefined;
  isAllowed(url: string): boolean;
  /** Crawl-delay for our user agent (or `*`), in milliseconds. */
  crawlDelayMs: number | undefined;
  sitemaps: string[];
}

export interface RobotsOptions {
  userAgent: string;
  dispatcher?: Agent;
  maxBytes?: number;
  timeoutMs?: number;
}

/** The product token robots.txt groups are matched against: "RailbookBot/0.1 (…)" → "RailbookBot". */
export function robotsToken(userAgent: string): string {
  return userAgent.trim().split(/[\s/]/)[0] ?? userAgent;
}

export function parseRobots(origin: string, text: string, userAgent: string): RobotsRules {
  const robotsUrl = `${origin}/robots.txt`;
  const parsed = robotsParser(robotsUrl, text);
  const token = robotsToken(userAgent);
  const delay = parsed.getCrawlDelay(token);
  return {
    origin,
    state: 'ok',
    note: undefined,
    // robots-parser answers undefined for another origin's URL: not ours to judge, allow.
    isAllowed: (url) => parsed.isAllowed(url, token) !== false,
    crawlDelayMs: delay !== undefined && Number.isFinite(delay) && delay > 0 ? Math.min(delay, 60) * 1000 : undefined,
    sitemaps: parsed.getSitemaps().filter((s) => /^https?:\/\//i.test(s)),
  };
}

function allowAll(origin: string, note: string): RobotsRules {
  return { origin, state: 'missing', note, isAllowed: () => true, crawlDelayMs: undefined, sitemaps: [] };
}

function disallowAll(origin: string, note: string): RobotsRules {
  return { origin, state: 'unreachable', note, isAllowed: () => false, crawlDelayMs: undefined, sitemaps: [] };
}

export async function fetchRobots(origin: string, opts: RobotsOptions): Promise<RobotsRules> {
  const res = await fetchPage(`${origin}/robots.txt`, {
    userAgent: opts.userAgent,
    maxBytes: opts.maxBytes ?? 500 * 1024,
    totalTimeoutMs: opts.timeoutMs ?? 20_000,
    headersTimeoutMs: opts.timeoutMs ?? 20_000,
    maxRedirects: 5,
    headers: { accept: 'text/plain,*/*;q=0.5' },
    ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
  });
  if (res.status >= 200 && res.status < 300) {
    // A cut file is still read: its first 500 KB hold the rules (Google does the same).
    const rules = parseRobots(origin, res.body.toString('utf8'), opts.userAgent);
    if (res.truncated) rules.note = 'robots.txt too large: first bytes used';
    else if (res.error) rules.note = `robots.txt incomplete: ${res.error}`;
    return rules;
  }
  if (res.status >= 400 && res.status < 500) return allowAll(origin, `status ${res.status}`);
  return disallowAll(origin, res.error ?? `status ${res.status}`);
}

/** One robots.txt per origin per crawl; concurrent asks share one fetch. */
export class RobotsCache {
  private readonly byOrigin = new Map<string, Promise<RobotsRules>>();
  private readonly known = new Map<string, RobotsRules>();
  constructor(private readonly opts: RobotsOptions) {}

  /** The rules of an origin already fetched, without waiting (for redirect hops). */
  peek(url: string): RobotsRules | undefined {
    return this.known.get(new URL(url).origin);
  }

  forUrl(url: string): Promise<RobotsRules> {
    const origin = new URL(url).origin;
    let p = this.byOrigin.get(origin);
    if (!p) {
      p = fetchRobots(origin, this.opts).then((r) => {
        this.known.set(origin, r);
        return r;
      });
      this.byOrigin.set(origin, p);
    }
    return p;
  }

  /** The origins' rules fetched so far (for the report). */
  async all(): Promise<RobotsRules[]> {
    return Promise.all(this.byOrigin.values());
  }
}
