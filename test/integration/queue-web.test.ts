// "Run on a worker" in the web app (PostgreSQL): the run page's button queues the run's remaining
// steps, a real worker (graphile-worker on the same database) runs them, and the pages show where
// the run stands and which worker ran each step.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startWorker, workerName, type RunningWorker } from '../../src/queue/worker.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { tempEngine, type TempEngine } from '../helpers/temp-engine.ts';
import { WebClient } from '../helpers/web-client.ts';

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('run on a worker, from the web app (postgres)', () => {
  let app: TestApp;
  let c: WebClient;
  let w: TempEngine | undefined;
  let worker: RunningWorker | undefined;

  before(async () => {
    app = await startTestApp({ backend: 'postgres' });
    c = new WebClient(app.base);
    await c.get('/');
  });

  after(async () => {
    await worker?.stop();
    await w?.close();
    await app?.stop();
  });

  test('the button queues the rest of the run; a worker runs it; the run bar, the runs list and the history say so', async () => {
    const key = (await app.engine.open('hello')).state.key;
    await (await app.engine.submit(key, 'name', { name: 'Ada' })).completion;
    const page = await c.get(`/wf/hello/runs/${key}`);
    assert.match(page.text, /Run on a worker/);

    const queued = await c.post(`/wf/hello/runs/${key}/queue`, {}, { hx: true });
    assert.equal(queued.status, 200);
    assert.match(queued.text, /Queued on &quot;default&quot;|Queued on "default"/);
    assert.equal((await app.engine.store.queue.get(key))?.status, 'queued');
    // Queued once: the button is gone while it waits, and a second post is refused.
    const bar = await c.get(`/wf/hello/runs/${key}/bar`);
    assert.doesNotMatch(bar.text, /Run on a worker/);
    assert.match(bar.text, /Queued on “default”/);
    const again = await c.post(`/wf/hello/runs/${key}/queue`, {}, { hx: true });
    assert.equal(again.status, 409);
    assert.match(again.text, /already queued/);

    // A worker with its own engine (another process, as far as the store can tell).
    const name = workerName();
    w = await tempEngine({ databaseUrl: app.engine.store.databaseUrl, engine: { worker: name, leaseMs: 3000 } });
    worker = await startWorker({ engine: w.engine, url: app.engine.store.databaseUrl!, concurrency: 1, queues: ['default'], leaseMs: 3000, graceMs: 5000 });
    await until('the run to be done', async () => ((await app.engine.store.queue.get(key))?.status === 'done' ? true : undefined));

    const state = await app.engine.get(key);
    assert.equal(state.steps.greeting?.status, 'done');
    assert.equal((state.steps.greeting?.output as { greeting: string }).greeting, 'Hello, Ada!');
    const done = await c.get(`/wf/hello/runs/${key}/bar`);
    assert.match(done.text, new RegExp(`Ran on worker ${name}`));
    const history = await c.get(`/wf/hello/runs/${key}/history`);
    assert.match(history.text, new RegExp(`on ${name}`), 'the history names the worker that ran the step');

    // A run waiting on the queue shows so in the runs list.
    const second = (await app.engine.open('hello')).state.key;
    await (await app.engine.submit(second, 'name', { name: 'Bob' })).completion;
    await worker.stop();
    worker = undefined;
    await c.post(`/wf/hello/runs/${second}/queue`, {}, { hx: true });
    const list = await c.get('/wf/hello');
    assert.match(list.text, /queued \(1 of 2 steps done\)/);
  });
});
