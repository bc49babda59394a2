import type { Engine } from '../engine/engine.ts';
import { summarizeRun } from '../engine/run-summary.ts';

/** How a scheduled run stands, in a word or two: queued, running, done, failed (for a flag in lists). */
export async function scheduledRunStatus(engine: Engine, key: string): Promise<string> {
  const q = await engine.store.queue.get(key);
  if (q && q.status !== 'done') return q.status === 'failed' ? `failed: ${q.error ?? ''}` : q.status;
  let st;
  try {
    st = await engine.get(key);
  } catch {
    return 'deleted';
  }
  const { done, total, attention } = summarizeRun(st, engine.registry.get(st.workflow));
  if (attention) return attention.status === 'running' ? 'running' : `failed: step ${attention.step} ${attention.status}`;
  return done === total ? 'done' : `${done}/${total} done`;
}
