import { Hono, type Context } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import { EngineError } from '../../engine/errors.ts';
import { HomePage } from '../views/home.tsx';
import { LandingPage } from '../views/landing.tsx';
import { urls } from '../views/urls.ts';
import { looksAutomatic } from '../../engine/automatic-key.ts';
import { validateRunKey } from '../../engine/run-key.ts';
import { readNotice } from './list-notice.ts';
import { runAdminRoutes } from './run-admin.tsx';
import { chrome, isHx, noStore, RUN_CHANGED, statusOf } from './common.ts';
import { guarded, respondHistory, respondRun } from './respond.tsx';
import { runRows } from './run-rows.ts';
import { scheduleFailures } from './schedules.tsx';

const RECENT = 20;

/** Home, a workflow's landing page, opening runs, the run page, finalize and unfinalize. */
export function runRoutes(engine: Engine): Hono {
  const app = new Hono();

  app.get('/', async (c) => {
    noStore(c);
    const [ch, runs, archivedCount, notice, failures] = await Promise.all([
      chrome(c, engine), runRows(engine, { limit: RECENT }), engine.countRuns({ archived: 'only' }), readNotice(c, engine), scheduleFailures(engine),
    ]);
    return c.html(
      <HomePage
        chrome={ch}
        workflows={engine.registry.list()}
        errors={engine.registry.errors}
        runs={runs}
        archivedCount={archivedCount}
        notice={notice}
        scheduleFailures={failures}
      />,
    );
  });

  const landing = async (c: Context, wfId: string, opts: { key?: string; error?: string; create?: string; status?: 200 | 404 | 409 | 422 } = {}) => {
    const wf = engine.workflow(wfId);
    const showArchived = c.req.method === 'GET' && c.req.query('show') === 'archived';
    const [ch, listed, next, runs, archivedCount, notice] = await Promise.all([
      chrome(c, engine, wf.id),
      engine.listRuns({ workflow: wf.id, limit: 500 }),
      engine.nextKey(wf.id),
      runRows(engine, { workflow: wf.id, limit: showArchived ? 500 : RECENT, archived: showArchived ? 'only' : 'hide' }),
      engine.countRuns({ workflow: wf.id, archived: 'only' }),
      c.req.method === 'GET' ? readNotice(c, engine, wf.id) : undefined,
    ]);
    const keys = listed.map((r) => r.key);
    noStore(c);
    return c.html(
      <LandingPage
        chrome={ch}
        v={{
          wf,
          key: opts.key ?? '',
          suggested: next,
          keys,
          runs,
          showArchived,
          archivedCount,
          csrf: ch.csrf,
          error: opts.error,
          create: opts.create,
          notice,
        }}
      />,
      opts.status ?? 200,
    );
  };

  app.get('/wf/:wf', async (c) => {
    const wfId = c.req.param('wf');
    const asked = c.req.query('create');
    if (asked === undefined) return landing(c, wfId);
    // "Create <key>?": only for a valid key that names no run yet and is not an automatic one.
    const refusal = await typedKeyRefusal(engine, wfId, asked);
    if (refusal) return landing(c, wfId, { key: asked, error: refusal.message, status: refusal.status });
    const key = asked.trim();
    if (await engine.store.runs.exists(key)) return c.redirect(urls.run(wfId, key), 302);
    return landing(c, wfId, { key, create: key });
  });
  app.get('/wf/:wf/runs', (c) => c.redirect(urls.workflow(c.req.param('wf')), 302));

  // "+ New run" takes the next free number. "Open" resumes the run whose key is typed; a key with
  // no run yet is asked about first ("Create it?"), and "create" (the answer) makes it.
  app.post('/wf/:wf/runs', async (c) => {
    const wfId = c.req.param('wf');
    engine.workflow(wfId);
    const body = await c.req.parseBody();
    const typed = typeof body.key === 'string' ? body.key : '';
    const key = typed.trim();
    const action = body.action === 'new' || body.action === 'create' ? body.action : 'open';
    const openRun = async (k: string | undefined) => {
      const { state } = await engine.open(wfId, { key: k });
      return c.redirect(urls.run(wfId, state.key), 303);
    };
    try {
      if (action === 'new') return await openRun(undefined);
      if (key === '') {
        return landing(c, wfId, { key: typed, error: 'type the key of a run to open it, or press "+ New run" to start the next one', status: 422 });
      }
      // The suggested new key, typed as offered: a new run — also if another tab took that number meanwhile.
      if (key === body.suggested) return await openRun(undefined);
      if (await engine.store.runs.exists(key)) return await openRun(key);
      const refusal = await typedKeyRefusal(engine, wfId, typed);
      if (refusal) return await landing(c, wfId, { key: typed, error: refusal.message, status: refusal.status });
      if (action === 'create') return await openRun(key);
      return c.redirect(`${urls.workflow(wfId)}?create=${encodeURIComponent(key)}`, 303);
    } catch (e) {
      if (e instanceof EngineError && (e.code === 'bad_key' || e.code === 'workflow_mismatch')) {
        return landing(c, wfId, { key: typed, error: e.message, status: statusOf(e) });
      }
      throw e;
    }
  });

  app.get('/wf/:wf/runs/:key', async (c) => {
    const { wf: wfId, key } = c.req.param();
    const state = await engine.get(key);
    // A run opened under the wrong workflow's URL: send the person to where it lives.
    if (state.workflow !== wfId && engine.registry.get(state.workflow)) return c.redirect(urls.run(state.workflow, key), 302);
    return respondRun(c, engine, wfId, key);
  });

  app.get('/wf/:wf/runs/:key/history', (c) => respondHistory(c, engine, c.req.param('wf'), c.req.param('key')));

  for (const action of ['finalize', 'unfinalize'] as const) {
    app.post(`/wf/:wf/runs/:key/${action}`, (c) => {
      const { wf, key } = c.req.param();
      return guarded(c, engine, wf, key, async () => {
        await respondCheck(engine, wf, key);
        await engine[action](key);
        if (!isHx(c)) return c.redirect(urls.run(wf, key), 303);
        c.header('HX-Trigger', RUN_CHANGED);
        return respondRun(c, engine, wf, key);
      });
    });
  }

  app.route('/', runAdminRoutes(engine));
  return app;
}

/** Why a typed key may not become a new run of this workflow (bad characters, or an automatic-looking key), if so. */
async function typedKeyRefusal(engine: Engine, wfId: string, typed: string): Promise<{ message: string; status: 422 } | undefined> {
  let key: string;
  try {
    key = validateRunKey(typed);
  } catch (e) {
    if (e instanceof EngineError) return { message: e.message, status: 422 };
    throw e;
  }
  if ((await engine.store.runs.exists(key)) || !looksAutomatic(key, wfId)) return undefined;
  return {
    message: `there is no run "${key}", and keys of the form <profile>-${wfId}-<number> are given out only by "+ New run" (the next one is ${await engine.nextKey(wfId)}). Press "+ New run", or choose a key that does not end in "-${wfId}-<number>"`,
    status: 422,
  };
}

/** Actions on a run named under another workflow's URL are refused. */
async function respondCheck(engine: Engine, wfId: string, key: string): Promise<void> {
  const st = await engine.get(key);
  if (st.workflow !== wfId) throw new EngineError('workflow_mismatch', `run "${key}" belongs to workflow "${st.workflow}", not "${wfId}"`);
}
