import type { Child } from 'hono/jsx';
import { markdownView } from '../../widgets/index.ts';

/** Workflow-written markdown (docs, descriptions), sanitised by the widgets' renderer. */
export function Markdown({ source, class: cls }: { source: string | undefined; class?: string }): Child {
  if (!source || source.trim() === '') return null;
  return <div class={cls ?? 'docs'}>{markdownView(source)}</div>;
}
