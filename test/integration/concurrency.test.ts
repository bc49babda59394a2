// Many writers at once, all real: the run key travels in every request (two tabs on two runs
// never cross-write), and a running `railbook serve` shares its data folder with several
// `railbook run` processes at the same time — busy-wait, no lost writes, no SQLITE_BUSY.
// Every write must hold on both backends: each suite runs on SQLite and on PostgreSQL (the CLI
// children get RAILBOOK_DATABASE_URL), except the real browser's, which tests tabs, not the store.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { Engine } from '../../src/engine/engine.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import { startServer, type RunningServer } from '../../src/web/server.ts';
import { Store } from '../../src/store/store.ts';
import { forEachBackend, type Backend } from '../helpers/backends.ts';
import { BIN, cleanEnv, cliData, ROOT, type CliData } from '../helpers/railbook-cli.ts';
import { FIXTURE_WORKFLOWS_DIR, tempEngine, type TempEngine } from '../helpers/temp-engine.ts';

const WORKFLOWS = [path.join(ROOT, 'workflows'), FIXTURE_WORKFLOWS_DIR].join(path.delimiter);
const CHROMIUM = process.env.RAILBOOK_CHROMIUM ?? '/usr/bin/chromium';

/** A browser-like client of one tab: same-origin POSTs carrying the page's CSRF token. */
class Tab {
  constructor(readonly base: string, readonly csrf: string) {}

