import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { markdownToSafeHtml } from '../../widgets/index.ts';

/**
 * Workflow-written markdown (step docs, descriptions) comes from the workflow files and does not
 * change while the app runs, yet shows on every page and step card: render each text once.
 * Bounded, so that odd uses cannot grow it without limit.
 */
const cache = new Map<string, string>();
const CACHE_MAX = 500;

function safeHtml(source: string): string {
  let html = cache.get(source);
  if (html === undefined) {
    html = markdownToSafeHtml(source);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(source, html);
  }
  return html;
}

/** Workflow-written markdown (docs, descriptions), sanitised by the widgets' renderer (as `markdownView` shows it). */
export function Markdown({ source, class: cls }: { source: string | undefined; class?: string }): Child {
  if (!source || source.trim() === '') return null;
  return (
    <div class={cls ?? 'docs'}>
      <div class="markdown">{raw(safeHtml(source))}</div>
    </div>
  );
}
