import { createRequire } from 'node:module';
import type { HLJSApi } from 'highlight.js';
import { Marked, type Tokens } from 'marked';
import sanitizeHtml from 'sanitize-html';

// A model's answer is untrusted text: it may echo a web page, a prompt injection or plain
// nonsense. It is rendered on the server as markdown and the HTML is then passed through an
// allow-list sanitizer, so nothing a model writes can run script, fetch a URL or restyle the page.

/** Longest answer rendered; the rest is cut with a visible note. */
export const MODEL_TEXT_MAX_CHARS = 200_000;

/**
 * Shapes that make marked slow or overflow its recursion. Above any of these the answer is shown
 * as escaped plain text: no model writes prose like that, and the words stay readable.
 * - a paragraph this long (marked's emphasis matching is quadratic within one paragraph);
 * - this many emphasis delimiters (`*`, `_`, `~`) or `<` outside code fences in the whole answer
 *   (forty 5,000-character paragraphs of "_a_a…" took 1.8 s);
 * - containers nested this deep on one line ("> > > …", "- - - …") or list items indented this
 *   far (440 nested list levels took 1 s; deeper ones overflow the stack).
 */
const BLOCK_MAX_CHARS = 5_000;
const DELIMITER_BUDGET = 10_000;
const TAG_OPEN_BUDGET = 10_000;
const NESTING_MAX = 16;
const LIST_INDENT_MAX = 64;

/** Code longer than this is shown escaped but not highlighted. */
const HIGHLIGHT_MAX_CHARS = 100_000;

export interface RenderModelTextOptions {
  /** Characters of markdown rendered at most (default 200,000). */
  maxChars?: number;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c] ?? c);
}

// highlight.js ships CommonJS; its "common" build is loaded on first use only.
const require = createRequire(import.meta.url);
let hljsApi: HLJSApi | undefined;
function hljs(): HLJSApi {
  hljsApi ??= require('highlight.js/lib/common') as HLJSApi;
  return hljsApi;
}

/** Only a language highlight.js knows is highlighted; no guessing (slow, and often wrong). */
function renderCode(code: string, infoString: string | undefined): string {
  const lang = (infoString ?? '').trim().split(/\s+/, 1)[0]?.toLowerCase() ?? '';
  const known = lang !== '' && code.length <= HIGHLIGHT_MAX_CHARS && hljs().getLanguage(lang) !== undefined;
  if (!known) return `<pre><code class="hljs">${escapeHtml(code)}</code></pre>\n`;
  const html = hljs().highlight(code, { language: lang, ignoreIllegals: true }).value;
  const cls = lang.replace(/[^a-z0-9_+#-]/g, '');
  return `<pre><code class="hljs language-${cls}">${html}</code></pre>\n`;
}

// A private instance: configuring the global `marked` would change it for every other user.
const md = new Marked({
  gfm: true,
  async: false,
  renderer: {
    code(token: Tokens.Code): string {
      return renderCode(token.text, token.lang);
    },
    // An image would make the browser fetch a URL the model chose (tracking, or a request to a
    // local service): it becomes a link that says what the picture was.
    image(token: Tokens.Image): string {
      const label = escapeHtml(token.text || 'image');
      return `<a href="${escapeHtml(token.href)}">${label}</a>`;
    },
    // Task lists: a checkbox is a form control; a glyph says the same thing.
    checkbox(token: Tokens.Checkbox): string {
      return token.checked ? '☑ ' : '☐ ';
    },
  },
});

/** Only these schemes may be linked; relative and fragment links are dropped too. */
const LINK_SCHEME = /^(?:https?:|mailto:)/i;

/**
 * A link's attributes: the href only if its scheme is allowed, and always a new tab with no opener,
 * no referrer and no endorsement. htmlparser2 has decoded entities by now ("javascript&#58;" is
 * "javascript:"); browsers ignore control characters and spaces inside a scheme, so those go first.
 */
function linkAttribs(href: string | undefined, title: string | undefined): sanitizeHtml.Attributes {
  const attribs: sanitizeHtml.Attributes = { rel: 'noopener noreferrer nofollow', target: '_blank' };
  if (href !== undefined && LINK_SCHEME.test(href.replace(/[\u0000-\u0020\u007f-\u009f]/g, ''))) attribs.href = href;
  if (title !== undefined) attribs.title = title;
  return attribs;
}

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    'p', 'br', 'hr', 'h3', 'h4', 'h5', 'h6', 'blockquote',
    'ul', 'ol', 'li', 'strong', 'em', 'b', 'i', 'del', 's', 'kbd', 'sup', 'sub',
    'code', 'pre', 'span', 'a',
    'table', 'thead', 'tbody', 'tr', 'th', 'td',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel', 'target'],
    ol: ['start'],
    th: ['align'],
    td: ['align'],
  },
  allowedClasses: {
    code: ['hljs', 'language-*'],
    // highlight.js's own spans: "hljs-title function_" (sub-scopes end in "_"), and
    // "language-css" around code embedded in another language.
    span: ['hljs-*', '*_', 'language-*'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: {},
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  // Tags whose content is not text: dropped with their content rather than shown.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'template', 'xmp', 'iframe', 'noembed', 'noframes', 'svg', 'math', 'object'],
  disallowedTagsMode: 'discard',
  transformTags: {
    // The page's own headings are h1 and h2: a model's headings are demoted by two levels (h1 → h3,
    // h2 → h4, the rest to h6) so an answer can never outrank the page it sits in.
    h1: 'h3',
    h2: 'h4',
    h3: 'h5',
    h4: 'h6',
    h5: 'h6',
    a: (tagName, attribs) => {
      const safe = linkAttribs(attribs.href, attribs.title);
      // A link whose target was refused keeps its words but stops looking clickable.
      return safe.href === undefined ? { tagName: 'span', attribs: {} } : { tagName, attribs: safe };
    },
    // Raw <img> in the answer: a link with its alt text, as for markdown images.
    img: (_tagName, attribs) => {
      const safe = linkAttribs(attribs.src, undefined);
      return { tagName: safe.href === undefined ? 'span' : 'a', attribs: safe.href === undefined ? {} : safe, text: attribs.alt || 'image' };
    },
  },
};

/** True when the markdown has a shape that would make marked slow or overflow (see above). */
function isPathological(source: string): boolean {
  let fence: string | undefined;
  let block = 0;
  let delimiters = 0;
  let tags = 0;
  for (const line of source.split('\n')) {
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence !== undefined) {
      // Inside a fence only its closing line matters: code is never parsed as markdown.
      if (fenceMatch?.[1] && fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length && line.trim() === fenceMatch[1]) fence = undefined;
      continue;
    }
    if (fenceMatch?.[1]) {
      fence = fenceMatch[1];
      block = 0;
      continue;
    }
    if (line.trim() === '') {
      block = 0;
      continue;
    }
    block += line.length + 1;
    if (block > BLOCK_MAX_CHARS) return true;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c === 42 /* * */ || c === 95 /* _ */ || c === 126 /* ~ */) delimiters++;
      else if (c === 60 /* < */) tags++;
    }
    if (delimiters > DELIMITER_BUDGET || tags > TAG_OPEN_BUDGET) return true;
    if (containerDepth(line) > NESTING_MAX) return true;
    const listItem = /^([ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)/.exec(line);
    if (listItem?.[1] && listItem[1].replace(/\t/g, '    ').length > LIST_INDENT_MAX) return true;
  }
  return false;
}

