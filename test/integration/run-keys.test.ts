// Run keys over real HTTP: the landing page names the next free key (past 99 too), "+ New run"
// takes it, a typed key resumes (or, once confirmed, creates), and a bad typed key comes back on the
// landing page with a clear message, escaped, with nothing created. On both backends: the keys
// are numbered and looked up by the store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/engine.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

forEachBackend((backend) => describe(`run keys (${backend})`, () => {
  let app: TestApp;
  let engine: Engine;
  let base: string;
  let csrf: string;

  before(async () => {
    app = await startTestApp({ backend });
    ({ engine, base } = app);
    csrf = await app.csrf();
  });

  after(async () => {
    await app?.stop();
  });

  async function open(fields: Record<string, string>): Promise<{ status: number; text: string; location: string | null }> {
    const r = await fetch(`${base}/wf/hello/runs`, { method: 'POST', headers: { Origin: base }, body: new URLSearchParams({ ...fields, _csrf: csrf }), redirect: 'manual' });
    return { status: r.status, text: await r.text(), location: r.headers.get('location') };
  }

  const prefilled = async () => /<code id="next-key">([^<]*)<\/code>/.exec(await (await fetch(`${base}/wf/hello`)).text())![1];

  test('past 99: the landing page offers default-hello-100, and "+ New run" takes 100, then 101; "Open" with no key opens nothing', async () => {
    for (let i = 0; i < 99; i++) await engine.open('hello');
    assert.equal(await prefilled(), 'default-hello-100');
    const n = await open({ key: 'whatever is typed', action: 'new' });
    assert.equal(n.status, 303);
    assert.equal(n.location, '/wf/hello/runs/default-hello-100');
    assert.equal(await prefilled(), 'default-hello-101');
    const e = await open({ key: '   ', action: 'open' });
    assert.equal(e.status, 422, 'Open is not another "+ New run"');
    assert.equal(await prefilled(), 'default-hello-101');
    const n2 = await open({ action: 'new' });
    assert.equal(n2.location, '/wf/hello/runs/default-hello-101');
    assert.equal(await prefilled(), 'default-hello-102');
    const page = await (await fetch(`${base}/wf/hello/runs/default-hello-100`)).text();
    assert.match(page, /<article id="step-name"/);
  });

  test('a typed key creates its run once (after asking), then resumes it (no second run, no new event)', async () => {
    const asked = await open({ key: 'client-acme.2024_q1', action: 'open' });
    assert.equal(asked.location, '/wf/hello?create=client-acme.2024_q1');
    const first = await open({ key: 'client-acme.2024_q1', action: 'create' });
    assert.equal(first.status, 303);
    assert.equal(first.location, '/wf/hello/runs/client-acme.2024_q1');
    await (await engine.submit('client-acme.2024_q1', 'name', { name: 'Acme' })).completion;
    const events = (await engine.store.events.forRun('client-acme.2024_q1')).length;
    const runs = (await engine.store.runs.list()).length;
    const again = await open({ key: ' client-acme.2024_q1 ', action: 'open' });
    assert.equal(again.location, '/wf/hello/runs/client-acme.2024_q1');
    assert.equal((await engine.store.runs.list()).length, runs);
    assert.equal((await engine.store.events.forRun('client-acme.2024_q1')).length, events);
    assert.deepEqual((await engine.get('client-acme.2024_q1')).steps.name!.output, { name: 'Acme' });
    assert.equal((await engine.store.runs.summary('client-acme.2024_q1'))!.number, null, 'a typed key has no number');
  });

  test('bad typed keys: 422, the landing page again with the message and the key as typed (escaped), nothing created', async () => {
    const runs = (await engine.store.runs.list()).length;
    const bad = ['../etc/passwd', 'a/b', 'no spaces', '-leading-dash', '.hidden', 'é-accent', 'x'.repeat(101), '<img src=x onerror=alert(1)>', 'semi;colon'];
    for (const key of bad) {
      const r = await open({ key, action: 'open' });
      assert.equal(r.status, 422, key);
      assert.match(r.text, /<!doctype html>/i, 'the whole landing page, not a bare error');
      const shown = key.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
      assert.ok(r.text.includes(`id="run-key-error"`), key);
      const message = /<small id="run-key-error"[^>]*>([^<]*)<\/small>/.exec(r.text)?.[1] ?? '';
      assert.ok(message.toLowerCase().includes(`run key &quot;${shown}&quot; may use only letters, digits`.toLowerCase()), `${key}: ${message}`);
      assert.match(message, /1–100 characters, starting with a letter or digit/);
      assert.ok(r.text.includes(`value="${shown}"`), `${key}: the box keeps what was typed`);
      assert.match(r.text, /aria-invalid="true"/);
      assert.doesNotMatch(r.text, /<img src=x/, 'the key is shown as text');
    }
    assert.equal((await engine.store.runs.list()).length, runs, 'no run was created');
  });

  test('a key that belongs to another workflow is refused on the landing page (409), not opened', async () => {
    await engine.open('slow', { key: 'slow-owned' });
    const r = await open({ key: 'slow-owned', action: 'open' });
    assert.equal(r.status, 409);
    assert.match(/<small id="run-key-error"[^>]*>([^<]*)<\/small>/.exec(r.text)?.[1] ?? '', /belongs to workflow &quot;slow&quot;/i);
    assert.equal((await engine.get('slow-owned')).workflow, 'slow');
  });
}));
