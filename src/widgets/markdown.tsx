import { Marked, type Tokens } from 'marked';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';

// Markdown here is often not ours (a model's answer, a notebook's cell, a workflow's docs), so
// raw HTML inside it is shown as text and links may only go where a click is harmless.

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c] ?? c);
}

/**
 * http:, https:, mailto: or a relative URL. Browsers ignore control characters and spaces inside
 * a scheme ("java\tscript:") and decode entities in attributes ("jav&#x61;script:"), so anything
 * with ":" or "&" before the first "/", "?" or "#" must start with an allowed scheme verbatim.
 */
export function isSafeUrl(href: string): boolean {
  const s = href.replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  const head = s.split(/[/?#]/, 1)[0] ?? '';
  if (!/[:&]/.test(head)) return true;
  return /^(?:https?|mailto):/i.test(s);
}

/** Percent-encodes what must be, leaving existing %XX escapes alone (as marked itself does). */
function cleanHref(href: string): string {
  try {
    return encodeURI(href).replace(/%25/g, '%');
  } catch {
    return href;
  }
}

// A private instance: configuring the global `marked` would change it for any other user.
const md = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag): string {
      const text = escapeHtml(token.text);
      return 'block' in token && token.block ? `<p>${text}</p>\n` : text;
    },
    link(token: Tokens.Link): string {
      const inner = this.parser.parseInline(token.tokens);
      if (!isSafeUrl(token.href)) return inner; // keep the words, drop the link
      const title = token.title ? ` title="${escapeHtml(token.title)}"` : '';
      // Leaving the app by accident loses nothing (state is on the server) but is jarring:
      // links to other sites open in a new tab.
      const ext = /^https?:/i.test(token.href.trim()) ? ' target="_blank" rel="noopener noreferrer"' : '';
      return `<a href="${escapeHtml(cleanHref(token.href.trim()))}"${title}${ext}>${inner}</a>`;
    },
    image(token: Tokens.Image): string {
      if (!isSafeUrl(token.href)) return escapeHtml(token.text);
      const title = token.title ? ` title="${escapeHtml(token.title)}"` : '';
      return `<img src="${escapeHtml(cleanHref(token.href.trim()))}" alt="${escapeHtml(token.text)}"${title} loading="lazy">`;
    },
  },
});

/**
 * Longest paragraph rendered as markdown. marked's emphasis handling is quadratic within one
 * paragraph ("_a_a_a…": 40 kB took 1.5 s, blocking every other request); real prose has short
 * paragraphs (150 kB of it renders in ~50 ms). A longer one shows the text as it is.
 */
export const MARKDOWN_BLOCK_MAX_CHARS = 5_000;
const CACHE_SIZE = 200;
const cache = new Map<string, string>();

/** Markdown to HTML that is safe to insert: raw HTML escaped, dangerous links dropped. */
export function markdownToSafeHtml(source: string): string {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  let html: string;
  if (source.split(/\n[ \t]*\n/).some((block) => block.length > MARKDOWN_BLOCK_MAX_CHARS)) html = plainText(source);
  else {
    try {
      html = md.parse(source, { async: false });
    } catch {
      // Pathological nesting ("> > > …") overflows marked's recursion: show the text instead.
      html = plainText(source);
    }
  }
  // Outputs re-render on every view of a run: remember the last few (least recently used goes).
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(source, html);
  return html;
}

function plainText(source: string): string {
  return `<pre class="plain-text">${escapeHtml(source)}</pre>`;
}

/** Markdown as a block of the page. */
export function markdownView(source: string): Child {
  return <div class="markdown">{raw(markdownToSafeHtml(source))}</div>;
}