  static async open(base: string): Promise<Tab> {
    const page = await (await fetch(`${base}/`)).text();
    return new Tab(base, /<meta name="csrf-token" content="([^"]+)"/.exec(page)![1]!);
  }

  async post(p: string, fields: Record<string, string>, hx = false): Promise<{ status: number; text: string; location: string | null }> {
    const headers: Record<string, string> = { Origin: this.base, ...(hx ? { 'HX-Request': 'true', 'X-CSRF-Token': this.csrf } : {}) };
    const r = await fetch(this.base + p, { method: 'POST', headers, body: new URLSearchParams({ ...fields, _csrf: this.csrf }), redirect: 'manual' });
    return { status: r.status, text: await r.text(), location: r.headers.get('location') };
  }

  /** "+ New run" on the landing page: the server picks the key. */
  async newRun(wf: string): Promise<string> {
    const r = await this.post(`/wf/${wf}/runs`, { key: '', action: 'new' });
    assert.equal(r.status, 303, r.text.slice(0, 200));
    return decodeURIComponent(/\/runs\/([^/?#]+)$/.exec(r.location!)![1]!);
  }

  async run(key: string): Promise<RunState> {
    const r = await fetch(`${this.base}/api/runs/${encodeURIComponent(key)}`);
    assert.equal(r.status, 200, `GET /api/runs/${key}`);
    return (await r.json()) as RunState;
  }
}

/** A server on a fresh engine of the backend, for the duration of a suite. */
function serverFor(backend: Backend): { t: () => TempEngine; base: () => string } {
  let t: TempEngine | undefined;
  let server: RunningServer | undefined;
  before(async () => {
    t = await tempEngine({ backend });
    server = await startServer({ engine: t.engine, port: 0 });
  });
  after(async () => {
    await server?.close();
    await t?.close();
  });
  return { t: () => t!, base: () => `http://127.0.0.1:${server!.port}` };
}

forEachBackend((backend) => describe(`two tabs on two runs, one server (${backend})`, () => {
  const app = serverFor(backend);
  let engine: Engine;
  let base: string;
  before(() => {
    engine = app.t().engine;
    base = app.base();
  });

  test('interleaved submits: each run keeps its own values and its own suggestions', async () => {
    const [a, b] = [await Tab.open(base), await Tab.open(base)];
    const ka = await a.newRun('hello');
    const kb = await b.newRun('hello');
    assert.notEqual(ka, kb);

    assert.equal((await a.post(`/wf/hello/runs/${ka}/steps/name`, { name: 'Alice' }, true)).status, 200);
    const rb = await b.post(`/wf/hello/runs/${kb}/steps/name`, { name: 'Bob' }, true);
    assert.equal(rb.status, 200);
    // Each tab's next form is suggested from its own run, not from the last request the server saw.
    assert.match(rb.text, /value="Hello, Bob!"/);
    const pageA = await (await fetch(`${base}/wf/hello/runs/${ka}`)).text();
    assert.match(pageA, /value="Hello, Alice!"/);
    assert.doesNotMatch(pageA, /Bob/);

    assert.equal((await b.post(`/wf/hello/runs/${kb}/steps/greeting`, { greeting: 'Yo Bob' })).status, 303);
    assert.equal((await a.post(`/wf/hello/runs/${ka}/steps/greeting`, { greeting: 'Hi Alice' })).status, 303);
    // Tab B reverts its run: tab A's run is untouched.
    assert.equal((await b.post(`/wf/hello/runs/${kb}/steps/name/revert`, { confirm: 'yes' })).status, 303);

    const [sa, sb] = [await a.run(ka), await b.run(kb)];
    assert.deepEqual([sa.steps.name!.output, sa.steps.greeting!.output], [{ name: 'Alice' }, { greeting: 'Hi Alice', length: 8 }]);
    assert.equal(sb.steps.name!.status, 'pending');
    assert.deepEqual(sb.steps.name!.input, { name: 'Bob' });
    assert.equal(sb.steps.greeting!.input, null);
    assert.deepEqual((await engine.store.events.forRun(ka)).map((e) => e.type).reverse(), ['created', 'submitted', 'submitted', 'completed']);
    assert.deepEqual((await engine.store.events.forRun(kb)).map((e) => e.type).reverse(), ['created', 'submitted', 'submitted', 'completed', 'reverted']);
  });

  test('twenty runs submitted all at once each get exactly their own input', async () => {
    const tab = await Tab.open(base);
    const keys = await Promise.all(Array.from({ length: 20 }, () => tab.newRun('hello')));
    assert.equal(new Set(keys).size, 20, 'twenty distinct keys');
    const names = keys.map((_k, i) => `Person ${i}`);
    const answers = await Promise.all(keys.map((k, i) => tab.post(`/wf/hello/runs/${k}/steps/name`, { name: names[i]! }, true)));
    for (const [i, r] of answers.entries()) {
      assert.equal(r.status, 200);
      assert.match(r.text, new RegExp(`value="Hello, ${names[i]}!"`), 'the answer is about the run that was asked about');
    }
    await Promise.all(keys.map((k, i) => tab.post(`/wf/hello/runs/${k}/steps/greeting`, { greeting: `Hi ${names[i]}` })));
    for (const [i, k] of keys.entries()) {
      const st = await tab.run(k);
      assert.deepEqual(st.steps.name!.output, { name: names[i] }, k);
      assert.deepEqual(st.steps.greeting!.output, { greeting: `Hi ${names[i]}`, length: `Hi ${names[i]}`.length }, k);
    }
  });

  test('tabs on the same run uploading to the same step at once: exactly one wins, the others get 409, one event', async (t) => {
    const tab = await Tab.open(base);
    const key = await tab.newRun('widgets');
    const before: Record<string, Record<string, unknown>> = {
      title: { title: 'T' }, notes: { notes: 'n' }, colour: { colour: 'red' }, toppings: { toppings: ['cheese'] },
      size: { size: 's' }, level: { level: 1 }, notify: { notify: false },
    };
    for (const [step, input] of Object.entries(before)) await (await engine.submit(key, step, input)).completion;
    // Uploads are stored before the run is changed: the slow part, where requests overlap.
    const answers = await Promise.all(Array.from({ length: 8 }, async (_v, i) => {
      const form = new FormData();
      form.set('_csrf', tab.csrf);
      form.set('file', new File([Buffer.alloc(256 * 1024, i)], `racer-${i}.bin`));
      const r = await fetch(`${base}/wf/widgets/runs/${key}/steps/upload`, { method: 'POST', body: form, headers: { Origin: base, 'HX-Request': 'true' } });
      return { status: r.status, text: await r.text() };
    }));
    const won = answers.flatMap((r, i) => (r.status === 200 ? [i] : []));
    assert.equal(won.length, 1, `one upload wins (statuses: ${answers.map((r) => r.status).join(', ')})`);
    for (const r of answers) if (r.status !== 200) assert.equal(r.status, 409);
    const st = await tab.run(key);
    assert.equal((st.steps.upload!.output as { file: { name: string } }).file.name, `racer-${won[0]}.bin`);
    assert.equal((await engine.store.events.forRun(key)).filter((e) => e.step === 'upload').length, 1, 'one submitted event');
    await t.test('the refused uploads leave no files behind', () => {
      const ref = (st.steps.upload!.output as { file: { path: string } }).file;
      assert.deepEqual(readdirSync(path.join(engine.store.dataDir, 'artifacts', key)), [path.basename(ref.path)]);
    });
  });

  test('two tabs showing the same suggested key each get their own new run when they press Open', async () => {
    const [a, b] = [await Tab.open(base), await Tab.open(base)];
    const shown = async () => {
      const page = await (await fetch(`${base}/wf/hello`)).text();
      return /name="suggested" value="([^"]+)"/.exec(page)![1]!;
    };
    const [sa, sb] = [await shown(), await shown()];
    assert.equal(sa, sb, 'both landing pages suggest the same next key');
    const ra = await a.post('/wf/hello/runs', { key: sa, suggested: sa, action: 'open' });
    const rb = await b.post('/wf/hello/runs', { key: sb, suggested: sb, action: 'open' });
    assert.equal(ra.status, 303);
    assert.equal(rb.status, 303);
    assert.notEqual(ra.location, rb.location, 'the second tab got a run of its own');
    assert.equal((await engine.store.events.forRun(sa)).filter((e) => e.type === 'created').length, 1);
    // Typing an existing key on purpose still resumes it.
    const again = await b.post('/wf/hello/runs', { key: sa, suggested: 'default-hello-999', action: 'open' });
    assert.equal(again.location, ra.location);
  });

  test('switching the profile in one tab does not move another tab\'s run', async () => {
    const [a, b] = [await Tab.open(base), await Tab.open(base)];
    const ka = await a.newRun('hello');
    assert.equal((await b.post('/profiles', { name: 'other', back: '/' })).status, 303);
    assert.equal(await engine.store.profiles.current(), 'other');
    assert.equal((await a.post(`/wf/hello/runs/${ka}/steps/name`, { name: 'Still me' })).status, 303);
    const st = await a.run(ka);
    assert.equal(st.key, ka);
    assert.equal(st.profile, 'default', 'the run keeps the profile it was created in');
    assert.equal((await engine.store.runs.summary(ka))!.profile, 'default');
    assert.match(await b.newRun('hello'), /^other-hello-01$/);
    await engine.store.profiles.switch('default');
  });
}));

