// The words a revert's question and its undo offer use, shared by the web page and the CLI.
import type { ClearedStep, RevertPreview } from './revert.ts';
import { formatSpan } from './duration.ts';


/** "3. Crawl (took 1 h 02 min)": one step that loses its output, and what that output cost. */
export function clearedLabel(c: ClearedStep): string {
  const name = c.number > 0 ? `${c.number}. ${c.title}` : c.title;
  const cost =
    c.kind === 'running' ? (c.ms !== null ? `running for ${formatSpan(c.ms)}; it will be stopped` : 'running; it will be stopped')
    : c.kind === 'work' ? (c.ms !== null ? `took ${formatSpan(c.ms)}` : 'its output')
    : 'what you entered';
  return `${name} (${cost})`;
}

export const steps = (n: number) => `${n} step${n === 1 ? '' : 's'}`;

/** The sentence the confirmation and the CLI say: what a revert clears and how long it took to make. */
export function clearsSentence(p: RevertPreview): string {
  const list = p.cleared.map(clearedLabel).join(', ');
  const worked = p.cleared.filter((c) => c.ms !== null).length;
  const total = worked > 1 ? ` Together they took ${formatSpan(p.totalMs)} to make.` : '';
  return `This clears ${steps(p.cleared.length)}: ${list}.${total}`;
}
