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
      loadRun(engine, wfId, key);
      const all = engine.runAll(key);
      // Quick steps come back done in this answer; the rest show as running and update themselves.
      const result = await settleWithin(all.catch(() => undefined), QUICK_STEP_MS);
      const stopped = result?.stopped;
      const notice = stopped?.reason === 'needs_input' ? `Ran every step it could; step "${stopped.step}" asks for input.` : undefined;
      return respondRun(c, engine, wfId, key, { notice });
    });
  });

  app.post('/wf/:wf/runs/:key/resources/:name/restart', (c) => {
    const { wf: wfId, key, name } = c.req.param();
    return guarded(c, engine, wfId, key, async () => {
      loadRun(engine, wfId, key);
      await engine.restartResource(key, name);
      return respondRun(c, engine, wfId, key, { notice: `Restarted the ${name}: the next step first replays the steps done so far.` });
    });
  });

  return app;
}
