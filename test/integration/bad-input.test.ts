// Bad requests over real HTTP (a real server on an ephemeral loopback port, a real SQLite file in
// a temp folder): unknown names, rules the server must enforce by itself (finalized runs, order
// of steps), malformed and oversized bodies. Each gets a clear 4xx, and after each one the
// database is exactly as it was: no run, state or event written, nothing already saved lost.
// On both backends: "nothing written" is checked in the store itself.
import { request as httpRequest } from 'node:http';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import { Registry } from '../../src/engine/registry.ts';
import { workflow } from '../../src/engine/workflow.ts';
import { Store } from '../../src/store/store.ts';
import { text } from '../../src/widgets/index.ts';
import { startServer } from '../../src/web/server.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/temp-engine.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

forEachBackend((backend) => describe(`bad input (${backend})`, () => {
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

  interface Answer {
    status: number;
    text: string;
    headers: Headers;
  }

  /** A same-origin POST as the app's own pages make it; `hx` sends it the way htmx does (token in a header). */
  async function post(p: string, body: BodyInit | Record<string, string> | [string, string][], opts: { hx?: boolean; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { Origin: base, ...(opts.hx ? { 'HX-Request': 'true', 'X-CSRF-Token': csrf } : {}), ...opts.headers };
    let b: BodyInit;
    if (Array.isArray(body)) b = new URLSearchParams([...body, ...(opts.hx ? [] : [['_csrf', csrf] as [string, string]])]);
    else if (typeof body === 'object' && body !== null && Object.getPrototypeOf(body) === Object.prototype) b = new URLSearchParams({ ...(body as Record<string, string>), ...(opts.hx ? {} : { _csrf: csrf }) });
    else b = body as BodyInit;
    const r = await fetch(base + p, { method: 'POST', body: b, headers, redirect: 'manual' });
    return { status: r.status, text: await r.text(), headers: r.headers };
  }

  /** Everything a request could have changed: every run's state, every event, every artifact file. */
  async function snapshot(): Promise<{ runs: unknown[]; events: unknown[]; artifacts: string[] }> {
    const db = engine.store.sql;
    const dir = path.join(engine.store.dataDir, 'artifacts');
    let artifacts: string[] = [];
    try {
      artifacts = readdirSync(dir, { recursive: true }).map(String).sort();
    } catch {
      // no artifacts folder yet
    }
    return {
      runs: await db.all('SELECT key, workflow, profile, number, created, updated, finalized, state FROM runs ORDER BY key'),
      events: await db.all('SELECT * FROM events ORDER BY id'),
      artifacts,
    };
  }

  /** Runs the requests, then checks nothing at all changed. */
  async function changesNothing(what: string, fn: () => Promise<void>): Promise<void> {
    const before = await snapshot();
    await fn();
    assert.deepEqual(await snapshot(), before, `${what}: nothing in the data folder changed`);
  }

  async function doneHello(key: string, name = 'Ada'): Promise<void> {
    await engine.open('hello', { key });
    await (await engine.submit(key, 'name', { name })).completion;
    await (await engine.submit(key, 'greeting', { greeting: `Hello, ${name}!` })).completion;
  }

  describe('unknown names', () => {
    test('an unknown workflow, run or step is a 404 that says what is unknown, and creates nothing', async () => {
      await engine.open('hello', { key: 'names-1' });
      await (await engine.submit('names-1', 'name', { name: 'Ada' })).completion;
      await changesNothing('unknown names', async () => {
        const cases: [string, RegExp][] = [
          ['/wf/nope/runs', /no workflow &quot;nope&quot;/i],
          ['/wf/nope/runs/names-1/steps/greeting', /no workflow &quot;nope&quot;/i],
          ['/wf/hello/runs/no-such-run/steps/name', /no run &quot;no-such-run&quot;/i],
          ['/wf/hello/runs/no-such-run/finalize', /no run &quot;no-such-run&quot;/i],
          ['/wf/hello/runs/names-1/steps/nope', /has no step &quot;nope&quot;/i],
          ['/wf/hello/runs/names-1/steps/nope/revert', /has no step &quot;nope&quot;/i],
          ['/wf/hello/runs/names-1/steps/nope/cancel', /has no step &quot;nope&quot;/i],
        ];
        for (const [p, message] of cases) {
          for (const hx of [false, true]) {
            const r = await post(p, { name: 'Mallory', greeting: 'Hi' }, { hx });
            assert.equal(r.status, 404, `${p} (hx: ${hx}) → ${r.status}: ${r.text.slice(0, 200)}`);
            assert.match(hx ? r.text.replace(/"/g, '&quot;') : r.text, message, p);
          }
        }
        const api = await fetch(`${base}/api/runs/no-such-run`);
        assert.equal(api.status, 404);
        assert.equal(((await api.json()) as { code: string }).code, 'not_found');
      });
      assert.equal(await engine.store.runs.exists('no-such-run'), false, 'a POST to an unknown run does not create it');
    });

    test('a run addressed under another workflow\'s URL is refused with 409, unchanged', async () => {
      await doneHello('names-2');
      await engine.open('slow', { key: 'names-slow' });
      await changesNothing('wrong workflow in the URL', async () => {
        for (const p of ['/wf/slow/runs/names-2/steps/name/revert', '/wf/slow/runs/names-2/finalize', '/wf/hello/runs/names-slow/steps/count']) {
          const r = await post(p, { steps: '1', delay: '0', name: 'x' });
          assert.ok(r.status === 409 || r.status === 404, `${p} → ${r.status}`);
          assert.match(r.text, /belongs to workflow|has no step/i, p);
        }
      });
    });
  });

  describe('rules the server enforces by itself (a raw POST skips the UI)', () => {
    test('a finalized run refuses submit, revert and stop — htmx or plain — at 409, and nothing changes', async () => {
      await doneHello('locked-1');
      const fin = await post('/wf/hello/runs/locked-1/finalize', {});
      assert.equal(fin.status, 303);
      assert.ok((await engine.get('locked-1')).finalized);
      await changesNothing('posts to a finalized run', async () => {
        const attempts: [string, Record<string, string>][] = [
          ['/wf/hello/runs/locked-1/steps/greeting', { greeting: 'Changed!' }],
          ['/wf/hello/runs/locked-1/steps/name', { name: 'Mallory' }],
          ['/wf/hello/runs/locked-1/steps/name/revert', {}],
          ['/wf/hello/runs/locked-1/steps/greeting/revert', {}],
          ['/wf/hello/runs/locked-1/steps/greeting/cancel', {}],
          ['/wf/hello/runs/locked-1/finalize', {}],
        ];
        for (const [p, fields] of attempts) {
          for (const hx of [false, true]) {
            const r = await post(p, fields, { hx });
            if (p.endsWith('/cancel')) {
              // Nothing is running: there is nothing to stop, and saying so changes nothing.
              assert.ok(r.status < 500, `${p} → ${r.status}`);
              continue;
            }
            if (p.endsWith('/finalize')) {
              assert.ok(r.status < 400, `finalizing again is harmless (${r.status})`);
              continue;
            }
            assert.equal(r.status, 409, `${p} (hx: ${hx}) → ${r.status}`);
            assert.match(r.text, /class="notice"[^>]*>[^<]*is finalized/i, `${p}: the page says why`);
          }
        }
      });
      const st = await engine.get('locked-1');
      assert.deepEqual(st.steps.greeting!.output, { greeting: 'Hello, Ada!', length: 11 });
      // Unfinalize, and the same run takes changes again.
      assert.equal((await post('/wf/hello/runs/locked-1/unfinalize', {})).status, 303);
      assert.equal((await post('/wf/hello/runs/locked-1/steps/greeting/revert', { confirm: 'yes' })).status, 303);
      assert.equal((await engine.get('locked-1')).steps.greeting!.status, 'pending');
    });

    test('a finalized run stays locked even when its workflow gained a step since (the new step cannot be submitted)', async () => {
      const v1 = workflow({ id: 'grows', title: 'Grows' }).step({ id: 'a', title: 'A', fields: { a: text({ label: 'A' }) } });
      const v2 = workflow({ id: 'grows', title: 'Grows' })
        .step({ id: 'a', title: 'A', fields: { a: text({ label: 'A' }) } })
        .step({ id: 'b', title: 'B', fields: { b: text({ label: 'B' }) } });
      const tmp = tempDir('railbook-grows-');
      const db = backend === 'postgres' ? await freshDatabase() : undefined;
      const first = await Engine.start(await Store.open(tmp.dir, { databaseUrl: db?.url }), new Registry([v1]));
      await first.open('grows', { key: 'grows-1' });
      await (await first.submit('grows-1', 'a', { a: 'x' })).completion;
      await first.finalize('grows-1');
      await first.shutdown();
      await first.store.close();
      // The workflow file is edited (a step added) and the app restarted on the same data.
      const second = await Engine.start(await Store.open(tmp.dir, { databaseUrl: db?.url }), new Registry([v2]));
      const srv = await startServer({ engine: second, port: 0 });
      try {
        const b = `http://127.0.0.1:${srv.port}`;
        const token = /<meta name="csrf-token" content="([^"]+)"/.exec(await (await fetch(`${b}/wf/grows`)).text())![1]!;
        const before = await second.store.sql.all('SELECT state FROM runs');
        const r = await fetch(`${b}/wf/grows/runs/grows-1/steps/b`, { method: 'POST', headers: { Origin: b }, body: new URLSearchParams({ b: 'sneaked in', _csrf: token }), redirect: 'manual' });
        assert.equal(r.status, 409);
        assert.match(await r.text(), /class="notice"[^>]*>[^<]*is finalized/i);
        assert.deepEqual(await second.store.sql.all('SELECT state FROM runs'), before);
        assert.equal((await second.get('grows-1')).steps.b?.status ?? 'pending', 'pending');
      } finally {
        await srv.close();
        await second.shutdown();
        await second.store.close();
        await db?.drop();
        tmp.cleanup();
      }
    });

    test('a step whose earlier steps are not done is refused at 409 (submit, revert, finalize), and nothing changes', async () => {
      await engine.open('hello', { key: 'order-1' });
      await changesNothing('out of order', async () => {
        for (const hx of [false, true]) {
          const g = await post('/wf/hello/runs/order-1/steps/greeting', { greeting: 'Hi' }, { hx });
          assert.equal(g.status, 409, `submit greeting first (hx: ${hx})`);
          assert.match(g.text, /cannot run before step (&quot;|")name(&quot;|")/i);
          const rv = await post('/wf/hello/runs/order-1/steps/greeting/revert', {}, { hx });
          assert.equal(rv.status, 409, 'revert to a step after the first open one');
          const f = await post('/wf/hello/runs/order-1/finalize', {}, { hx });
          assert.equal(f.status, 409, 'finalize an incomplete run');
          assert.match(f.text, /not done/i);
        }
      });
      assert.equal((await engine.get('order-1')).steps.greeting!.input, null);
    });

    test('a running step cannot be submitted again, nor the next one started, until it ends', async () => {
      await engine.open('slow', { key: 'order-slow' });
      const first = await post('/wf/slow/runs/order-slow/steps/count', { steps: '10000', delay: '20' }, { hx: true });
      assert.equal(first.status, 200);
      assert.equal((await engine.get('order-slow')).steps.count!.status, 'running');
      const startedAt = (await engine.get('order-slow')).steps.count!.startedAt;
      const again = await post('/wf/slow/runs/order-slow/steps/count', { steps: '1', delay: '0' }, { hx: true });
      assert.equal(again.status, 409);
      assert.match(again.text, /already running/i);
      const next = await post('/wf/slow/runs/order-slow/steps/check', { word: 'x' }, { hx: true });
      assert.equal(next.status, 409);
      const st = await engine.get('order-slow');
      assert.equal(st.steps.count!.startedAt, startedAt, 'the running step was not restarted');
      assert.deepEqual(st.steps.count!.input, { steps: 10000, delay: 20 });
      assert.equal(st.steps.check!.status, 'pending');
      assert.equal((await post('/wf/slow/runs/order-slow/steps/count/cancel', {}, { hx: true })).status, 200);
      assert.equal((await engine.get('order-slow')).steps.count!.status, 'cancelled');
    });
  });

  describe('malformed forms', () => {
    before(async () => {
      await engine.open('hello', { key: 'form-1' });
      await (await engine.submit('form-1', 'name', { name: 'Saved Name' })).completion;
    });

    const assertSavedIntact = async () => {
      const st = await engine.get('form-1');
      assert.deepEqual(st.steps.name!.output, { name: 'Saved Name' }, 'the step saved before is intact');
      assert.equal(st.steps.greeting!.status, 'pending');
    };

    test('a file where text is expected is refused at once (415), no field at all per field at 422', async () => {
      await changesNothing('wrong kinds of value', async () => {
        // A step without file fields takes no multipart body: refused before it is read.
        const f = new FormData();
        f.set('_csrf', csrf);
        f.set('greeting', new File(['Hello from a file'], 'greeting.txt', { type: 'text/plain' }));
        const file = await post('/wf/hello/runs/form-1/steps/greeting', f);
        assert.equal(file.status, 415, file.text.slice(0, 200));
        assert.match(file.text, /takes no files/);

        const missing = await post('/wf/hello/runs/form-1/steps/greeting', {}, { hx: true });
        assert.equal(missing.status, 422);
        assert.match(missing.text, /id="f-greeting-greeting-error"[^>]*>Enter some text/);

        // A JSON body is not a form: its fields are not read, so the required field is missing.
        const json = await post('/wf/hello/runs/form-1/steps/greeting', JSON.stringify({ greeting: 'Hi' }), { hx: true, headers: { 'Content-Type': 'application/json' } });
        assert.equal(json.status, 422);
      });
      await assertSavedIntact();
    });

    test('a field sent twice takes its first value only (as most servers do), recorded once', async () => {
      await engine.open('hello', { key: 'form-twice' });
      const r = await post('/wf/hello/runs/form-twice/steps/name', [['name', 'First'], ['name', 'Second']]);
      assert.equal(r.status, 303);
      const st = await engine.get('form-twice');
      assert.deepEqual(st.steps.name!.input, { name: 'First' });
      assert.deepEqual((await engine.store.events.forRun('form-twice')).map((e) => e.type), ['submitted', 'created']);
    });

    const garbage: [string, string, string][] = [
      ['multipart with a boundary that never comes', 'multipart/form-data; boundary=XyZ', 'not a multipart body at all\r\n--XyZ\r\ngarbage'],
      ['multipart without a boundary', 'multipart/form-data', 'greeting=Hi'],
      ['multipart cut off in the middle of a part', 'multipart/form-data; boundary=XyZ', '--XyZ\r\nContent-Disposition: form-data; name="greeting"\r\n\r\nHel'],
    ];

    test('garbage bodies are refused and change nothing', async () => {
      await changesNothing('garbage bodies', async () => {
        for (const [what, type, body] of garbage) {
          for (const hx of [false, true]) {
            const r = await post('/wf/hello/runs/form-1/steps/greeting', body, { hx, headers: { 'Content-Type': type } });
            assert.ok(r.status >= 400, `${what} (hx: ${hx}) → ${r.status}`);
          }
        }
      });
      await assertSavedIntact();
    });

    test('garbage bodies are the sender\'s fault: 400, not a server error', async () => {
      for (const [what, type, body] of garbage) {
        const r = await post('/wf/hello/runs/form-1/steps/greeting', body, { hx: true, headers: { 'Content-Type': type } });
        assert.ok(r.status >= 400 && r.status < 500, `${what} → ${r.status}: ${r.text.slice(0, 120)}`);
      }
    });
  });

  describe('oversized bodies', () => {
    const FIFTY_MB = 50 * 1024 * 1024;

    before(async () => {
      await engine.open('hello', { key: 'big-1' });
      await (await engine.submit('big-1', 'name', { name: 'Kept' })).completion;
    });

    test('a 50 MB text field is refused, and nothing is saved or lost', async () => {
      await changesNothing('a 50 MB field', async () => {
        const r = await post('/wf/hello/runs/big-1/steps/greeting', { greeting: 'x'.repeat(FIFTY_MB) }, { hx: true });
        assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`);
        const k = await post('/wf/hello/runs', { key: 'k'.repeat(FIFTY_MB), action: 'open' });
        assert.ok(k.status >= 400 && k.status < 500, `open with a 50 MB key: ${k.status}`);
      });
      assert.deepEqual((await engine.get('big-1')).steps.name!.output, { name: 'Kept' });
    });

    test('a request body far beyond any form is cut off with 413 before it is read into memory', async () => {
      await changesNothing('oversized bodies', async () => {
        for (const [p, fields] of [
          ['/wf/hello/runs/big-1/steps/greeting', { greeting: 'x'.repeat(FIFTY_MB) }],
          ['/wf/hello/runs/big-1/steps/greeting', { greeting: 'Hi', junk: 'x'.repeat(FIFTY_MB) }],
          ['/wf/hello/runs', { key: 'k'.repeat(FIFTY_MB), action: 'open' }],
        ] as [string, Record<string, string>][]) {
          const r = await post(p, fields, { hx: true });
          assert.equal(r.status, 413, `${p} → ${r.status}`);
          assert.ok(r.text.length < 10_000, `the answer is short (${r.text.length} characters), not the body echoed back`);
          assert.match(r.text, /too large.*Nothing was saved/);
          assert.ok(r.headers.get('content-security-policy'), 'the refusal carries the security headers');
        }
        // Without a Content-Length (chunked), the body is counted as it arrives and cut off too.
        const chunked = await new Promise<number>((resolve, reject) => {
          const req = httpRequest(`${base}/wf/hello/runs/big-1/steps/greeting`, {
            method: 'POST',
            headers: { Origin: base, 'HX-Request': 'true', 'X-CSRF-Token': csrf, 'Content-Type': 'application/x-www-form-urlencoded', 'Transfer-Encoding': 'chunked' },
          }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
          req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve(413) : reject(e)));
          req.write('greeting=');
          const chunk = 'x'.repeat(1024 * 1024);
          let sent = 0;
          const more = () => { while (sent < 8) { sent++; if (!req.write(chunk)) { req.once('drain', more); return; } } req.end(); };
          more();
        });
        assert.equal(chunked, 413);
      });
    });

    test('an upload within the largest file field\'s limit passes the size check', async () => {
      // The widgets workflow accepts files up to 100 MB: a 3 MB multipart body is not refused for size.
      const key = 'big-upload';
      await engine.open('widgets', { key });
      const form = new FormData();
      form.set('file', new File([Buffer.alloc(3 * 1024 * 1024, 1)], 'three-mb.bin'));
      const r = await post(`/wf/widgets/runs/${key}/steps/upload`, form, { hx: true });
      assert.notEqual(r.status, 413);
    });
  });
}));
