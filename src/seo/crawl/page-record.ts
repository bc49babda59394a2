/**
 * What a crawl keeps per URL, shared by the crawler (fetching, storing) and the analyses
 * (findings, the link graph). The raw response is kept too (compressed, by the crawler), so any
 * of this can be extracted again later without fetching: "re-analyse".
 */

export interface LinkRecord {
  /** Absolute, normalised (fragment removed). */
  url: string;
  /** The anchor's visible text (whitespace collapsed, capped), or an image's alt. */
  text: string;
  /** `rel` tokens, lower case (nofollow, sponsored, ugc, …). */
  rel: string[];
  /** Same host as the page (after the crawl's scope rules: subdomains count when allowed). */
  internal: boolean;
}

/** What is read from an HTML page (extract.ts); other content types leave it undefined. */
export interface PageExtract {
  title: string | undefined;
  metaDescription: string | undefined;
  /** The meta robots content, lower case (also googlebot's), e.g. "noindex, nofollow". */
  metaRobots: string | undefined;
  canonical: string | undefined;
  hreflang: { lang: string; url: string }[];
  h1: string[];
  h2: string[];
  wordCount: number;
  /** SHA-256 of the visible text, normalised: exact duplicates share it. */
  contentHash: string;
  /** 64-bit SimHash of the visible text's word shingles, hex: near-duplicates differ in few bits. */
  simhash: string;
  links: LinkRecord[];
  /** Values from the crawl's custom extraction rules, by rule name. */
  custom?: Record<string, string[]> | undefined;
}

export interface RedirectHop {
  url: string;
  status: number;
  location: string;
}

export interface PageRecord {
  url: string;
  /** Hops from the seeds (a seed is 0). */
  depth: number;
  /** The final status after redirects; 0 when no response (see `error`). */
  status: number;
  redirects: RedirectHop[];
  /** The URL the redirects ended at. */
  finalUrl: string;
  contentType: string | undefined;
  /** Body bytes as received (after content decoding), possibly cut at the byte limit. */
  bytes: number;
  truncated: boolean;
  /** Milliseconds: to the response headers, and to the end of the body. */
  ttfbMs: number | undefined;
  totalMs: number | undefined;
  /** X-Robots-Tag header, lower case. */
  xRobotsTag: string | undefined;
  fetchedAt: number;
  /** Why there is no (complete) page: "timeout", "too large", "redirect loop", a network error… */
  error: string | undefined;
  extract: PageExtract | undefined;
  /**
   * JavaScript rendering (a crawl with a renderer, HTML pages only): how long it took, or why it
   * failed (the extract is then the raw response's).
   */
  rendered?: { ms: number } | { error: string };
}
