import type { Engine } from '../engine/engine.ts';
import { now } from '../engine/clock.ts';
import type { JobQueue } from './job-queue.ts';
import { retryAt } from './run-attempt.ts';

/**
 * Finds workers that stopped beating (killed, crashed, cut off) and gives their runs another
 * chance: each such worker is buried by exactly one sweeper (an UPDATE only one can win), its
 * runs' running steps become interrupted once their leases run out (the engine's own check), and
 * each run is queued again after its backoff — or failed, when it has no attempts left. Every
 * live worker sweeps, so it does not matter which one survives.
 */
export async function sweepDeadWorkers(engine: Engine, queue: JobQueue, leaseMs: number): Promise<string[]> {
  const store = engine.store;
  const requeued: string[] = [];
  for (const w of await store.workers.dead(leaseMs)) {
    if (!(await store.workers.buried(w.id, now()))) continue;
    for (const q of await store.queue.runningBy([w.id])) {
      // Marks the dead worker's running step interrupted (in the history, with its worker).
      await engine.get(q.key).catch(() => undefined);
      const why = `worker ${w.name} stopped responding during attempt ${q.attempts}`;
      const again = q.attempts < q.maxAttempts;
      if (!(await store.queue.settle(q.key, w.id, again ? 'queued' : 'failed', now(), why))) continue;
      if (q.jobId) {
        const [jobId, lockedBy] = q.jobId.split('|');
        if (jobId && lockedBy) await queue.dropDeadWorkersJob(lockedBy, jobId).catch(() => {});
      }
      if (again) {
        await queue.enqueue(q.key, q.queue, retryAt(q));
        requeued.push(q.key);
      }
      engine.bus.emit('change', q.key);
    }
  }
  return requeued;
}
