import type { AnyStep } from '../../engine/workflow.ts';
import type { RunEvent } from '../../store/event-log.ts';

/** How a step's work ended. */
const ENDINGS = new Set(['completed', 'failed', 'cancelled', 'interrupted']);

/**
 * One line of the history pane: a single event, or a step's work from its start (the submit)
 * to its end (finished, failed, stopped, interrupted) — one entry, not two, so the pane reads
 * "3. Crawl · finished · took 4 min" instead of a "Started" line far from its "Finished" line.
 * `ended` is missing while the step is still running (or when its end fell outside the page).
 */
export type HistoryEntry =
  | { kind: 'event'; event: RunEvent }
  | { kind: 'work'; step: string; started: RunEvent; ended?: RunEvent | undefined };

/** Pairs each start of a step's work with its end. `events` and the result are newest first. */
export function historyEntries(events: readonly RunEvent[], stepOf: (id: string) => AnyStep | undefined): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  const open = new Map<string, Extract<HistoryEntry, { kind: 'work' }>>();
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    const step = e.step ? stepOf(e.step) : undefined;
    if (e.type === 'submitted' && e.step && step?.run) {
      const entry = { kind: 'work' as const, step: e.step, started: e };
      open.set(e.step, entry);
      entries.push(entry);
      continue;
    }
    const pending = e.step ? open.get(e.step) : undefined;
    if (pending && ENDINGS.has(e.type)) {
      pending.ended = e;
      open.delete(e.step!);
      continue;
    }
    entries.push({ kind: 'event', event: e });
  }
  return entries.reverse();
}
