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

/** Markdown to HTML that is safe to insert: raw HTML escaped, dangerous links dropped. */
export function markdownToSafeHtml(source: string): string {
  return md.parse(source, { async: false });
}

/** Markdown as a block of the page. */
export function markdownView(source: string): Child {
  return <div class="markdown">{raw(markdownToSafeHtml(source))}</div>;
}
