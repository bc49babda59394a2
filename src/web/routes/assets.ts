import { Hono } from 'hono';
import { assets } from '../assets.ts';

/** `GET /assets/<name>`: the app's own scripts and styles, cacheable for a year (URLs carry a hash). */
export function assetsRoute(): Hono {
  const app = new Hono();
  app.get('/:name', (c) => {
    const a = assets().get(c.req.param('name'));
    if (!a) return c.text('no such asset', 404);
    const etag = `"${a.hash}"`;
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, { ETag: etag });
    return c.body(a.body as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': a.type,
      'Cache-Control': 'public, max-age=31536000, immutable',
      ETag: etag,
    });
  });
  return app;
}
