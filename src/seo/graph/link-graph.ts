/**
 * The internal link graph of a crawl, held in typed arrays rather than a graphology instance:
 * at 100k nodes and 1M edges a graphology graph with attributes costs ~0.8 GB and 10 s to build,
 * these arrays ~20 MB. Node i is `urls[i]`; edge e goes from `src[e]` to `dst[e]`.
 */
export interface LinkGraph {
  /** Node URLs (the final URL of a redirect that ended inside the crawl). */
  urls: string[];
  titles: (string | undefined)[];
  /** HTTP status (0: no response; 3xx: a redirect whose end is not a crawled page). */
  status: Uint16Array;
  depth: Int32Array;
  /** Index into `sections` (the first path segment, "/" for the home page). */
  section: Int32Array;
  sections: string[];
  /** Deduplicated internal links: one edge per (from, to) pair, `count` links behind it. */
  src: Int32Array;
  dst: Int32Array;
  count: Uint32Array;
  inDegree: Int32Array;
  outDegree: Int32Array;
  stats: BuildStats;
}

export interface BuildStats {
  pages: number;
  /** Crawled URLs that redirect to another crawled page: merged into that page. */
  redirectsMerged: number;
  /** Internal links counted (before deduplication), self-links excluded. */
  internalLinks: number;
  selfLinks: number;
  /** Internal links to URLs that were not crawled (skipped, over the limits, still queued). */
  linksToUncrawled: number;
}

/** Out-links (or in-links) of every node in one pair of arrays: `ids[start[i] .. start[i + 1])`. */
export interface Adjacency {
  start: Int32Array;
  ids: Int32Array;
}

/** Compressed adjacency lists; `reverse` gives the in-links. */
export function adjacency(g: LinkGraph, reverse = false): Adjacency {
  const n = g.urls.length;
  const from = reverse ? g.dst : g.src;
  const to = reverse ? g.src : g.dst;
  const start = new Int32Array(n + 1);
  for (let e = 0; e < from.length; e++) start[from[e]! + 1]!++;
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, n);
  const ids = new Int32Array(from.length);
  for (let e = 0; e < from.length; e++) ids[fill[from[e]!]!++] = to[e]!;
  return { start, ids };
}

/** The first path segment: "/blog/post" → "blog", "/" → "/". */
export function sectionOf(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return '/';
  }
  const seg = path.split('/').find((s) => s !== '');
  return seg === undefined ? '/' : decodeSafe(seg);
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
