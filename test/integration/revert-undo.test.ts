// Issue 5, defect 2 over real HTTP: a revert that would clear outputs asks first (saying what it
// clears and how long that took), and a revert can be undone until the next submit — on the web
// and from the command line. On both backends: what is undone is the stored state and its events.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/engine.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { cliData, railbookCli, type CliData } from '../helpers/railbook-cli.ts';
import { tempEngine, type TempEngine } from '../helpers/temp-engine.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { WebClient } from '../helpers/web-client.ts';

/** A finished hello run whose greeting step took 1 h 02 min to make (its times set as a long step's would be). */
async function helloDone(engine: Engine, key: string): Promise<string> {
  await engine.open('hello', { key });
  await (await engine.submit(key, 'name', { name: 'Ada' })).completion;
  await (await engine.submit(key, 'greeting', { greeting: 'Hello, Ada!' })).completion;
  await engine.store.tx(async (tx) => {
    const st = (await tx.runs.lock(key))!;
    const g = st.steps.greeting!;
    g.startedAt = new Date(Date.parse(g.finishedAt!) - (62 * 60 + 5) * 1000).toISOString();
    await tx.runs.update(st);
  });
  return key;
}

const run = (key: string) => `/wf/hello/runs/${key}`;

forEachBackend((backend) => {
  describe(`revert asks first, and can be undone (${backend})`, () => {
    let app: TestApp;
    let engine: Engine;
    let c: WebClient;
    const eventCount = async (key: string) => (await engine.store.events.forRun(key)).length;

    before(async () => {
      app = await startTestApp({ backend });
      engine = app.engine;
      c = new WebClient(app.base);
      await c.get('/');
    });
    after(async () => {
      await app?.stop();
    });

    test('a revert that would clear outputs asks first, saying what it clears and how long it took; nothing changes until confirmed', async () => {
      const key = await helloDone(engine, 'ask-1');
      const before = structuredClone(await engine.get(key));
      const events = await eventCount(key);

      // Without JavaScript: to the question's page.
      const plain = await c.post(`${run(key)}/steps/name/revert`);
      assert.equal(plain.status, 303);
      assert.equal(plain.headers.get('location'), `${run(key)}/steps/name/revert#revert-confirm-name`);
      const page = await c.get(`${run(key)}/steps/name/revert`);
      assert.equal(page.status, 200);
      assert.match(page.text, /role="alertdialog"/);
      assert.match(page.text, /Revert to step 1: Your name\?/);
      assert.match(page.text, /This clears 1 step: 2\. Greeting \(took 1 h 02 min\)\./);
      assert.match(page.text, /name="confirm" value="yes"/);
      assert.match(page.text, new RegExp(`href="${run(key)}#step-name"[^>]*>\\s*Cancel`));

      // With htmx: the question alone, for the card's slot.
      const hx = await c.post(`${run(key)}/steps/name/revert`, {}, { hx: true });
      assert.equal(hx.status, 200);
      assert.equal(hx.headers.get('hx-retarget'), '#revert-slot-name');
      assert.match(hx.text, /^<section id="revert-confirm-name"/);
      assert.match(hx.text, /This clears 1 step: 2\. Greeting \(took 1 h 02 min\)/);

      assert.deepEqual(await engine.get(key), before, 'asking changed nothing');
      assert.equal(await eventCount(key), events, 'and wrote no event');

      // Confirmed: reverted.
      const yes = await c.post(`${run(key)}/steps/name/revert`, { confirm: 'yes', seen: before.updated });
      assert.equal(yes.status, 303);
      assert.equal(yes.headers.get('location'), `${run(key)}#step-name`);
      assert.equal((await engine.get(key)).steps.greeting!.status, 'pending');
    });

    test('a revert that clears nothing worth asking about happens at once', async () => {
      const key = 'ask-2';
      await engine.open('hello', { key });
      await (await engine.submit(key, 'name', { name: 'Ada' })).completion;
      const r = await c.post(`${run(key)}/steps/name/revert`, {}, { hx: true });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('hx-retarget'), '#steps');
      assert.equal((await engine.get(key)).steps.name!.status, 'pending');
      assert.deepEqual((await engine.get(key)).steps.name!.input, { name: 'Ada' });
    });

    test('an answer to an older question is asked again when the run changed meanwhile', async () => {
      const key = await helloDone(engine, 'ask-3');
      const stale = '2000-01-01T00:00:00.000Z';
      const r = await c.post(`${run(key)}/steps/name/revert`, { confirm: 'yes', seen: stale }, { hx: true });
      assert.equal(r.status, 200);
      assert.match(r.text, /The run changed while you were deciding/);
      assert.equal((await engine.get(key)).steps.greeting!.status, 'done', 'not reverted');
    });

    test('after a revert the run page offers undo; undo brings the steps back exactly', async () => {
      const key = await helloDone(engine, 'undo-1');
      const before = structuredClone(await engine.get(key));
      await c.post(`${run(key)}/steps/name/revert`, { confirm: 'yes' });

      const page = await c.get(run(key));
      assert.match(page.text, /id="undo-revert"/);
      assert.match(page.text, /Reverted to step 1: Your name/);
      assert.match(page.text, /Undo brings back 1 step as it was: 2\. Greeting \(took 1 h 02 min\)\./);
      assert.match(page.text, new RegExp(`action="${run(key)}/undo-revert"`));

      const undo = await c.post(`${run(key)}/undo-revert`, {}, { hx: true });
      assert.equal(undo.status, 200);
      assert.match(undo.text, /Revert undone: 1 step is back as before\./);
      assert.doesNotMatch(undo.text, /id="undo-revert"/, 'nothing left to undo');
      assert.deepEqual((await engine.get(key)).steps, before.steps);
      assert.equal((await engine.store.events.forRun(key, 1))[0]!.type, 'revert_undone');

      // Once undone, the offer is gone and a second undo is refused.
      const again = await c.post(`${run(key)}/undo-revert`);
      assert.equal(again.status, 409);
      assert.match(again.text, /class="notice"[^>]*>Cannot undo: the last revert was already undone\./);
    });

    test('undo is refused with 409 after the next submit, without JavaScript or with, and changes nothing', async () => {
      const key = await helloDone(engine, 'undo-2');
      await c.post(`${run(key)}/steps/greeting/revert`, { confirm: 'yes' });
      assert.match((await c.get(run(key))).text, /id="undo-revert"/);
      assert.equal((await c.post(`${run(key)}/steps/greeting`, { greeting: 'Hi!' })).status, 303);
      const page = await c.get(run(key));
      assert.doesNotMatch(page.text, /id="undo-revert"/, 'no longer offered');

      const st = structuredClone(await engine.get(key));
      const events = await eventCount(key);
      for (const hx of [false, true]) {
        const r = await c.post(`${run(key)}/undo-revert`, {}, { hx });
        assert.equal(r.status, 409, `hx: ${hx}`);
        assert.match(r.text, /Cannot undo: step &quot;greeting&quot; was submitted after the revert/);
      }
      assert.deepEqual(await engine.get(key), st);
      assert.equal(await eventCount(key), events);
    });

    test('the undo route needs the CSRF token like every other change', async () => {
      const key = await helloDone(engine, 'undo-3');
      await c.post(`${run(key)}/steps/name/revert`, { confirm: 'yes' });
      const r = await fetch(`${app.base}${run(key)}/undo-revert`, {
        method: 'POST',
        headers: { Origin: app.base, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: '',
        redirect: 'manual',
      });
      assert.equal(r.status, 403);
      assert.equal((await engine.get(key)).steps.greeting!.status, 'pending', 'still reverted');
    });
  });

  // The CLI is a second process on the same store: the data folder, and on PostgreSQL the database.
  describe(`railbook revert / undo-revert (real child processes, ${backend})`, () => {
    let data: CliData;
    let t: TempEngine;
    let engine: Engine;
    // stdin is a pipe, not a terminal: the CLI cannot ask, so it needs --yes to clear outputs.
    const cli = (args: string[]) => railbookCli([...args, '--data-dir', data.dir], { env: data.env });

    before(async () => {
      data = await cliData(backend, 'railbook-revert-cli-');
      t = await tempEngine({ dataDir: data.dir, databaseUrl: data.databaseUrl });
      engine = t.engine;
    });
    after(async () => {
      await t?.close();
      await data?.cleanup();
    });

    test('revert refuses to clear outputs unasked, says what they are, reverts with --yes; undo-revert brings them back once', async () => {
      const key = await helloDone(engine, 'cli-1');
      const before = structuredClone(await engine.get(key));
      const unasked = await cli(['revert', key, 'name']);
      assert.equal(unasked.code, 2);
      assert.match(unasked.stderr, /not reverting cli-1 to "name" without confirmation: This clears 1 step: 2\. Greeting \(took 1 h 02 min\)\. Add --yes/);
      assert.deepEqual(await engine.get(key), before);

      const yes = await cli(['revert', key, 'name', '--yes']);
      assert.equal(yes.code, 0, yes.stderr);
      assert.match(yes.stdout, /reverted cli-1 to "name" \(undo with: railbook undo-revert cli-1\)/);
      assert.equal((await engine.get(key)).steps.greeting!.status, 'pending');

      const undo = await cli(['undo-revert', key]);
      assert.equal(undo.code, 0, undo.stderr);
      assert.match(undo.stdout, /undid the revert of cli-1 to "name": 1 step back as before/);
      assert.deepEqual((await engine.get(key)).steps, before.steps);

      const again = await cli(['undo-revert', key]);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /cannot undo: the last revert was already undone/);
    });
  });
});
