// The Schedules page over real HTTP: a real server, a real database (SQLite or PostgreSQL), real
// runs. Schedules are added as the CLI adds them (store.schedules.add with the job serialized the
// same way); firings come from claim/settle with runs made by the engine, or from a real Scheduler.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/engine.ts';
import type { JobFile } from '../../src/engine/job-file.ts';
import { nextFires } from '../../src/schedule/cron.ts';
import { Scheduler } from '../../src/schedule/scheduler.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { WebClient } from '../helpers/web-client.ts';

/** The `<tr>` of one schedule on the page. */
const rowOf = (html: string, name: string) => {
  const m = new RegExp(`<tr id="schedule-${name.replace(/[.]/g, '\\.')}">([\\s\\S]*?)</tr>`).exec(html);
  assert.ok(m, `the page has a row for ${name}`);
  return m[1]!;
};
/** The `<time datetime>` values inside a piece of HTML, in order. */
const times = (html: string) => [...html.matchAll(/<time datetime="([^"]+)">([^<]*)<\/time>/g)].map((m) => ({ iso: m[1]!, text: m[2]! }));

forEachBackend((backend) => describe(`schedules on the web (${backend})`, () => {
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

  /** As `railbook schedule add` stores it: the job (without a key) and the folder it was read from. */
  async function addSchedule(name: string, job: JobFile, opts: { cron: string; tz?: string | null; missed?: 'run-once' | 'skip' }): Promise<void> {
    const added = await engine.store.schedules.add({
      name,
      job: JSON.stringify({ job, baseDir: app.dataDir }),
      workflow: job.workflow,
      cron: opts.cron,
      tz: opts.tz ?? null,
      missed: opts.missed ?? 'run-once',
      queue: null,
      created: new Date().toISOString(),
    });
    assert.ok(added, `schedule ${name} added`);
  }

  /** A firing at `fireAt` that made run `key` (what the scheduler records). */
  async function fired(name: string, fireAt: string, key: string | null, error: string | null = null): Promise<void> {
    assert.ok(await engine.store.schedules.claim(name, fireAt, 'firing', new Date().toISOString()));
    await engine.store.schedules.settle(name, fireAt, key ? 'fired' : 'failed', key, error);
  }

  /** A run of the `slow` fixture, done or with its second step failed. */
  async function slowRun(outcome: 'done' | 'failed'): Promise<string> {
    const key = (await engine.open('slow')).state.key;
    await (await engine.submit(key, 'count', { steps: 1, delay: 0 })).completion;
    await (await engine.submit(key, 'check', { word: outcome === 'failed' ? 'fail' : 'ok' })).completion.catch(() => undefined);
    return key;
  }

  const hello: JobFile = { workflow: 'hello', inputs: { name: { name: 'Ada' }, greeting: { greeting: 'Hello, Ada!' } } };

  test('no schedules: the page says how to add one from the CLI; the header links to it', async () => {
    const page = await c.get('/schedules');
    assert.equal(page.status, 200);
    assert.match(page.text, /No schedules yet/);
    assert.match(page.text, /railbook schedule add job\.json --cron &quot;0 6 \* \* 1&quot; --tz Europe\/Paris/);
    assert.doesNotMatch(page.text, /<table class="schedules/);
    assert.match(page.text, /<a href="\/schedules" aria-current="page">Schedules<\/a>/);
    assert.match((await c.get('/')).text, /<a href="\/schedules">Schedules<\/a>/);
  });

  test('a schedule is listed with its workflow, cron and time zone, and its next 3 fire times in that zone', async () => {
    await addSchedule('monday-hello', hello, { cron: '0 6 * * 1', tz: 'Europe/Paris' });
    const spec = { cron: '0 6 * * 1', tz: 'Europe/Paris' };
    const before = nextFires(spec, new Date(), 3).map((d) => d.toISOString());
    const page = await c.get('/schedules');
    const after = nextFires(spec, new Date(), 3).map((d) => d.toISOString());
    assert.equal(page.status, 200);
    const row = rowOf(page.text, 'monday-hello');
    assert.match(row, /<th scope="row"><code>monday-hello<\/code><\/th>/);
    assert.match(row, /<a href="\/wf\/hello">Hello<\/a>/);
    assert.match(row, /<code>0 6 \* \* 1<\/code> \(Europe\/Paris\)/);
    assert.match(row, /<td>run once<\/td>/);
    assert.match(row, /<span class="badge badge-done">active<\/span>/);
    assert.match(row, /not fired yet/);
    const next = times(row);
    assert.equal(next.length, 3);
    assert.ok([before.join(), after.join()].includes(next.map((t) => t.iso).join()), `next fire times ${next.map((t) => t.iso).join()}`);
    // Read on the schedule's own clock: Mondays at 06:00 in Paris, whatever the server's zone.
    for (const t of next) assert.match(t.text, /^Mon \d{4}-\d{2}-\d{2} 06:00$/);
    assert.match(row, /action="\/schedules\/monday-hello\/pause"[^>]*hx-post="\/schedules\/monday-hello\/pause"/);
    assert.match(row, /<a href="\/schedules\/monday-hello\/remove" role="button"/);
  });

  test('firings show their runs (linked) and how they stand; a failed run is flagged on the home page until a later one goes well', async () => {
    await addSchedule('daily-slow', { workflow: 'slow', inputs: { count: { steps: 1, delay: 0 }, check: { word: 'ok' } } }, { cron: '0 7 * * *', missed: 'skip' });
    const good = await slowRun('done');
    const bad = await slowRun('failed');
    await fired('daily-slow', '2026-11-01T07:00:00.000Z', good);
    await fired('daily-slow', '2026-11-02T07:00:00.000Z', bad);

    const page = await c.get('/schedules');
    const row = rowOf(page.text, 'daily-slow');
    assert.match(row, /\(server time zone\)/);
    assert.match(row, /<td>skipped<\/td>/);
    const links = [...row.matchAll(/<a href="\/wf\/slow\/runs\/([^"]+)"><code>([^<]+)<\/code><\/a> <span class="badge badge-(\w+)">(\w+)<\/span>/g)].map((m) => [m[1], m[3], m[4]]);
    assert.deepEqual(links, [[bad, 'failed', 'failed'], [good, 'done', 'done']], 'newest first, each with its badge');
    assert.match(row, /step check failed/);
    assert.ok(times(row).some((t) => t.iso === '2026-11-02T07:00:00.000Z'), 'the fire time as a <time datetime>');

    const home = await c.get('/');
    assert.match(home.text, /<div class="schedule-failures" role="alert">/);
    assert.match(home.text, new RegExp(`Scheduled run <a href="/wf/slow/runs/${bad}">${bad}</a> of schedule <a href="/schedules/daily-slow">daily-slow</a> failed: step check failed\\.`));
    assert.match(home.text, /<a href="\/schedules">All schedules<\/a>/);
    // The flag's link to the schedule lands on its row.
    const link = await c.get('/schedules/daily-slow');
    assert.equal(link.status, 302);
    assert.equal(link.headers.get('location'), '/schedules#schedule-daily-slow');

    // A firing that could not make a run at all is flagged too.
    await fired('daily-slow', '2026-11-03T07:00:00.000Z', null, 'step "count": Steps must be at most 10000.');
    const refused = await c.get('/');
    assert.match(refused.text, /Schedule <a href="\/schedules\/daily-slow">daily-slow<\/a> could not start its run: step &quot;count&quot;: Steps must be at most 10000\./);
    assert.doesNotMatch(refused.text, new RegExp(`Scheduled run <a href="/wf/slow/runs/${bad}"`), 'only the newest firing counts');
    assert.match(rowOf((await c.get('/schedules')).text, 'daily-slow'), /<span class="muted">no run<\/span> <span class="badge badge-failed">failed<\/span>/);

    // A later firing that went well clears the flag; only the last 5 are listed.
    for (let d = 4; d <= 7; d++) await fired('daily-slow', `2026-11-0${d}T07:00:00.000Z`, await slowRun('done'));
    assert.doesNotMatch((await c.get('/')).text, /schedule-failures/);
    const five = rowOf((await c.get('/schedules')).text, 'daily-slow');
    assert.equal([...five.matchAll(/class="badge badge-(done|failed|running|open|pending)">(?!active|paused)/g)].length, 5);
    assert.ok(!five.includes(good), 'the oldest firing is no longer listed');
  });

  test('a real scheduler firing every second: its run shows on the page with a link', async () => {
    await addSchedule('every-second', hello, { cron: '* * * * * *' });
    const scheduler = new Scheduler(engine);
    scheduler.start();
    let key: string | null = null;
    try {
      // Waits for the first firing that made a run (bounded: a stuck scheduler fails the test, it does not hang it).
      for (let i = 0; i < 300 && !key; i++) {
        key = (await engine.store.schedules.firings('every-second', 10)).find((f) => f.status === 'fired')?.run ?? null;
        if (!key) await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await scheduler.stop();
    }
    assert.ok(key, 'the scheduler fired and made a run');
    assert.equal((await engine.get(key)).workflow, 'hello');
    const row = rowOf((await c.get('/schedules')).text, 'every-second');
    assert.match(row, /<code>\* \* \* \* \* \*<\/code>/);
    // Seconds matter for this one: its times show them.
    assert.ok(times(row).every((t) => /^\w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(t.text)));
    // SQLite runs it here (done, or still running); PostgreSQL queues it for a worker, and none runs in this test.
    const want = backend === 'postgres' ? /queued/ : /done|running/;
    assert.match(row, new RegExp(`<a href="/wf/hello/runs/${key}"><code>${key}</code></a> <span class="badge badge-\\w+">(${want.source})</span>`));
    await engine.store.schedules.remove('every-second');
  });

  test('Pause and Resume: plain posts come back to the page saying so; htmx gets the table and the news', async () => {
    const r = await c.post('/schedules/monday-hello/pause');
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/schedules?done=paused&name=monday-hello');
    assert.ok((await engine.store.schedules.get('monday-hello'))!.paused);
    const page = await c.get(r.headers.get('location')!);
    assert.match(page.text, /<div id="schedules-status" role="status"><p class="notice">Schedule <code>monday-hello<\/code> is paused/);
    const row = rowOf(page.text, 'monday-hello');
    assert.match(row, /<span class="badge badge-pending">paused<\/span>/);
    assert.match(row, /none while paused/);
    assert.match(row, /action="\/schedules\/monday-hello\/resume"[\s\S]*?>Resume<span class="visually-hidden"> monday-hello<\/span>/);

    const again = await c.post('/schedules/monday-hello/pause');
    assert.equal(again.headers.get('location'), '/schedules?done=unchanged&name=monday-hello');

    // htmx: the section to swap, and the news for the live region (out of band); no whole page.
    const hx = await c.post('/schedules/monday-hello/resume', {}, { hx: true });
    assert.equal(hx.status, 200);
    assert.match(hx.text, /^<section id="schedules"/);
    assert.match(hx.text, /<div id="schedules-status" role="status" hx-swap-oob="innerHTML"><p class="notice">Schedule <code>monday-hello<\/code> is active again/);
    assert.doesNotMatch(hx.text, /<html/);
    assert.match(rowOf(hx.text, 'monday-hello'), /id="schedule-monday-hello-toggle"[^>]*>Pause/);
    assert.equal((await engine.store.schedules.get('monday-hello'))!.paused, null);
    // A stale notice URL says nothing untrue.
    assert.doesNotMatch((await c.get('/schedules?done=paused&name=monday-hello')).text, /is paused/);
  });

  test('Remove asks first on its own page; only that form removes; the runs stay', async () => {
    const runs = (await engine.store.schedules.firings('daily-slow', 10)).flatMap((f) => (f.run ? [f.run] : []));
    assert.ok(runs.length > 0);
    const confirm = await c.get('/schedules/daily-slow/remove');
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /<h1 id="confirm-title">Remove schedule <code>daily-slow<\/code>\?<\/h1>/);
    assert.match(confirm.text, /The runs it\s+made are kept/);
    assert.match(confirm.text, /<input type="hidden" name="confirm" value="daily-slow"\/>/);

    const unconfirmed = await c.post('/schedules/daily-slow/remove');
    assert.equal(unconfirmed.status, 303);
    assert.equal(unconfirmed.headers.get('location'), '/schedules/daily-slow/remove');
    assert.ok(await engine.store.schedules.get('daily-slow'), 'not removed yet');

    const done = await c.post('/schedules/daily-slow/remove', { confirm: 'daily-slow' });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get('location'), '/schedules?done=removed&name=daily-slow');
    assert.equal(await engine.store.schedules.get('daily-slow'), undefined);
    for (const k of runs) assert.equal((await engine.get(k)).key, k, `run ${k} is kept`);
    const page = await c.get(done.headers.get('location')!);
    assert.match(page.text, /Schedule <code>daily-slow<\/code> was removed\. The runs it made are kept\./);
    assert.doesNotMatch(page.text, /id="schedule-daily-slow"/);
  });

  test('posts without the CSRF token, or from another site, are refused; nothing changes', async () => {
    for (const path of ['/schedules/monday-hello/pause', '/schedules/monday-hello/remove']) {
      const noToken = await fetch(app.base + path, { method: 'POST', headers: { Origin: app.base, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'confirm=monday-hello', redirect: 'manual' });
      assert.equal(noToken.status, 403, path);
      const forged = await fetch(app.base + path, { method: 'POST', headers: { Origin: app.base, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'confirm=monday-hello&_csrf=0123456789abcdef', redirect: 'manual' });
      assert.equal(forged.status, 403, path);
      const crossSite = await fetch(app.base + path, { method: 'POST', headers: { Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' }, body: `confirm=monday-hello&_csrf=${c.csrf}`, redirect: 'manual' });
      assert.equal(crossSite.status, 403, path);
    }
    const s = await engine.store.schedules.get('monday-hello');
    assert.ok(s, 'still there');
    assert.equal(s.paused, null, 'not paused');
  });

  test('an unknown schedule is a 404 page', async () => {
    for (const path of ['/schedules/nope', '/schedules/nope/remove']) {
      const r = await c.get(path);
      assert.equal(r.status, 404, path);
      assert.match(r.text, /<h1>Not found<\/h1>/);
      assert.match(r.text, /No schedule &quot;nope&quot;/);
    }
    for (const path of ['/schedules/nope/pause', '/schedules/nope/resume', '/schedules/nope/remove']) {
      assert.equal((await c.post(path, { confirm: 'nope' })).status, 404, path);
    }
    assert.equal((await c.post('/schedules/nope/pause', {}, { hx: true })).status, 404);
  });
}));
