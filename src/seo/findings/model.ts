/**
 * One pass over the stored records into what the analyses need: the pages without their link
 * lists, and the internal links as compact parallel arrays with interned target URLs (100k pages
 * × 100 links must not keep 10M link objects alive).
 */
import type { LinkRecord, PageRecord, RedirectHop } from '../crawl/page-record.ts';

export interface Page {
  index: number;
  url: string;
  finalUrl: string;
  status: number;
  depth: number;
  redirects: RedirectHop[];
  error: string | undefined;
  bytes: number;
  ttfbMs: number | undefined;
  totalMs: number | undefined;
  xRobotsTag: string | undefined;
  /** An HTML page that answered 200 (and is not a redirect to another record): content checks apply. */
  html: boolean;
  title: string | undefined;
  description: string | undefined;
  metaRobots: string | undefined;
  canonical: string | undefined;
  h1: string[];
  wordCount: number;
  contentHash: string | undefined;
  simhash: string | undefined;
}

export interface InternalLinks {
  /** Parallel arrays, one entry per internal link: source page index, target URL id, anchor text. */
  from: number[];
  to: number[];
  text: string[];
  /** URL id → URL. */
  urls: string[];
}

export interface Model {
  pages: Page[];
  /** Requested URL → page. */
  byUrl: Map<string, Page>;
  links: InternalLinks;
}

export function buildModel(records: Iterable<PageRecord>): Model {
  const pages: Page[] = [];
  const byUrl = new Map<string, Page>();
  const urlIds = new Map<string, number>();
  const links: InternalLinks = { from: [], to: [], text: [], urls: [] };
  const redirected: [Page, readonly LinkRecord[]][] = [];
  const addLinks = (page: Page, ls: readonly LinkRecord[]): void => {
    for (const l of ls) {
      if (!l.internal) continue;
      let id = urlIds.get(l.url);
      if (id === undefined) {
        id = links.urls.length;
        urlIds.set(l.url, id);
        links.urls.push(l.url);
      }
      links.from.push(page.index);
      links.to.push(id);
      links.text.push(l.text);
    }
  };
  for (const r of records) {
    const x = r.extract;
    const page: Page = {
      index: pages.length,
      url: r.url,
      finalUrl: r.finalUrl,
      status: r.status,
      depth: r.depth,
      redirects: r.redirects,
      error: r.error,
      bytes: r.bytes,
      ttfbMs: r.ttfbMs,
      totalMs: r.totalMs,
      xRobotsTag: r.xRobotsTag,
      html: r.status === 200 && x !== undefined,
      title: x?.title,
      description: x?.metaDescription,
      metaRobots: x?.metaRobots,
      canonical: x?.canonical,
      h1: x?.h1 ?? [],
      wordCount: x?.wordCount ?? 0,
      contentHash: x?.contentHash,
      simhash: x?.simhash,
    };
    pages.push(page);
    if (!byUrl.has(r.url)) byUrl.set(r.url, page);
    // A redirected URL's links are its destination's: counted once, below, unless the destination has no record of its own.
    if (r.redirects.length > 0) redirected.push([page, x?.links ?? []]);
    else addLinks(page, x?.links ?? []);
  }
  // A redirected URL whose destination has its own record would only repeat that page's content
  // (duplicate titles, duplicate content, the same links twice): the checks look at the destination alone.
  for (const [p, ls] of redirected) {
    if (p.finalUrl !== p.url && byUrl.has(p.finalUrl)) p.html = false;
    else addLinks(p, ls);
  }
  return { pages, byUrl, links };
}
