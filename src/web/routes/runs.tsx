import { Hono, type Context } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import { EngineError } from '../../engine/errors.ts';
import { HomePage } from '../views/home.tsx';
import { LandingPage } from '../views/landing.tsx';
import { urls } from '../views/urls.ts';
import { chrome, isHx, noStore, RUN_CHANGED, statusOf } from './common.ts';
import { guarded, respondHistory, respondRun } from './respond.tsx';
import { runRows } from './run-rows.ts';

const RECENT = 20;

/** Home, a workflow's landing page, opening runs, the run page, finalize and unfinalize. */
export function runRoutes(engine: Engine): Hono {
  const app = new Hono();

  app.get('/', (c) => {
    noStore(c);
    return c.html(
      <HomePage chrome={chrome(c, engine)} workflows={engine.registry.list()} errors={engine.registry.errors} runs={runRows(engine, { limit: RECENT })} />,
    );
  });

  const landing = (c: Context, wfId: string, opts: { key?: string; error?: string; status?: 200 | 404 | 409 | 422 } = {}) => {
    const wf = engine.workflow(wfId);
    const ch = chrome(c, engine, wf.id);
    const keys = engine.store.runs.list({ workflow: wf.id, limit: 500 }).map((r) => r.key);
    const next = engine.nextKey(wf.id);
    noStore(c);
    return c.html(
      <LandingPage
        chrome={ch}
        v={{ wf, key: opts.key ?? next, suggested: next, keys, runs: runRows(engine, { workflow: wf.id, limit: RECENT }), csrf: ch.csrf, error: opts.error }}
      />,
      opts.status ?? 200,
    );
  };

  app.get('/wf/:wf', (c) => landing(c, c.req.param('wf')));
  app.get('/wf/:wf/runs', (c) => c.redirect(urls.workflow(c.req.param('wf')), 302));

  // Open (create or resume) a run. "New run", or an empty key, takes the next free number.
  app.post('/wf/:wf/runs', async (c) => {
    const wfId = c.req.param('wf');
    engine.workflow(wfId);
    const body = await c.req.parseBody();
    const typed = typeof body.key === 'string' ? body.key : '';
    let key = body.action === 'new' ? undefined : typed;
    // The suggested new key, taken meanwhile (by another tab): still a new run, not someone else's.
    if (key !== undefined && key.trim() === body.suggested && engine.store.runs.exists(key.trim())) key = undefined;
    try {
      const { state } = engine.open(wfId, { key });
      return c.redirect(urls.run(wfId, state.key), 303);
    } catch (e) {
      if (e instanceof EngineError && (e.code === 'bad_key' || e.code === 'workflow_mismatch')) {
        return landing(c, wfId, { key: typed, error: e.message, status: statusOf(e) });
      }
      throw e;
    }
  });

  app.get('/wf/:wf/runs/:key', (c) => {
    const { wf: wfId, key } = c.req.param();
    const state = engine.get(key);
    // A run opened under the wrong workflow's URL: send the person to where it lives.
    if (state.workflow !== wfId && engine.registry.get(state.workflow)) return c.redirect(urls.run(state.workflow, key), 302);
    return respondRun(c, engine, wfId, key);
  });

  app.get('/wf/:wf/runs/:key/history', (c) => respondHistory(c, engine, c.req.param('wf'), c.req.param('key')));

  for (const action of ['finalize', 'unfinalize'] as const) {
    app.post(`/wf/:wf/runs/:key/${action}`, (c) => {
      const { wf, key } = c.req.param();
      return guarded(c, engine, wf, key, () => {
        respondCheck(engine, wf, key);
        engine[action](key);
        if (!isHx(c)) return c.redirect(urls.run(wf, key), 303);
        c.header('HX-Trigger', RUN_CHANGED);
        return respondRun(c, engine, wf, key);
      });
    });
  }

  return app;
}

/** Actions on a run named under another workflow's URL are refused. */
function respondCheck(engine: Engine, wfId: string, key: string): void {
  const st = engine.get(key);
  if (st.workflow !== wfId) throw new EngineError('workflow_mismatch', `run "${key}" belongs to workflow "${st.workflow}", not "${wfId}"`);
}
