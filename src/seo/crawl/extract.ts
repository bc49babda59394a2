/**
 * What an SEO crawl reads from one HTML page: one parse with htmlparser2 (tolerant of malformed
 * HTML), then one iterative walk over the DOM (no recursion: deeply nested junk cannot overflow
 * the stack). URLs are resolved after the walk, since a <base href> applies to the whole document
 * wherever it appears.
 */
import { createHash } from 'node:crypto';
import { parseDocument } from 'htmlparser2';
import type { AnyNode, Element } from 'domhandler';
import { textContent } from 'domutils';
import type { LinkRecord, PageExtract } from './page-record.ts';
import { applyRules, type ExtractionRule } from './extraction-rules.ts';
import { simhash } from './simhash.ts';
import { collectStream } from './extract-stream.ts';

export type { ExtractionRule } from './extraction-rules.ts';
export { validateRule } from './extraction-rules.ts';
export { hamming } from './simhash.ts';

export interface ExtractOptions {
  isInternal: (url: string) => boolean;
  rules?: ExtractionRule[];
  /** Used when the document has no <base href> (e.g. the URL the redirects ended at). */
  baseHref?: string;
}

/** Anchor texts longer than this are cut. */
export const ANCHOR_TEXT_MAX = 200;

/** Their text is not shown to a reader. Not <head>: without <body>, htmlparser2 leaves the content in it. */
export const HIDDEN = new Set(['script', 'style', 'noscript', 'template', 'title', 'svg', 'iframe', 'object']);
/** Inline elements join their text with the neighbours'; others separate words ("a</p><p>b"). */
export const INLINE = new Set(['a', 'abbr', 'b', 'bdi', 'bdo', 'cite', 'code', 'data', 'del', 'dfn', 'em', 'font', 'i', 'ins', 'kbd', 'mark', 'q', 's', 'samp', 'small', 'span', 'strong', 'sub', 'sup', 'time', 'u', 'var', 'label']);

/** Whitespace runs to one space. Single spaces are left alone: replacing each is 4× slower. */
export const collapse = (s: string): string => s.replace(/\s{2,}|[^\S ]/g, ' ').trim();

export function relTokens(v: string | undefined): string[] {
  if (!v) return [];
  const out: string[] = [];
  for (const t of v.toLowerCase().split(/\s+/)) if (t !== '' && !out.includes(t)) out.push(t);
  return out;
}

/**
 * Readable text inside an element: script/style/… skipped, and, for links, nested links skipped
 * (browsers close an open <a> when another starts; htmlparser2 nests them instead).
 */
function innerText(el: Element, skipLinks: boolean): string {
  const parts: string[] = [];
  const stack: AnyNode[] = [];
  for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]!);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.type === 'text') parts.push(n.data);
    else if (n.type === 'tag') {
      if (HIDDEN.has(n.name) || (skipLinks && n.name === 'a')) continue;
      if (!INLINE.has(n.name)) parts.push(' ');
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
    }
  }
  return collapse(parts.join(''));
}

/** A link's text; an image's alt when it has none (image links). */
function anchorText(el: Element): string {
  let text = el.name === 'area' ? collapse(el.attribs['alt'] ?? '') : innerText(el, true);
  if (text === '' && el.name === 'a') {
    const stack: AnyNode[] = [...el.children].reverse();
    while (stack.length > 0 && text === '') {
      const n = stack.pop()!;
      if (n.type !== 'tag' || n.name === 'a') continue;
      if (n.name === 'img') text = collapse(n.attribs['alt'] ?? '');
      else for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
    }
  }
  return text.length > ANCHOR_TEXT_MAX ? text.slice(0, ANCHOR_TEXT_MAX) : text;
}

