// The web app over real HTTP: a real server on an ephemeral loopback port, a real database (a
// SQLite file in a temp folder, or PostgreSQL), requests made the way a browser makes them (Host,
// Origin, the page's CSRF token).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/engine.ts';
import { startServer, type RunningServer } from '../../src/web/server.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { cliData, type CliData } from '../helpers/railbook-cli.ts';
import { tempDir, tempEngine } from '../helpers/temp-engine.ts';
import { WebClient } from '../helpers/web-client.ts';

interface App {
  engine: Engine;
  server: RunningServer;
  base: string;
  stop(): Promise<void>;
}

/** A server on a store (a data folder, and a database on PostgreSQL); stopping it leaves the store for the next one. */
async function boot(data: CliData): Promise<App> {
  const t = await tempEngine({ dataDir: data.dir, databaseUrl: data.databaseUrl });
  const server = await startServer({ engine: t.engine, port: 0 });
  return {
    engine: t.engine,
    server,
    base: `http://127.0.0.1:${server.port}`,
    stop: async () => {
      await server.close();
      await t.close();
    },
  };
}

/** Reads a text/event-stream until `until` says stop; returns the events seen. */
async function readEvents(url: string, until: (e: { event: string; data: string }[]) => boolean, timeoutMs = 10_000) {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const events: { event: string; data: string }[] = [];
  try {
    const r = await fetch(url, { signal: ac.signal, headers: { Accept: 'text/event-stream' } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = r.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    while (!until(events)) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = { event: 'message', data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) ev.event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length || ev.event !== 'message') events.push({ ...ev, data: data.join('\n') });
      }
    }
    ac.abort(); // the client goes away
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
  }
  return events;
}

