// Edge cases of the web app over real HTTP (real server on port 0, real SQLite in a temp folder or
// PostgreSQL): open redirects through form fields, pathological markdown, reverts that change nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/engine.ts';
import { startServer, type RunningServer } from '../../src/web/server.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { tempEngine, type TempEngine } from '../helpers/temp-engine.ts';
import { WebClient } from '../helpers/web-client.ts';

forEachBackend((backend) => describe(`web app edge cases (${backend})`, () => {
  let t: TempEngine;
  let engine: Engine;
  let server: RunningServer;
  let c: WebClient;

  before(async () => {
    t = await tempEngine({ backend });
    engine = t.engine;
    server = await startServer({ engine, port: 0 });
    c = new WebClient(`http://127.0.0.1:${server.port}`);
    await c.get('/');
  });
  after(async () => {
    await server?.close();
    await t?.close();
  });

  test('the "back" field of the profile forms cannot redirect to another site (tab/newline inside "//")', async () => {
    for (const back of ['/\t/evil.example/', '/\n/evil.example/', '/\r/evil.example/']) {
      const r = await c.post('/profiles/switch', { name: 'default', back });
      const loc = r.headers.get('location');
      if (r.status !== 303 || loc === null) continue; // refused: fine
      // What a browser does with the Location value (the WHATWG URL parser strips tab and newlines).
      const target = new URL(loc, c.base);
      assert.equal(target.origin, c.base, `redirected to ${target.href} (status ${r.status})`);
    }
  });

  test('a 100 kB markdown note of one pathological paragraph is shown as plain text, and the run page still renders', async () => {
    const open = await c.post('/wf/widgets/runs', { key: 'md-dos', action: 'create' });
    assert.equal(open.status, 303);
    await c.get('/wf/widgets/runs/md-dos');
    assert.equal((await c.post('/wf/widgets/runs/md-dos/steps/title', { title: 'x' }, { hx: true })).status, 200);
    const notes = '_a'.repeat(50_000); // exactly the textarea's limit
    const r = await c.post('/wf/widgets/runs/md-dos/steps/notes', { notes }, { hx: true });
    assert.equal(r.status, 200);
    assert.match(r.text, /<pre class="plain-text">_a_a/);
    const page = await c.get('/wf/widgets/runs/md-dos');
    assert.equal(page.status, 200);
    assert.match(page.text, /<pre class="plain-text">/);
  });

  test('reverting to a step that is not done yet changes nothing and logs no "reverted" event', async () => {
    const { state } = await engine.open('hello', { key: 'rev-noop' });
    await c.get(`/wf/hello/runs/${state.key}`);
    const r = await c.post(`/wf/hello/runs/${state.key}/steps/name/revert`, {}, { hx: true });
    const types = (await engine.store.events.forRun(state.key)).map((e) => e.type);
    assert.deepEqual(types, ['created'], `events: ${types.join(', ')} (status ${r.status})`);
  });
}));