/** Absolute http(s) URL without its fragment, or undefined (mailto:, javascript:, garbage). */
function resolve(href: string, base: URL | string): string | undefined {
  let u: URL;
  try {
    u = new URL(href.trim(), base);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  // Cutting the serialised string is cheaper than the hash setter; '#' only starts the fragment.
  const href2 = u.href;
  const hash = href2.indexOf('#');
  return hash < 0 ? href2 : href2.slice(0, hash);
}

/** Space-separated tokens holding a letter or a digit (punctuation alone is not a word). */
function countWords(collapsed: string): number {
  let n = 0;
  let counted = false;
  for (let i = 0; i < collapsed.length; i++) {
    const c = collapsed.charCodeAt(i);
    if (c === 32) counted = false;
    else if (!counted && ((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122) || (c > 127 && /[\p{L}\p{N}]/u.test(collapsed[i]!)))) {
      n++;
      counted = true;
    }
  }
  return n;
}

export interface RawLink {
  href: string;
  text: string;
  rel: string[];
}

/** What one pass over a document gathers, before URLs are resolved (both passes fill it). */
export interface Collected {
  title: string | undefined;
  metaDescription: string | undefined;
  robots: string[];
  canonicalHref: string | undefined;
  baseHrefInDoc: string | undefined;
  alternates: { lang: string; href: string }[];
  h1: string[];
  h2: string[];
  rawLinks: RawLink[];
  /** Visible text pieces, joined then collapsed. */
  text: string[];
}

export function newCollected(): Collected {
  return {
    title: undefined, metaDescription: undefined, robots: [], canonicalHref: undefined, baseHrefInDoc: undefined,
    alternates: [], h1: [], h2: [], rawLinks: [], text: [],
  };
}

/** <meta name content>: the description (first one) and robots/googlebot tokens. */
export function collectMeta(c: Collected, a: Record<string, string>): void {
  const name = (a['name'] ?? '').toLowerCase();
  const content = a['content'];
  if (content === undefined) return;
  if (name === 'description') c.metaDescription ??= collapse(content);
  else if (name === 'robots' || name === 'googlebot') {
    for (const part of content.toLowerCase().split(',')) {
      const t = part.trim();
      if (t !== '' && !c.robots.includes(t)) c.robots.push(t);
    }
  }
}

/** <link rel href>: the canonical (first one) and hreflang alternates. */
export function collectLink(c: Collected, a: Record<string, string>): void {
  const rel = relTokens(a['rel']);
  const href = a['href'];
  if (href === undefined) return;
  if (rel.includes('canonical') && c.canonicalHref === undefined) c.canonicalHref = href;
  if (rel.includes('alternate') && a['hreflang'] !== undefined) c.alternates.push({ lang: a['hreflang'].trim().toLowerCase(), href });
}

/**
 * Every field of a page. Without custom rules it is read in one streaming pass with no DOM built
 * (extract-stream.ts, the crawler's usual case); rules need the DOM, so then it is built.
 */
export function extractPage(html: string, pageUrl: string, opts: ExtractOptions): PageExtract {
  if (opts.rules && opts.rules.length > 0) return extractPageDom(html, pageUrl, opts);
  return finishExtract(collectStream(html), pageUrl, opts);
}

/** The DOM path: parse into a DOM, walk it (custom rules then run over the same DOM). */
export function extractPageDom(html: string, pageUrl: string, opts: ExtractOptions): PageExtract {
  const doc = parseDocument(html);
  const c = newCollected();
  const { h1, h2, rawLinks, text } = c;
  let { title, baseHrefInDoc } = c;

  // Iterative walk in document order. `null` on the stack marks the end of a block element.
  const stack: (AnyNode | null)[] = [];
  const hiddenStack: boolean[] = [];
  for (let i = doc.children.length - 1; i >= 0; i--) {
    stack.push(doc.children[i]!);
    hiddenStack.push(false);
  }
  while (stack.length > 0) {
    const node = stack.pop();
    const hidden = hiddenStack.pop()!;
    if (node === null) {
      text.push(' ');
      continue;
    }
    if (node === undefined) break;
    if (node.type === 'text') {
      if (!hidden) text.push(node.data);
      continue;
    }
    if (node.type !== 'tag' && node.type !== 'script' && node.type !== 'style') continue;
    const el = node as Element;
    const a = el.attribs;
    switch (el.name) {
      case 'title':
        // Not an <svg>'s <title> (an icon's tooltip).
        if (title === undefined && !hidden) title = collapse(textContent(el));
        break;
      case 'meta':
        collectMeta(c, a);
        break;
      case 'base':
        if (baseHrefInDoc === undefined && a['href'] !== undefined) baseHrefInDoc = a['href'];
        break;
      case 'link':
        collectLink(c, a);
        break;
      case 'h1':
        h1.push(innerText(el, false));
        break;
      case 'h2':
        h2.push(innerText(el, false));
        break;
      case 'a':
      case 'area': {
        const href = a['href'];
        // Pure fragments point into the same page; they are not links to crawl.
        if (href !== undefined && !href.trimStart().startsWith('#')) rawLinks.push({ href, text: anchorText(el), rel: relTokens(a['rel']) });
        break;
      }
    }
    const childHidden = hidden || HIDDEN.has(el.name);
    const block = !INLINE.has(el.name);
    if (block && !childHidden) {
      text.push(' ');
      stack.push(null);
      hiddenStack.push(childHidden);
    }
    for (let i = el.children.length - 1; i >= 0; i--) {
      stack.push(el.children[i]!);
      hiddenStack.push(childHidden);
    }
  }

  c.title = title;
  c.baseHrefInDoc = baseHrefInDoc;
  const out = finishExtract(c, pageUrl, opts);
  if (opts.rules && opts.rules.length > 0) out.custom = applyRules(opts.rules, doc, html);
  return out;
}

/** URLs resolved (against <base href>), text counted and fingerprinted: the PageExtract. */
export function finishExtract(c: Collected, pageUrl: string, opts: ExtractOptions): PageExtract {
  const { baseHrefInDoc, rawLinks, alternates, canonicalHref, text } = c;
  // Base: the document's <base href> (itself relative to the page), else the caller's, else the page.
  let base: URL | string = opts.baseHref ?? pageUrl;
  if (baseHrefInDoc !== undefined) {
    try {
      const b = new URL(baseHrefInDoc.trim(), opts.baseHref ?? pageUrl);
      if (b.protocol === 'http:' || b.protocol === 'https:') base = b;
    } catch {
      // a broken <base> is ignored, as browsers do
    }
  }
  let baseUrl: URL;
  try {
    baseUrl = typeof base === 'string' ? new URL(base) : base;
  } catch {
    baseUrl = new URL('http://invalid.invalid/');
  }

  const resolved = new Map<string, string | undefined>();
  const resolveCached = (href: string): string | undefined => {
    if (resolved.has(href)) return resolved.get(href);
    const r = resolve(href, baseUrl);
    resolved.set(href, r);
    return r;
  };
  const links: LinkRecord[] = [];
  for (const l of rawLinks) {
    const url = resolveCached(l.href);
    if (url !== undefined) links.push({ url, text: l.text, rel: l.rel, internal: opts.isInternal(url) });
  }
  const hreflang: { lang: string; url: string }[] = [];
  for (const alt of alternates) {
    const url = resolveCached(alt.href);
    if (url !== undefined) hreflang.push({ lang: alt.lang, url });
  }

  const visible = collapse(text.join(''));
  const wordCount = countWords(visible);

  return {
    title: c.title,
    metaDescription: c.metaDescription,
    metaRobots: c.robots.length > 0 ? c.robots.join(', ') : undefined,
    canonical: canonicalHref === undefined ? undefined : resolveCached(canonicalHref),
    hreflang,
    h1: c.h1,
    h2: c.h2,
    wordCount,
    contentHash: createHash('sha256').update(visible).digest('hex'),
    simhash: simhash(visible),
    links,
  };
}