async function waitFor<T>(fn: () => T | undefined | Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

forEachBackend((backend) => describe(`web app: hello over HTTP (${backend})`, () => {
  let data: CliData;
  let app: App;
  let c: WebClient;

  before(async () => {
    data = await cliData(backend, 'railbook-web-');
    app = await boot(data);
    c = new WebClient(app.base);
  });
  after(async () => {
    await app?.stop();
    await data?.cleanup();
  });

  test('home lists workflows; assets are served locally with long cache', async () => {
    const home = await c.get('/');
    assert.equal(home.status, 200);
    assert.match(home.text, /<a href="\/wf\/hello">Hello<\/a>/);
    assert.ok(c.csrf.length > 10, 'the page carries a CSRF token');
    assert.match(home.text, /name="htmx-config"/);
    for (const m of home.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
      const r = await fetch(app.base + m[1]!.replace(/&amp;/g, '&'));
      assert.equal(r.status, 200, m[1]);
      assert.match(r.headers.get('cache-control') ?? '', /max-age=31536000/);
      assert.match(r.headers.get('content-type') ?? '', /^(text\/javascript|text\/css|image\/svg\+xml)/);
      await r.arrayBuffer();
    }
  });

  test('a whole hello run: open, name, suggested greeting, finalize, locked, unfinalize', async () => {
    const landing = await c.get('/wf/hello');
    assert.equal(landing.status, 200);
    assert.match(landing.text, /<code id="next-key">default-hello-01<\/code>/, '"+ New run" names the key it will take');

    const open = await c.post('/wf/hello/runs', { key: '', action: 'new' });
    assert.equal(open.status, 303);
    assert.equal(open.headers.get('location'), '/wf/hello/runs/default-hello-01');

    const page = await c.get('/wf/hello/runs/default-hello-01');
    assert.equal(page.status, 200);
    assert.match(page.text, /<article id="step-name"/);
    assert.match(page.text, /<label for="f-name-name">Your name<\/label>/);
    assert.doesNotMatch(page.text, /id="step-greeting"/, 'later steps are not shown yet');

    // Submitting with htmx: the step's card comes back done, and the next card beside it.
    const r1 = await c.post('/wf/hello/runs/default-hello-01/steps/name', { name: 'Ada' }, { hx: true });
    assert.equal(r1.status, 200);
    assert.match(r1.headers.get('hx-trigger') ?? '', /run-changed/);
    assert.match(r1.text, /^<article id="step-name"[^>]*data-status="done"/);
    assert.match(r1.text, /Your name is <strong>Ada<\/strong>/);
    assert.match(r1.text, /<article id="step-greeting"/);
    assert.match(r1.text, /value="Hello, Ada!"/, 'the greeting is suggested from the name');
    assert.equal((r1.text.match(/id="step-name"/g) ?? []).length, 1);

    // Without JavaScript: a plain form post answers with a redirect back to the run.
    const r2 = await c.post('/wf/hello/runs/default-hello-01/steps/greeting', { greeting: 'Hello, Ada!' });
    assert.equal(r2.status, 303);
    assert.equal(r2.headers.get('location'), '/wf/hello/runs/default-hello-01#run-finish');
    const done = await c.get('/wf/hello/runs/default-hello-01');
    assert.match(done.text, /<h2>Hello, Ada!<\/h2>/);
    assert.match(done.text, />Finalize<\/button>/);

    const fin = await c.post('/wf/hello/runs/default-hello-01/finalize', {}, { hx: true });
    assert.equal(fin.status, 200);
    assert.match(fin.text, /^<div id="steps"/);
    assert.match(fin.text, />Unfinalize<\/button>/);
    assert.doesNotMatch(fin.text, /Revert/);
    assert.doesNotMatch(fin.text, /class="step-form"/);

    const locked = await c.post('/wf/hello/runs/default-hello-01/steps/greeting', { greeting: 'Hi' });
    assert.equal(locked.status, 409);
    assert.match(locked.text, /finalized/);
    const lockedHx = await c.post('/wf/hello/runs/default-hello-01/steps/name/revert', {}, { hx: true });
    assert.equal(lockedHx.status, 409);
    assert.equal(lockedHx.headers.get('hx-retarget'), '#steps');
    assert.match(lockedHx.text, /class="notice"[^>]*>[^<]*finalized/);

    const unfin = await c.post('/wf/hello/runs/default-hello-01/unfinalize');
    assert.equal(unfin.status, 303);
    const open2 = await c.get('/wf/hello/runs/default-hello-01');
    assert.match(open2.text, />Finalize<\/button>/);
    assert.match(open2.text, /Revert/);

    const events = (await app.engine.store.events.forRun('default-hello-01')).map((e) => e.type);
    assert.deepEqual(events.slice(0, 3), ['unfinalized', 'finalized', 'completed']);
    const history = await c.get('/wf/hello/runs/default-hello-01/history', { 'HX-Request': 'true' });
    assert.match(history.text, /^<section id="history"/);
    assert.ok(history.text.indexOf('Unfinalized') < history.text.indexOf('Run created'), 'newest first');
  });

  test('validation errors come back next to the field with the entered value kept', async () => {
    await c.post('/wf/hello/runs', { key: 'val-test', action: 'create' });
    const long = 'x'.repeat(81);
    const hx = await c.post('/wf/hello/runs/val-test/steps/name', { name: long }, { hx: true });
    assert.equal(hx.status, 422);
    assert.match(hx.text, /^<article id="step-name"/);
    assert.match(hx.text, new RegExp(`value="${long}"`));
    assert.match(hx.text, /<small id="f-name-name-error" class="field-error">Enter at most 80 characters/);
    assert.match(hx.text, /aria-invalid="true"/);

    const plain = await c.post('/wf/hello/runs/val-test/steps/name', { name: '' });
    assert.equal(plain.status, 422);
    assert.match(plain.text, /<!doctype html>/i, 'without JavaScript the whole page comes back');
    assert.match(plain.text, /id="f-name-name-error"/);

    const state = await app.engine.get('val-test');
    assert.equal(state.steps.name!.status, 'pending', 'nothing was recorded');
  });

  test('a bad run key shows the landing page again with a message', async () => {
    const bad = await c.post('/wf/hello/runs', { key: 'no spaces!', action: 'open' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /id="run-key-error"[^>]*>Run key &quot;no spaces!&quot; may use only/);
    assert.match(bad.text, /value="no spaces!"/);
    const other = await c.post('/wf/slow/runs', { key: 'default-hello-01', action: 'open' });
    assert.equal(other.status, 409);
    assert.match(other.text, /belongs to workflow/);
  });

  test('JSON API: workflows, a workflow with JSON Schema inputs, a run; errors as JSON', async () => {
    const list = await c.json('/api/workflows');
    assert.equal(list.status, 200);
    assert.ok(list.body.some((w: any) => w.id === 'hello' && w.title === 'Hello' && typeof w.description === 'string'));

    const wf = await c.json('/api/workflows/hello');
    assert.equal(wf.body.id, 'hello');
    assert.deepEqual(wf.body.steps.map((s: any) => s.id), ['name', 'greeting']);
    const input = wf.body.steps[0].input;
    assert.equal(input.type, 'object');
    assert.equal(input.properties.name.type, 'string');
    assert.deepEqual(input.required, ['name']);

    const run = await c.json('/api/runs/default-hello-01');
    assert.equal(run.body.key, 'default-hello-01');
    assert.equal(run.body.steps.greeting.status, 'done');
    assert.equal(run.body.steps.greeting.output.greeting, 'Hello, Ada!');

    const missing = await c.json('/api/runs/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'not_found');
    assert.match(missing.body.error, /no run "nope"/);
    const missingWf = await c.json('/api/workflows/nope');
    assert.equal(missingWf.status, 404);
    const page404 = await c.get('/wf/nope');
    assert.equal(page404.status, 404);
    assert.match(page404.text, /No workflow &quot;nope&quot;/);
  });

  test('a running step streams progress and done over SSE; its card then comes back done', async () => {
    await c.post('/wf/slow/runs', { key: 'sse-1', action: 'create' });
    const sub = await c.post('/wf/slow/runs/sse-1/steps/count', { steps: '12', delay: '60' }, { hx: true });
    assert.equal(sub.status, 200);
    assert.match(sub.text, /^<article id="step-count"[^>]*data-status="running"/);
    assert.match(sub.text, /sse-connect="\/wf\/slow\/runs\/sse-1\/steps\/count\/events"/);
    assert.match(sub.text, /<progress/);
    assert.match(sub.text, />■ Stop<\/button>/);

    const events = await readEvents(`${app.base}/wf/slow/runs/sse-1/steps/count/events`, (es) => es.some((e) => e.event === 'done'));
    const progress = events.filter((e) => e.event === 'progress');
    assert.ok(progress.length >= 2, `several progress events (got ${progress.length})`);
    assert.match(progress[0]!.data, /<progress/);
    assert.ok(progress.some((e) => /counting \d+ of 12/.test(e.data)));
    assert.equal(events.at(-1)!.event, 'done');
    assert.equal(events.at(-1)!.data, 'done');

    const card = await c.get('/wf/slow/runs/sse-1/steps/count', { 'HX-Request': 'true' });
    assert.match(card.text, /^<article id="step-count"[^>]*data-status="done"/);
    assert.match(card.text, /<article id="step-check"/, 'the next step follows');

    // A stream opened after the step is over says done at once.
    const late = await readEvents(`${app.base}/wf/slow/runs/sse-1/steps/count/events`, (es) => es.length > 0);
    assert.deepEqual(late.map((e) => e.event), ['done']);
  });

  test('progress events are throttled to about ten a second', async () => {
    await c.post('/wf/slow/runs', { key: 'sse-fast', action: 'create' });
    await c.post('/wf/slow/runs/sse-fast/steps/count', { steps: '400', delay: '2' }, { hx: true });
    const t0 = Date.now();
    const events = await readEvents(`${app.base}/wf/slow/runs/sse-fast/steps/count/events`, (es) => es.some((e) => e.event === 'done'));
    const seconds = (Date.now() - t0) / 1000;
    const progress = events.filter((e) => e.event === 'progress').length;
    assert.ok(progress >= 2, `some progress (${progress})`);
    assert.ok(progress <= Math.ceil(seconds * 10) + 3, `${progress} progress events in ${seconds.toFixed(2)} s for 400 reports`);
  });

  test('a long step keeps running after its SSE client disconnects, and finishes', async () => {
    const baseline = app.engine.bus.listenerCount('progress');
    await c.post('/wf/slow/runs', { key: 'sse-2', action: 'create' });
    await c.post('/wf/slow/runs/sse-2/steps/count', { steps: '15', delay: '60' }, { hx: true });
    const events = await readEvents(`${app.base}/wf/slow/runs/sse-2/steps/count/events`, (es) => es.filter((e) => e.event === 'progress').length >= 2);
    assert.ok(events.length >= 2);
    // The client has gone; the server lets go of its listeners…
    await waitFor(() => app.engine.bus.listenerCount('progress') === baseline, 'SSE listeners to be removed');
    // …and the step goes on to the end.
    assert.equal((await app.engine.get('sse-2')).steps.count!.status, 'running');
    const st = await waitFor(async () => {
      const r = await c.json('/api/runs/sse-2');
      return r.body.steps.count.status === 'done' ? r.body : undefined;
    }, 'the step to finish');
    assert.equal(st.steps.count.output.counted, 15);
  });

  test('stopping a running step shows its form again to retry; a failed step shows its error', async () => {
    await c.post('/wf/slow/runs', { key: 'stop-1', action: 'create' });
    await c.post('/wf/slow/runs/stop-1/steps/count', { steps: '200', delay: '50' }, { hx: true });
    const page = await c.get('/wf/slow/runs/stop-1');
    assert.match(page.text, /data-status="running"/, 'coming back shows the step still running');
    const stop = await c.post('/wf/slow/runs/stop-1/steps/count/cancel', {}, { hx: true });
    assert.equal(stop.status, 200);
    assert.match(stop.text, /^<article id="step-count"[^>]*data-status="cancelled"/);
    assert.match(stop.text, /This step was stopped/);
    assert.match(stop.text, /name="steps"[^>]*value="200"|value="200"[^>]*name="steps"/, 'the form is pre-filled to retry');

    const quick = await c.post('/wf/slow/runs/stop-1/steps/count', { steps: '1', delay: '0' }, { hx: true });
    assert.match(quick.text, /data-status="done"/, 'a quick step comes back done in one request');
    const failed = await c.post('/wf/slow/runs/stop-1/steps/check', { word: 'fail' }, { hx: true });
    assert.equal(failed.status, 200);
    assert.match(failed.text, /^<article id="step-check"[^>]*data-status="failed"/);
    assert.match(failed.text, /This step failed:<\/strong> asked to fail/);
    assert.match(failed.text, /value="fail"/);
    assert.equal((await app.engine.get('stop-1')).steps.count!.status, 'done', 'nothing else is lost');
  });

  test('resume after a server restart on the same data folder', async () => {
    await c.post('/wf/hello/runs', { key: 'restart-1', action: 'create' });
    await c.post('/wf/hello/runs/restart-1/steps/name', { name: 'Bob' });
    await app.stop();

    app = await boot(data);
    c = new WebClient(app.base);
    const page = await c.get('/wf/hello/runs/restart-1');
    assert.equal(page.status, 200);
    assert.match(page.text, /<article id="step-name"[^>]*data-status="done"/);
    assert.match(page.text, /Your name is <strong>Bob<\/strong>/);
    assert.match(page.text, /<article id="step-greeting"[^>]*data-status="pending"/);
    assert.match(page.text, /value="Hello, Bob!"/);
    const r = await c.post('/wf/hello/runs/restart-1/steps/greeting', { greeting: 'Hey Bob' }, { hx: true });
    assert.equal(r.status, 200);
    assert.match(r.text, /id="run-finish"/);
  });

  test('a file upload without JavaScript: multipart form, CSRF field, stored as an artifact, served back', async () => {
    const key = 'upload-1';
    await app.engine.open('widgets', { key });
    for (const [step, input] of Object.entries({
      title: { title: 'T' }, notes: { notes: 'n' }, colour: { colour: 'red' }, toppings: { toppings: ['cheese'] },
      size: { size: 's' }, level: { level: 1 }, notify: { notify: false },
    })) await (await app.engine.submit(key, step, input)).completion;

    const page = await c.get(`/wf/widgets/runs/${key}`);
    assert.match(page.text, /<form method="post" action="\/wf\/widgets\/runs\/upload-1\/steps\/upload"[^>]*enctype="multipart\/form-data"[^>]*hx-encoding="multipart\/form-data"/);

    // Nothing chosen (and nothing chosen before): the field says so, at 422, and nothing is recorded.
    const empty = new FormData();
    empty.set('_csrf', c.csrf);
    const bad = await fetch(`${app.base}/wf/widgets/runs/${key}/steps/upload`, { method: 'POST', body: empty, headers: { Origin: app.base, 'HX-Request': 'true' } });
    assert.equal(bad.status, 422);
    assert.match(await bad.text(), /id="f-upload-file-error"[^>]*>Choose a file/);
    assert.equal((await app.engine.get(key)).steps.upload!.status, 'pending');

    const form = new FormData();
    form.set('_csrf', c.csrf);
    form.set('file', new File([Buffer.from('hello, artifact\n')], 'note.txt', { type: 'text/plain' }));
    const r = await fetch(`${app.base}/wf/widgets/runs/${key}/steps/upload`, { method: 'POST', body: form, headers: { Origin: app.base }, redirect: 'manual' });
    assert.equal(r.status, 303);
    const ref = ((await app.engine.get(key)).steps.upload!.output as { file: { path: string; name: string } }).file;
    assert.equal(ref.name, 'note.txt');
    const run = await c.get(`/wf/widgets/runs/${key}`);
    assert.match(run.text, new RegExp(`href="/files/${ref.path}\\?name=note\\.txt"`));
    const file = await fetch(`${app.base}/files/${ref.path}`);
    assert.equal(file.status, 200);
    assert.equal(await file.text(), 'hello, artifact\n');

    // After a revert, sending the form without choosing again keeps the file chosen before.
    await c.post(`/wf/widgets/runs/${key}/steps/upload/revert`, {});
    const again = new FormData();
    again.set('_csrf', c.csrf);
    const kept = await fetch(`${app.base}/wf/widgets/runs/${key}/steps/upload`, { method: 'POST', body: again, headers: { Origin: app.base, 'HX-Request': 'true' } });
    assert.equal(kept.status, 200);
    assert.deepEqual(((await app.engine.get(key)).steps.upload!.output as { file: unknown }).file, ref);
  });
}));

// The registry's load errors on the home page: nothing stored is involved, so SQLite alone.
describe('web app: more over HTTP', () => {
  test('workflow files that failed to load are shown on the home page', async () => {
    const tmp = tempDir('railbook-web-errors-');
    const { Engine } = await import('../../src/engine/engine.ts');
    const { Registry, loadWorkflows } = await import('../../src/engine/registry.ts');
    const { Store } = await import('../../src/store/store.ts');
    const reg = new Registry((await loadWorkflows()).list());
    reg.errors.push({ file: '/somewhere/workflows/broken.ts', message: 'SyntaxError: Unexpected token <b>' });
    const engine = await Engine.start(await Store.open(tmp.dir), reg);
    const server = await startServer({ engine, port: 0 });
    try {
      const r = await fetch(`http://127.0.0.1:${server.port}/`);
      const html = await r.text();
      assert.equal(r.status, 200);
      assert.match(html, /A workflow or notebook failed to load/);
      assert.match(html, /<code>\/somewhere\/workflows\/broken.ts<\/code>/);
      assert.match(html, /SyntaxError: Unexpected token &lt;b&gt;/, 'the message is escaped');
      assert.match(html, /href="\/wf\/hello"/, 'the other workflows still work');
    } finally {
      await server.close();
      await engine.shutdown();
      await engine.store.close();
      tmp.cleanup();
    }
  });
});
