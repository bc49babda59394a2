import { Hono } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import { RunBar } from '../views/run-bar.tsx';
import { csrfToken } from '../security/index.ts';
import { loadRun, noStore } from './common.ts';
import { runLive } from './run-model.ts';

/** The run page's sticky header alone: it reloads itself whenever the run changes. */
export function runBarRoutes(engine: Engine): Hono {
  const app = new Hono();
  app.get('/wf/:wf/runs/:key/bar', async (c) => {
    const { wf, state } = await loadRun(engine, c.req.param('wf'), c.req.param('key'));
    noStore(c);
    return c.html(<RunBar wf={wf} state={state} csrf={csrfToken(c)} live={await runLive(engine, state.key)} />);
  });
  return app;
}
