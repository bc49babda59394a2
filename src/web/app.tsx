import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import type { Engine } from '../engine/engine.ts';
import { security } from './security/index.ts';

export interface AppOptions {
  /** Access token required on every request (set when bound to a non-loopback address). */
  accessToken?: string | undefined;
}

/** The whole web app as one Hono instance; `server.ts` binds it to a socket. */
export function createApp(engine: Engine, opts: AppOptions = {}): Hono {
  const app = new Hono();
  const csrfSecret = engine.store.settings.getOrInit('csrf_secret', () => randomBytes(32).toString('hex'));
  app.use('*', security({ accessToken: opts.accessToken, csrfSecret }));
  // SKELETON: routes are being added.
  return app;
}
