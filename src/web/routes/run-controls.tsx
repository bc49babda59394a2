import { Hono } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import { loadRun, settleWithin } from './common.ts';
import { guarded, respondRun } from './respond.tsx';
import { QUICK_STEP_MS } from './steps.tsx';

/**
 * The run bar's controls for a whole run: "Run all remaining steps" (in the background, like any
 * step: the page follows each step's own stream) and restarting a run's resource ("Restart
 * kernel"). Both answer with the run as it is now, with htmx or without JavaScript.
 */
export function runControlRoutes(engine: Engine): Hono {
  const app = new Hono();

  app.post('/wf/:wf/runs/:key/run-all', (c) => {
    const { wf: wfId, key } = c.req.param();
    return guarded(c, engine, wfId, key, async () => {
      await loadRun(engine, wfId, key);
      const { completion } = await engine.runAll(key);
      // Quick steps come back done in this answer; the rest show as running and update themselves.
      const result = await settleWithin(completion.catch(() => undefined), QUICK_STEP_MS);
      const stopped = result?.stopped;
      const notice = stopped?.reason === 'needs_input' ? `Ran every step it could; step "${stopped.step}" asks for input.` : undefined;
      return respondRun(c, engine, wfId, key, { notice });
    });
  });

  // "Run on a worker": the run as a job file (its done steps' inputs; the rest take their defaults),
  // queued for `railbook worker`. A step that needs input nobody gave is said, not queued.
  app.post('/wf/:wf/runs/:key/queue', (c) => {
    const { wf: wfId, key } = c.req.param();
    return guarded(c, engine, wfId, key, async () => {
      await loadRun(engine, wfId, key);
      const url = engine.store.databaseUrl;
      if (!url) return respondRun(c, engine, wfId, key, { status: 409, notice: 'Running on a worker needs PostgreSQL (railbook serve --database postgres://…), which the workers share.' });
      const [{ exportJob }, { enqueueJob }, { DEFAULT_QUEUE }, { JobFileError }] = await Promise.all([
        import('../../engine/job-file.ts'), import('../../queue/enqueue.ts'), import('../../queue/job-queue.ts'), import('../../engine/job-file-error.ts'),
      ]);
      try {
        await enqueueJob(engine, await exportJob(engine, key), { key, queue: DEFAULT_QUEUE, url, baseDir: engine.store.dataDir });
      } catch (e) {
        if (!(e instanceof JobFileError)) throw e;
        return respondRun(c, engine, wfId, key, { status: 422, notice: `Cannot run this on a worker yet: ${e.message.replace(/\n/g, '; ')}. Fill in that step here first.` });
      }
      return respondRun(c, engine, wfId, key, { notice: `Queued on "${DEFAULT_QUEUE}": a worker (railbook worker) runs the remaining steps; this page follows it.` });
    });
  });

  app.post('/wf/:wf/runs/:key/resources/:name/restart', (c) => {
    const { wf: wfId, key, name } = c.req.param();
    return guarded(c, engine, wfId, key, async () => {
      await loadRun(engine, wfId, key);
      await engine.restartResource(key, name);
      return respondRun(c, engine, wfId, key, { notice: `Restarted the ${name}: the next step first replays the steps done so far.` });
    });
  });

  return app;
}