// The browser's side of two tabs (one session, two runs): on one backend, the store's side is above.
describe('two real Chromium tabs, one server', () => {
  const app = serverFor('sqlite');

  test('two real Chromium tabs (one browser session) on two runs, used in turn', { timeout: 60_000 }, async () => {
    const [engine, base] = [app.t().engine, app.base()];
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
      const context = await browser.newContext();
      const [p1, p2] = [await context.newPage(), await context.newPage()];
      const newRun = async (page: typeof p1) => {
        await page.goto(`${base}/wf/hello`);
        await page.getByRole('button', { name: '+ New run' }).click();
        await page.waitForURL(/\/wf\/hello\/runs\/[^/]+$/);
        return decodeURIComponent(page.url().split('/').at(-1)!);
      };
      const k1 = await newRun(p1);
      const k2 = await newRun(p2);
      assert.notEqual(k1, k2);
      const submitName = async (page: typeof p1, name: string) => {
        await page.getByLabel('Your name', { exact: true }).fill(name);
        await page.locator('#step-name').getByRole('button', { name: 'Continue' }).click();
        await page.getByLabel('Greeting', { exact: true }).waitFor();
      };
      await submitName(p1, 'Tab One');
      await submitName(p2, 'Tab Two');
      assert.equal(await p1.getByLabel('Greeting', { exact: true }).inputValue(), 'Hello, Tab One!');
      assert.equal(await p2.getByLabel('Greeting', { exact: true }).inputValue(), 'Hello, Tab Two!');
      // Finish tab two first, then tab one.
      await p2.locator('#step-greeting').getByRole('button', { name: 'Run' }).click();
      await p2.locator('#run-finish').waitFor();
      await p1.getByLabel('Greeting', { exact: true }).fill('One says hi');
      await p1.locator('#step-greeting').getByRole('button', { name: 'Run' }).click();
      await p1.locator('#run-finish').waitFor();
      await p1.reload();
      assert.match(await p1.locator('#step-greeting').innerText(), /One says hi/);
      assert.doesNotMatch(await p1.locator('#steps').innerText(), /Tab Two/);
      assert.deepEqual((await engine.get(k1)).steps.greeting!.output, { greeting: 'One says hi', length: 11 });
      assert.deepEqual((await engine.get(k2)).steps.greeting!.output, { greeting: 'Hello, Tab Two!', length: 15 });
      assert.deepEqual((await engine.get(k1)).steps.name!.output, { name: 'Tab One' });
      assert.deepEqual((await engine.get(k2)).steps.name!.output, { name: 'Tab Two' });
    } finally {
      await browser?.close();
    }
  });
});

