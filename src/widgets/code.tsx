import { createRequire } from 'node:module';
import type { HLJSApi } from 'highlight.js';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';

// highlight.js's "common" build (~36 popular languages) rather than all ~190: it loads in half
// the time, and auto-detection picks among likelier candidates, so it guesses better.

// Loaded on first use (synchronously: highlight.js ships CommonJS), not at import: headless runs
// (`railbook run`) render nothing and save the ~0.1 s it takes to load.
const require = createRequire(import.meta.url);
let hljsApi: HLJSApi | undefined;
function hljs(): HLJSApi {
  hljsApi ??= require('highlight.js/lib/common') as HLJSApi;
  return hljsApi;
}

/** Beyond this, highlighting costs more than it helps; the code is shown plain. */
export const HIGHLIGHT_MAX_CHARS = 200_000;
/**
 * Guessing the language tries every grammar and grows faster than the text (10 kB: 2.4 s,
 * blocking the server). Only short code is guessed; longer code without a language is plain.
 */
export const AUTO_DETECT_MAX_CHARS = 2_000;

export interface HighlightResult {
  /** Escaped HTML (highlight.js escapes the code and adds only its own spans). */
  html: string;
  /** The language used, if any was. */
  language?: string | undefined;
}

/** Highlights `code` as `language`, or guesses when that is missing or unknown. */
export function highlightCode(code: string, language?: string): HighlightResult {
  const lang = language?.trim().toLowerCase();
  if (code.length > HIGHLIGHT_MAX_CHARS) return { html: escapeText(code), language: lang };
  if (lang && hljs().getLanguage(lang)) {
    return { html: hljs().highlight(code, { language: lang, ignoreIllegals: true }).value, language: lang };
  }
  if (code.length > AUTO_DETECT_MAX_CHARS) return { html: escapeText(code), language: undefined };
  const auto = hljs().highlightAuto(code);
  return { html: auto.value, language: auto.language };
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A block of code, highlighted on the server (no script in the page). */
export function codeView(code: string, language?: string): Child {
  const { html, language: used } = highlightCode(code, language);
  // Class names are attribute values, escaped by JSX; keep them to a tidy token anyway.
  const cls = used ? `hljs language-${used.replace(/[^a-z0-9_+#-]/gi, '')}` : 'hljs';
  return (
    <pre class="code-view">
      <code class={cls}>{raw(html)}</code>
    </pre>
  );
}
