// Archive, unarchive and delete over real HTTP, and the landing page's "Open" vs "+ New run":
// a real server, a real database (SQLite or PostgreSQL) and a real artifacts folder; forms posted
// as the pages make them.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/engine.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { WebClient } from '../helpers/web-client.ts';

const tableKeys = (html: string) => [...html.matchAll(/<th scope="row"><a href="[^"]*"><code>([^<]+)<\/code>/g)].map((m) => m[1]);
const datalistKeys = (html: string) => [.../<datalist id="run-keys">([\s\S]*?)<\/datalist>/.exec(html)![1]!.matchAll(/value="([^"]+)"/g)].map((m) => m[1]);

forEachBackend((backend) => describe(`run administration on the web (${backend})`, () => {
  let app: TestApp;
  let engine: Engine;
  let c: WebClient;

  before(async () => {
    app = await startTestApp({ backend });
    engine = app.engine;
    c = new WebClient(app.base);
    await c.get('/');
  });

  after(async () => {
    await app?.stop();
  });

  async function helloRun(name?: string): Promise<string> {
    const key = (await engine.open('hello')).state.key;
    if (name) await (await engine.submit(key, 'name', { name })).completion;
    return key;
  }

  test('delete: a confirmation page says what goes; only its form deletes; then the workflow page says so', async () => {
    const key = await helloRun('Ada');
    await engine.store.artifacts.writeBytes(key, 'notes.txt', 'x'.repeat(2000));
    await engine.store.artifacts.writeBytes(key, 'more.txt', 'y');

    const page = await c.get(`/wf/hello/runs/${key}`);
    assert.match(page.text, new RegExp(`href="/wf/hello/runs/${key}/delete"[^>]*>Delete…`), 'the run page offers Delete…');

    const confirm = await c.get(`/wf/hello/runs/${key}/delete`);
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /<h1 id="confirm-title">Delete run <code>default-hello-\d+<\/code>\?<\/h1>/);
    assert.match(confirm.text, /<li>1 of 2 steps done<\/li>/);
    assert.match(confirm.text, /<li>2 artifact files \(2\.0 kB\)<\/li>/);
    assert.match(confirm.text, /cannot be undone/);
    assert.doesNotMatch(confirm.text, /finalized/i);

    // A POST that did not come from the confirmation page is shown the page first.
    const unconfirmed = await c.post(`/wf/hello/runs/${key}/delete`, {});
    assert.equal(unconfirmed.status, 303);
    assert.equal(unconfirmed.headers.get('location'), `/wf/hello/runs/${key}/delete`);
    assert.ok(await engine.get(key), 'nothing deleted yet');

    const done = await c.post(`/wf/hello/runs/${key}/delete`, { confirm: key });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get('location'), `/wf/hello?notice=deleted&run=${key}`);
    assert.equal(existsSync(engine.store.artifacts.dirFor(key)), false, 'the artifacts folder is gone');
    assert.equal((await engine.store.events.forRun(key)).length, 0);
    const landing = await c.get(done.headers.get('location')!);
    assert.match(landing.text, new RegExp(`Run <code>${key}</code> was deleted`));
    assert.ok(!tableKeys(landing.text).includes(key));
    assert.equal((await c.get(`/wf/hello/runs/${key}`)).status, 404);
    // A made-up notice about a run that exists is not shown.
    const other = await helloRun();
    assert.doesNotMatch((await c.get(`/wf/hello?notice=deleted&run=${other}`)).text, /was deleted/);
  });

  test('delete of a finalized run says it is finalized; a running step must be stopped first', async () => {
    const key = await helloRun('Bo');
    await (await engine.submit(key, 'greeting', { greeting: 'Hi' })).completion;
    await engine.finalize(key);
    const page = await c.get(`/wf/hello/runs/${key}/delete`);
    assert.match(page.text, /<strong>This run is finalized<\/strong>/);
    assert.match(page.text, /<li>2 of 2 steps done<\/li>/);
    assert.equal((await c.post(`/wf/hello/runs/${key}/delete`, { confirm: key })).status, 303);
    await assert.rejects(engine.get(key));

    const slow = (await engine.open('slow')).state.key;
    const { completion } = await engine.submit(slow, 'count', { steps: 10000, delay: 20 });
    const blocked = await c.get(`/wf/slow/runs/${slow}/delete`);
    assert.match(blocked.text, /Step “count” is running\. Stop it first/);
    assert.match(blocked.text, /<button type="submit" class="danger" disabled="">/);
    const refused = await c.post(`/wf/slow/runs/${slow}/delete`, { confirm: slow });
    assert.equal(refused.status, 409);
    assert.match(refused.text, /stop it first, then delete the run/);
    assert.equal((await engine.get(slow)).steps.count!.status, 'running', 'the run and its step are untouched');
    await engine.cancel(slow, 'count');
    await completion;
    assert.equal((await c.post(`/wf/slow/runs/${slow}/delete`, { confirm: slow })).status, 303);
  });

  test('archive from the runs table: hidden from the lists and key suggestions, kept, shown on request; Undo; the run page says it', async () => {
    const key = await helloRun('Cy');
    const before = await c.get('/wf/hello');
    assert.ok(tableKeys(before.text).includes(key));
    assert.match(before.text, new RegExp(`action="/wf/hello/runs/${key}/archive"`), 'each row has an Archive button');

    const r = await c.post(`/wf/hello/runs/${key}/archive`, { back: '/wf/hello' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), `/wf/hello?notice=archived&run=${key}`);
    const after = await c.get(r.headers.get('location')!);
    assert.match(after.text, new RegExp(`Run <code>${key}</code> is archived`));
    assert.match(after.text, new RegExp(`action="/wf/hello/runs/${key}/unarchive"[\\s\\S]*?>Undo</button>`));
    assert.ok(!tableKeys(after.text).includes(key), 'not in the table');
    assert.ok(!datalistKeys(after.text).includes(key), 'not among the key suggestions');
    assert.match(after.text, /Show archived runs \(1\)/);
    const home = await c.get('/');
    assert.ok(!tableKeys(home.text).includes(key));
    assert.match(home.text, /1 archived run is not listed/);

    const archived = await c.get('/wf/hello?show=archived');
    assert.deepEqual(tableKeys(archived.text), [key]);
    assert.match(archived.text, /Unarchive<span class="visually-hidden"> /);

    // Opening it by key works, and its page says it is archived.
    const opened = await c.post('/wf/hello/runs', { key, action: 'open' });
    assert.equal(opened.headers.get('location'), `/wf/hello/runs/${key}`);
    const page = await c.get(`/wf/hello/runs/${key}`);
    assert.match(page.text, /<strong>Archived<\/strong>/);
    // The run's header offers Unarchive as one click (it is undone as easily as done).
    assert.match(page.text, new RegExp(`<form method="post" action="/wf/hello/runs/${key}/unarchive"[\\s\\S]*?>Unarchive</button>`));
    assert.deepEqual((await engine.get(key)).steps.name!.output, { name: 'Cy' }, 'kept whole');

    // The confirmation page (for links without a token) still works and comes back to the run page.
    assert.match((await c.get(`/wf/hello/runs/${key}/unarchive`)).text, /Unarchive run <code>/);
    const un = await c.post(`/wf/hello/runs/${key}/unarchive`, { back: `/wf/hello/runs/${key}` });
    assert.equal(un.headers.get('location'), `/wf/hello/runs/${key}`);
    assert.ok(tableKeys((await c.get('/wf/hello')).text).includes(key));
    assert.deepEqual((await engine.store.events.forRun(key)).slice(0, 2).map((e) => e.type), ['unarchived', 'archived']);
  });

  test('archive and delete refuse cross-site posts and posts without the CSRF token', async () => {
    const key = await helloRun();
    for (const path of [`/wf/hello/runs/${key}/archive`, `/wf/hello/runs/${key}/delete`]) {
      const noToken = await fetch(app.base + path, { method: 'POST', headers: { Origin: app.base, 'Content-Type': 'application/x-www-form-urlencoded' }, body: `confirm=${key}`, redirect: 'manual' });
      assert.equal(noToken.status, 403, path);
      const crossSite = await fetch(app.base + path, { method: 'POST', headers: { Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' }, body: `confirm=${key}&_csrf=${c.csrf}`, redirect: 'manual' });
      assert.equal(crossSite.status, 403, path);
    }
    assert.equal((await engine.get(key)).archived ?? null, null);
    // An outside redirect target is not followed.
    const r = await c.post(`/wf/hello/runs/${key}/archive`, { back: '//evil.example/' });
    assert.equal(r.headers.get('location'), `/wf/hello/runs/${key}`);
  });

  test('landing: the key box starts empty; "+ New run" takes the next number; "Open" needs a key', async () => {
    const page = await c.get('/wf/hello');
    assert.match(page.text, /<input type="text" id="run-key" name="key" value=""/);
    const next = /<code id="next-key">([^<]+)<\/code>/.exec(page.text)![1]!;
    assert.equal(next, await engine.nextKey('hello'));
    const made = await c.post('/wf/hello/runs', { action: 'new', suggested: next });
    assert.equal(made.headers.get('location'), `/wf/hello/runs/${next}`);
    const empty = await c.post('/wf/hello/runs', { key: '  ', action: 'open' });
    assert.equal(empty.status, 422);
    assert.match(empty.text, /Type the key of a run to open it, or press &quot;\+ New run&quot;/);
    assert.equal((await engine.nextKey('hello')) !== next, true);
  });

  test('landing: a partial or hand-typed automatic key is refused with what to do; nothing is created', async () => {
    const count = async () => (await engine.listRuns({ archived: 'all' })).length;
    const before = await count();
    for (const key of ['default-hello-0', 'default-hello-7', 'Default-Hello-99']) {
      for (const action of ['open', 'create']) {
        const r = await c.post('/wf/hello/runs', { key, action });
        assert.equal(r.status, 422, `${key} ${action}`);
        const msg = /<small id="run-key-error"[^>]*>([^<]*)<\/small>/.exec(r.text)?.[1] ?? '';
        assert.match(msg, /There is no run &quot;.+&quot;, and keys of the form &lt;profile&gt;-hello-&lt;number&gt; are given out only by &quot;\+ New run&quot;/);
        assert.match(msg, /Press &quot;\+ New run&quot;, or choose a key/);
      }
    }
    // The same key once it exists (made by "+ New run") simply opens.
    const existing = (await engine.open('hello')).state.key;
    assert.equal((await c.post('/wf/hello/runs', { key: existing, action: 'open' })).headers.get('location'), `/wf/hello/runs/${existing}`);
    assert.equal(await count(), before + 1);
    // Asked by URL, too.
    assert.equal((await c.get('/wf/hello?create=default-hello-0')).status, 422);
  });

  test('landing: a new typed key is asked about first (Create / Cancel), and created only on Create', async () => {
    const asked = await c.post('/wf/hello/runs', { key: ' june-report ', action: 'open' });
    assert.equal(asked.status, 303);
    assert.equal(asked.headers.get('location'), '/wf/hello?create=june-report');
    await assert.rejects(engine.get('june-report'), 'not created by asking');
    const q = await c.get(asked.headers.get('location')!);
    assert.match(q.text, /No run <code>june-report<\/code> exists/);
    assert.match(q.text, /<button type="submit" name="action" value="create" autofocus="">Create june-report<\/button>/);
    assert.match(q.text, /<a href="\/wf\/hello" role="button"[^>]*>Cancel<\/a>/);
    await assert.rejects(engine.get('june-report'), 'not created by showing the question');

    const created = await c.post('/wf/hello/runs', { key: 'june-report', action: 'create' });
    assert.equal(created.headers.get('location'), '/wf/hello/runs/june-report');
    assert.equal((await engine.get('june-report')).workflow, 'hello');
    // Asking again about a key that exists now just opens it.
    assert.equal((await c.get('/wf/hello?create=june-report')).headers.get('location'), '/wf/hello/runs/june-report');
    assert.equal((await c.post('/wf/hello/runs', { key: 'june-report', action: 'create' })).headers.get('location'), '/wf/hello/runs/june-report');
  });
}));
