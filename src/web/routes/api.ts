import { Hono } from 'hono';
import type { Engine } from '../../engine/engine.ts';
import { stepJsonSchema } from '../../engine/step-input.ts';

/**
 * The JSON API for scripts, tests and tools: workflows, their steps' inputs as JSON Schema (from
 * the same zod schemas the forms use), and run states. Errors are `{ error, code }` (see app.tsx).
 */
export function apiRoutes(engine: Engine): Hono {
  const app = new Hono();

  app.get('/workflows', (c) =>
    c.json(engine.registry.list().map((w) => ({ id: w.id, title: w.title, description: w.description ?? '' }))),
  );

  app.get('/workflows/:id', (c) => {
    const w = engine.workflow(c.req.param('id'));
    return c.json({
      id: w.id,
      title: w.title,
      description: w.description ?? '',
      steps: w.steps.map((s) => ({ id: s.id, title: s.title, docs: s.docs ?? '', input: stepJsonSchema(s) })),
    });
  });

  app.get('/runs/:key', async (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json(await engine.get(c.req.param('key')));
  });

  return app;
}
