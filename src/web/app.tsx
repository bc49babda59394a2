import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Engine } from '../engine/engine.ts';
import { EngineError } from '../engine/errors.ts';
import { filesRoute } from './files.ts';
import { apiRoutes } from './routes/api.ts';
import { assetsRoute } from './routes/assets.ts';
import { chrome, isHx, noStore, statusOf } from './routes/common.ts';
import { profileRoutes } from './routes/profiles.tsx';
import { runBarRoutes } from './routes/run-bar.tsx';
import { runControlRoutes } from './routes/run-controls.tsx';
import { runRoutes } from './routes/runs.tsx';
import { scheduleRoutes } from './routes/schedules.tsx';
import { stepRoutes } from './routes/steps.tsx';
import { requestSizeLimit } from './body-limit.ts';
import { security } from './security/index.ts';
import { sentence } from './views/format.ts';
import { MessagePage } from './views/message-page.tsx';

export interface AppOptions {
  /** Access token required on every request (set when bound to a non-loopback address). */
  accessToken?: string | undefined;
}

/** The whole web app as one Hono instance; `server.ts` binds it to a socket. */
export async function createApp(engine: Engine, opts: AppOptions = {}): Promise<Hono> {
  const app = new Hono();
  const csrfSecret = await engine.store.settings.getOrInit('csrf_secret', () => randomBytes(32).toString('hex'));
  // First: nothing below may read a body larger than any form needs.
  app.use('*', requestSizeLimit(engine.registry, engine.maxUploadBytes));
  app.use('*', security({ accessToken: opts.accessToken, csrfSecret }));

  app.route('/assets', assetsRoute());
  app.route('/files', filesRoute(engine.store.dataDir, engine.store.artifacts.remote ? (p) => engine.store.artifacts.ensureLocal(p) : undefined));
  app.route('/api', apiRoutes(engine));
  app.route('/', profileRoutes(engine));
  app.route('/', scheduleRoutes(engine));
  app.route('/', stepRoutes(engine));
  app.route('/', runBarRoutes(engine));
  app.route('/', runControlRoutes(engine));
  app.route('/', runRoutes(engine));

  app.notFound((c) => problem(c, engine, 404, 'Not found', `There is no page at ${c.req.path}`, 'not_found'));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof EngineError) {
      const status = statusOf(err);
      return problem(c, engine, status, status === 404 ? 'Not found' : 'That did not work', err.message, err.code);
    }
    // A bug, not something the person can act on: details go to the terminal, not the browser.
    console.error(`railbook: error on ${c.req.method} ${c.req.path}:`, err);
    return problem(c, engine, 500, 'Something went wrong', 'Railbook hit an unexpected error. The details are in the terminal where it runs; your data is safe.', 'internal');
  });
  return app;
}

/** An error as JSON for the API, as text for htmx (shown in a banner), else as a page. */
async function problem(c: Context, engine: Engine, status: 404 | 409 | 422 | 500, title: string, message: string, code: string): Promise<Response> {
  noStore(c);
  if (c.req.path.startsWith('/api/')) return c.json({ error: message, code }, status);
  if (isHx(c)) return c.text(message, status);
  try {
    // A page under a workflow that exists offers the way back to it, not only to the home page.
    const wfId = /^\/wf\/([^/]+)/.exec(c.req.path)?.[1];
    const wf = wfId ? engine.registry.get(decodeURIComponent(wfId)) : undefined;
    const page = <MessagePage chrome={await chrome(c, engine, wf?.id)} title={title} message={sentence(message)} workflow={wf ? { id: wf.id, title: wf.title } : undefined} />;
    // `await`: c.html's promise rejects later if the page fails while rendering; catch it here.
    return await c.html(page, status);
  } catch {
    return c.text(`${title}: ${message}`, status);
  }
}
