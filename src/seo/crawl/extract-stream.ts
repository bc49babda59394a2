/**
 * The extractor's fast path: the same fields as the DOM walk in extract.ts, read straight from
 * htmlparser2's callbacks, with no DOM built. The parser emits exactly the events its DomHandler
 * builds the tree from (implied closes included, every open tag closed at the end), so a stack of
 * open elements here mirrors the tree, and what the walk does on visiting an element is done at
 * its open tag, what needs its content (a link's or a heading's text) at its close tag.
 * test/unit/crawl-extract-stream.test.ts checks that both paths agree.
 */
import { Parser, type Handler } from 'htmlparser2';
import { ANCHOR_TEXT_MAX, HIDDEN, INLINE, collapse, collectLink, collectMeta, newCollected, relTokens, type Collected, type RawLink } from './extract.ts';

/** Text gathered inside one element (a heading, a link, the title), as innerText/textContent read it. */
interface Capture {
  kind: 'h1' | 'h2' | 'a' | 'title';
  /** Depth of the element's frame in the stack. */
  depth: number;
  parts: string[];
  /** Depth of a descendant whose subtree innerText skips (hidden, or a nested link), else -1. */
  blockedAt: number;
  /** Links: depth of a nested link whose subtree the image-alt search skips, else -1. */
  imgBlockedAt: number;
  /** Links: the first non-empty alt of an image inside. */
  alt: string | undefined;
  link: RawLink | undefined;
  index: number;
}

interface Frame {
  /** Its children are hidden (it, or an ancestor, is). */
  childHidden: boolean;
  /** A space goes to the visible text when it closes (a visible block element). */
  spaceAfter: boolean;
}

class StreamCollector implements Partial<Handler> {
  readonly c: Collected = newCollected();
  private readonly frames: Frame[] = [];
  private captures: Capture[] = [];
  private titleTaken = false;

  private get hidden(): boolean {
    return this.frames.length > 0 && this.frames[this.frames.length - 1]!.childHidden;
  }

  onopentag(name: string, a: Record<string, string>): void {
    const hidden = this.hidden;
    const depth = this.frames.length;
    const c = this.c;
    // First what the open tag means to the captures around it (the element is their descendant).
    for (const cap of this.captures) this.enterDescendant(cap, name, a, depth);
    switch (name) {
      case 'title':
        // Not an <svg>'s <title> (an icon's tooltip).
        if (!this.titleTaken && !hidden) {
          this.titleTaken = true;
          this.captures.push(this.capture('title', depth, undefined, -1));
        }
        break;
      case 'meta':
        collectMeta(c, a);
        break;
      case 'base':
        if (c.baseHrefInDoc === undefined && a['href'] !== undefined) c.baseHrefInDoc = a['href'];
        break;
      case 'link':
        collectLink(c, a);
        break;
      case 'h1':
      case 'h2': {
        const list = name === 'h1' ? c.h1 : c.h2;
        list.push('');
        this.captures.push(this.capture(name, depth, undefined, list.length - 1));
        break;
      }
      case 'a':
      case 'area': {
        const href = a['href'];
        // Pure fragments point into the same page; they are not links to crawl.
        if (href === undefined || href.trimStart().startsWith('#')) break;
        const link: RawLink = { href, text: '', rel: relTokens(a['rel']) };
        c.rawLinks.push(link);
        if (name === 'area') {
          const t = collapse(a['alt'] ?? '');
          link.text = t.length > ANCHOR_TEXT_MAX ? t.slice(0, ANCHOR_TEXT_MAX) : t;
        } else {
          this.captures.push(this.capture('a', depth, link, -1));
        }
        break;
      }
    }
    const childHidden = hidden || HIDDEN.has(name);
    const spaceAfter = !INLINE.has(name) && !childHidden;
    if (spaceAfter) c.text.push(' ');
    this.frames.push({ childHidden, spaceAfter });
  }

  private capture(kind: Capture['kind'], depth: number, link: RawLink | undefined, index: number): Capture {
    return { kind, depth, parts: [], blockedAt: -1, imgBlockedAt: -1, alt: undefined, link, index };
  }

  /** An element opens inside a capture's element. */
  private enterDescendant(cap: Capture, name: string, a: Record<string, string>, depth: number): void {
    if (cap.kind === 'title') return;
    if (cap.kind === 'a') {
      // The image-alt search skips nested links (and script/style, which hold no images).
      if (cap.imgBlockedAt < 0) {
        if (name === 'a') cap.imgBlockedAt = depth;
        else if (name === 'img' && cap.alt === undefined) {
          const alt = collapse(a['alt'] ?? '');
          if (alt !== '') cap.alt = alt;
        }
      }
    }
    if (cap.blockedAt >= 0) return;
    if (HIDDEN.has(name) || (cap.kind === 'a' && name === 'a')) {
      cap.blockedAt = depth;
      return;
    }
    if (!INLINE.has(name)) cap.parts.push(' ');
  }

  ontext(data: string): void {
    if (!this.hidden) this.c.text.push(data);
    for (const cap of this.captures) if (cap.blockedAt < 0 || cap.kind === 'title') cap.parts.push(data);
  }

  onclosetag(name: string): void {
    const frame = this.frames.pop();
    if (!frame) return;
    const depth = this.frames.length;
    if (frame.spaceAfter) this.c.text.push(' ');
    if (this.captures.length === 0) return;
    for (const cap of this.captures) {
      if (cap.blockedAt === depth) cap.blockedAt = -1;
      if (cap.imgBlockedAt === depth) cap.imgBlockedAt = -1;
      // textContent reads <br> as a line break.
      if (cap.kind === 'title' && name === 'br' && cap.depth < depth) cap.parts.push('\n');
    }
    const last = this.captures[this.captures.length - 1]!;
    if (last.depth !== depth) return;
    this.captures.pop();
    this.finishCapture(last);
  }

  private finishCapture(cap: Capture): void {
    const text = collapse(cap.parts.join(''));
    if (cap.kind === 'title') this.c.title = text;
    else if (cap.kind === 'h1') this.c.h1[cap.index] = text;
    else if (cap.kind === 'h2') this.c.h2[cap.index] = text;
    else if (cap.link) {
      const t = text === '' ? (cap.alt ?? '') : text;
      cap.link.text = t.length > ANCHOR_TEXT_MAX ? t.slice(0, ANCHOR_TEXT_MAX) : t;
    }
  }
}

/** One streaming pass over `html`: what extractPage needs, before URLs are resolved. */
export function collectStream(html: string): Collected {
  const h = new StreamCollector();
  new Parser(h).end(html);
  return h.c;
}