/** How many block containers (quote markers, list markers) open on this one line. */
function containerDepth(line: string): number {
  const marker = /^[ \t]{0,3}(?:>|[-*+](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))[ \t]?/;
  let depth = 0;
  let rest = line;
  for (let m = marker.exec(rest); m !== null && m[0].length > 0; m = marker.exec(rest)) {
    depth++;
    if (depth > NESTING_MAX) break;
    rest = rest.slice(m[0].length);
  }
  return depth;
}

function plainText(source: string): string {
  return `<pre class="model-text-plain">${escapeHtml(source)}</pre>\n`;
}

/** Cuts at `max` characters without splitting a surrogate pair. */
function cut(source: string, max: number): string {
  let end = Math.max(0, Math.floor(max));
  const c = source.charCodeAt(end - 1);
  if (end > 0 && c >= 0xd800 && c <= 0xdbff) end--;
  return source.slice(0, end);
}

/**
 * A model's markdown answer as HTML that is safe to insert into the page: GFM rendered by marked,
 * code blocks in a known language highlighted by highlight.js, and the result passed through
 * sanitize-html with an allow-list (no script, no event handlers, no images, no styles, no ids;
 * links only to http, https and mailto, opening in a new tab with no referrer).
 */
export function renderModelText(markdown: string, opts: RenderModelTextOptions = {}): string {
  const max = opts.maxChars ?? MODEL_TEXT_MAX_CHARS;
  const source = markdown.length > max ? cut(markdown, max) : markdown;
  let html: string;
  if (isPathological(source)) html = plainText(source);
  else {
    try {
      html = sanitizeHtml(md.parse(source, { async: false }), SANITIZE);
    } catch {
      // A shape the checks above missed overflowed the parser's recursion: show the text instead.
      html = plainText(source);
    }
  }
  if (source.length < markdown.length) {
    html += `<p class="model-text-cut">(cut: the answer was ${markdown.length.toLocaleString('en-US')} characters)</p>\n`;
  }
  return html;
}

/**
 * The partial answer while tokens still arrive. An unclosed code fence already runs to the end
 * (as CommonMark says), so the code shows as code while it streams; what this adds is hiding a
 * fence that is only half typed (a last line of "`" or "``"), which would otherwise flash as an
 * inline code mark until the third backtick arrives.
 */
export function renderModelTextStreaming(partial: string, opts: RenderModelTextOptions = {}): string {
  const trimmed = partial.replace(/(^|\n) {0,3}(?:`{1,2}|~{1,2})$/, '$1');
  return renderModelText(trimmed, opts);
}
