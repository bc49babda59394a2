import { Hono, type Context } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import { ProfileError } from '../../store/profiles.ts';
import { ProfilesPage } from '../views/profiles.tsx';
import { chrome, noStore, safeBack } from './common.ts';

/** Profiles: a page with plain forms to create, rename and switch (the header menu switches too). */
export function profileRoutes(engine: Engine): Hono {
  const app = new Hono();

  const page = async (c: Context, opts: { error?: string; message?: string; status?: 200 | 404 | 422 } = {}) => {
    noStore(c);
    return c.html(<ProfilesPage chrome={await chrome(c, engine)} error={opts.error} message={opts.message} />, opts.status ?? 200);
  };
  /** Profile rules broken (bad name, exists, unknown) come back on the page, at 422. */
  const attempt = async (c: Context, fn: () => Response | Promise<Response>) => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ProfileError) return page(c, { error: e.message, status: 422 });
      throw e;
    }
  };
  const field = (body: Record<string, unknown>, name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');

  app.get('/profiles', (c) => page(c));

  app.post('/profiles', (c) =>
    attempt(c, async () => {
      const body = await c.req.parseBody();
      const name = await engine.store.profiles.create(field(body, 'name'));
      await engine.store.profiles.switch(name);
      return c.redirect(safeBack(body.back, '/profiles'), 303);
    }),
  );

  app.post('/profiles/switch', (c) =>
    attempt(c, async () => {
      const body = await c.req.parseBody();
      await engine.store.profiles.switch(field(body, 'name'));
      return c.redirect(safeBack(body.back, '/'), 303);
    }),
  );

  app.post('/profiles/rename', (c) =>
    attempt(c, async () => {
      const body = await c.req.parseBody();
      await engine.store.profiles.rename(field(body, 'from'), field(body, 'to'));
      return c.redirect(safeBack(body.back, '/profiles'), 303);
    }),
  );

  return app;
}