interface Proc {
  code: number | null;
  stdout: string;
  stderr: string;
}

function railbook(d: CliData, args: string[]): { child: ChildProcessWithoutNullStreams; done: Promise<Proc> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(d.env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  const done = new Promise<Proc>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

// A writer that gave up on a lock: SQLite's busy errors, PostgreSQL's deadlock and serialisation ones.
const BUSY = /SQLITE_BUSY|database is locked|SQLITE_LOCKED|deadlock detected|could not serialize|lock timeout/i;

forEachBackend((backend) => describe(`one store, many writers (${backend})`, () => {
  test('a server and several `railbook run` processes on one store at once: every run complete, keys dense and distinct, no lost write, no lock error', { timeout: 120_000 }, async () => {
    const d = await cliData(backend, 'railbook-hammer-');
    const dirArgs = ['--data-dir', d.dir, '--workflows-dir', WORKFLOWS];
    const serve = railbook(d, ['serve', '--port', '0', '--no-open', ...dirArgs]);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('serve printed no URL in 30 s')), 30_000);
        let out = '';
        serve.child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          const m = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
          if (m) { clearTimeout(timer); resolve(m[1]!); }
        });
        void serve.done.then((r) => { clearTimeout(timer); reject(new Error(`serve exited (${r.code}): ${r.stderr}`)); });
      });
      const tab = await Tab.open(url);

      // The CLI's writers: slow jobs (a background step that writes progress) and hello jobs.
      const jobs = [
        ...[0, 1, 2].map((i) => ({ workflow: 'slow', inputs: { count: { steps: 40, delay: 15 }, check: { word: `cli-slow-${i}` } } })),
        ...[0, 1, 2].map((i) => ({ workflow: 'hello', inputs: { name: { name: `cli-hello-${i}` } } })),
      ];
      const files = jobs.map((job, i) => {
        const f = path.join(d.dir, `job-${i}.json`);
        writeFileSync(f, JSON.stringify(job));
        return f;
      });
      let cliOver = false;
      const cli = Promise.all(files.map((f) => railbook(d, ['run', f, ...dirArgs]).done)).finally(() => { cliOver = true; });

      // Meanwhile, the web: a long step of its own, then hello runs one after another, while
      // another loop keeps reading every run through the server (its reads reap dead steps:
      // they must not mistake the CLI's live steps for dead ones).
      const webSlow = await tab.newRun('slow');
      const slowSubmit = await tab.post(`/wf/slow/runs/${webSlow}/steps/count`, { steps: '60', delay: '20' }, true);
      assert.equal(slowSubmit.status, 200);
      const web = (async () => {
        const made: { key: string; name: string }[] = [];
        while (!cliOver || made.length < 5) {
          const name = `web-${made.length}`;
          const key = await tab.newRun('hello');
          assert.equal((await tab.post(`/wf/hello/runs/${key}/steps/name`, { name }, true)).status, 200);
          assert.equal((await tab.post(`/wf/hello/runs/${key}/steps/greeting`, { greeting: `Hi ${name}` })).status, 303);
          made.push({ key, name });
        }
        return made;
      })();
      const reader = (async () => {
        const store = await Store.open(d.dir, { databaseUrl: d.databaseUrl });
        let reads = 0;
        try {
          while (!cliOver) {
            for (const r of await store.runs.list()) {
              await tab.run(r.key);
              reads++;
            }
            await new Promise((res) => setTimeout(res, 20));
          }
        } finally {
          await store.close();
        }
        return reads;
      })();

      const results = await cli;
      for (const [i, r] of results.entries()) {
        assert.equal(r.code, 0, `CLI job ${i}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, BUSY);
      }
      const webRuns = await web;
      assert.ok((await reader) > 0, 'the server was read from while the CLI wrote');
      const slowDone = await (async () => {
        const until = Date.now() + 60_000;
        for (;;) {
          const st = await tab.run(webSlow);
          if (st.steps.count!.status !== 'running') return st;
          assert.ok(Date.now() < until, 'the web\'s long step ends');
          await new Promise((res) => setTimeout(res, 50));
        }
      })();
      assert.equal(slowDone.steps.count!.status, 'done');
      assert.deepEqual(slowDone.steps.count!.output, { counted: 60 });

      const cliKeys = results.map((r) => r.stdout.trim().split('\n').at(-1)!);
      const store = await Store.open(d.dir, { databaseUrl: d.databaseUrl });
      try {
        // Keys: every number handed out once, none skipped, across both kinds of writer.
        const all = await store.runs.list();
        const hello = all.filter((r) => r.workflow === 'hello').map((r) => r.key).sort();
        const slow = all.filter((r) => r.workflow === 'slow').map((r) => r.key).sort();
        const dense = (wf: string, n: number) => Array.from({ length: n }, (_v, i) => `default-${wf}-${String(i + 1).padStart(2, '0')}`).sort();
        assert.deepEqual(hello, dense('hello', 3 + webRuns.length));
        assert.deepEqual(slow, dense('slow', 4));
        assert.deepEqual([...cliKeys, ...webRuns.map((w) => w.key), webSlow].sort(), [...hello, ...slow].sort());

        // Every run complete, with its own values, and its full history.
        for (const [i, key] of cliKeys.entries()) {
          const st = (await store.runs.get(key))!;
          const job = jobs[i]!;
          const types = (await store.events.forRun(key)).map((e) => e.type).reverse();
          if (job.workflow === 'slow') {
            assert.deepEqual(st.steps.check!.output, { word: `cli-slow-${i}`, counted: 40 }, key);
            assert.deepEqual(types, ['created', 'submitted', 'completed', 'submitted', 'completed'], key);
          } else {
            assert.deepEqual(st.steps.name!.output, { name: (job.inputs as { name: { name: string } }).name.name }, key);
            assert.deepEqual(types, ['created', 'submitted', 'submitted', 'completed'], key);
          }
          // The server sees what the CLI wrote.
          const viaServer = await tab.run(key);
          assert.deepEqual(viaServer.steps, st.steps);
        }
        for (const { key, name } of webRuns) {
          const st = (await store.runs.get(key))!;
          assert.deepEqual(st.steps.greeting!.output, { greeting: `Hi ${name}`, length: `Hi ${name}`.length }, key);
          assert.deepEqual((await store.events.forRun(key)).map((e) => e.type).reverse(), ['created', 'submitted', 'submitted', 'completed'], key);
        }
        const bad = await store.sql.all("SELECT run, type, step FROM events WHERE type IN ('interrupted', 'failed', 'cancelled')");
        assert.deepEqual(bad, [], 'no step was interrupted, failed or cancelled');
        assert.deepEqual(await store.executions.all(), [], 'no execution left claimed');
      } finally {
        await store.close();
      }
    } finally {
      serve.child.kill('SIGTERM');
      const end = await serve.done;
      await d.cleanup();
      assert.equal(end.code, 0, end.stderr);
      assert.doesNotMatch(end.stderr, BUSY);
    }
  });
}));
