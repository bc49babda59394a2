import { Hono, type Context } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import { EngineError } from '../../engine/errors.ts';
import { csrfToken } from '../security/index.ts';
import { ConfirmArchivePage, ConfirmDeletePage } from '../views/confirm-run-action.tsx';
import { urls } from '../views/urls.ts';
import { chrome, noStore, safeBack } from './common.ts';
import { withNotice } from './list-notice.ts';

/**
 * Archive, unarchive and delete a run. Each has a GET confirmation page with a plain POST form
 * (works without JavaScript); the runs tables post archive/unarchive directly. These work for
 * runs whose workflow file is no longer loaded too: tidying up must not need the code.
 */
export function runAdminRoutes(engine: Engine): Hono {
  const app = new Hono();

  /** The run in the URL, checked to be this workflow's; the page's frame and its way back. */
  const target = async (c: Context, back: unknown) => {
    const { wf: wfId, key } = c.req.param() as { wf: string; key: string };
    const state = await engine.get(key);
    if (state.workflow !== wfId) throw new EngineError('workflow_mismatch', `run "${key}" belongs to workflow "${state.workflow}", not "${wfId}"`);
    const runUrl = urls.run(wfId, key);
    return {
      state,
      runUrl,
      t: { wfId, wfTitle: engine.registry.get(wfId)?.title ?? wfId, key, csrf: csrfToken(c), back: safeBack(back, runUrl) },
    };
  };

  for (const archive of [true, false]) {
    const path = archive ? '/wf/:wf/runs/:key/archive' : '/wf/:wf/runs/:key/unarchive';

    app.get(path, async (c) => {
      const { t } = await target(c, c.req.query('back'));
      noStore(c);
      return c.html(<ConfirmArchivePage chrome={await chrome(c, engine, t.wfId)} t={t} archive={archive} />);
    });

    app.post(path, async (c) => {
      const body = await c.req.parseBody();
      const { t, runUrl } = await target(c, body.back);
      if (archive) await engine.archive(t.key);
      else await engine.unarchive(t.key);
      // Back on the run's own page, the page itself says it; a list page gets a notice (with Undo).
      const onRunPage = t.back.split('?')[0] === runUrl;
      return c.redirect(onRunPage ? t.back : withNotice(t.back, archive ? 'archived' : 'unarchived', t.key), 303);
    });
  }

  app.get('/wf/:wf/runs/:key/delete', async (c) => {
    const { t } = await target(c, c.req.query('back'));
    const inv = await engine.deletionSummary(t.key);
    noStore(c);
    return c.html(<ConfirmDeletePage chrome={await chrome(c, engine, t.wfId)} t={t} inv={inv} />);
  });

  app.post('/wf/:wf/runs/:key/delete', async (c) => {
    const body = await c.req.parseBody();
    const { t } = await target(c, body.back);
    // Only the confirmation page's own form deletes: anything else is shown that page first.
    if (body.confirm !== t.key) return c.redirect(urls.deleteRun(t.wfId, t.key), 303);
    try {
      await engine.deleteRun(t.key);
    } catch (e) {
      if (e instanceof EngineError && e.code === 'running') {
        const inv = await engine.deletionSummary(t.key);
        noStore(c);
        return c.html(<ConfirmDeletePage chrome={await chrome(c, engine, t.wfId)} t={t} inv={inv} error={e.message} />, 409);
      }
      throw e;
    }
    const landing = engine.registry.get(t.wfId) ? urls.workflow(t.wfId) : urls.home();
    return c.redirect(withNotice(landing, 'deleted', t.key), 303);
  });

  return app;
}
