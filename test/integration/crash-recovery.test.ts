// Long steps outlive their HTTP client, and a server killed with SIGKILL mid-step comes back
// with every completed step intact and the killed step `interrupted`, ready to run again.
// The server is a real `railbook serve` in a child process, driven only over HTTP, on both
// backends: on SQLite the dead server is told by its pid, on PostgreSQL by its lease running out
// (the child is given a short one, RAILBOOK_LEASE, so the test does not wait 30 s for it).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Store } from '../../src/store/store.ts';
import { startServer } from '../../src/web/server.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { cliData, ROOT, type CliData } from '../helpers/railbook-cli.ts';
import { csrfFrom, newRun, postForm, runState, startServeProcess, waitFor, type ServeProcess } from '../helpers/serve-process.ts';
import { tempDir, tempEngine } from '../helpers/temp-engine.ts';


/** A workflow with a quick step, a long one and a last one, so a crash has something before and after it. */
function writeCrashWorkflow(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const engineApi = pathToFileURL(path.join(ROOT, 'src/engine/index.ts')).href;
  const widgets = pathToFileURL(path.join(ROOT, 'src/widgets/index.ts')).href;
  writeFileSync(path.join(dir, 'crash.ts'), `
import { workflow } from ${JSON.stringify(engineApi)};
import { range, text } from ${JSON.stringify(widgets)};
export default workflow({ id: 'crash', title: 'Crash test' })
  .step({ id: 'setup', title: 'Setup', fields: { label: text({ label: 'Label' }) } })
  .step({
    id: 'work',
    title: 'Long work',
    fields: {
      steps: range({ label: 'Steps', min: 1, max: 100000, initial: 10 }),
      delay: range({ label: 'Delay (ms)', min: 0, max: 1000, initial: 10 }),
    },
    run: async ({ input, progress, signal }) => {
      for (let i = 0; i < input.steps; i++) {
        signal.throwIfAborted();
        progress({ done: i, total: input.steps, message: 'working' });
        await new Promise((r) => setTimeout(r, input.delay));
      }
      return { counted: input.steps, pid: process.pid };
    },
  })
  .step({
    id: 'after',
    title: 'After',
    fields: { word: text({ label: 'Word' }) },
    run: ({ input, outputs }) => ({ word: input.word, counted: outputs.work.counted }),
  });
`);
}

forEachBackend((backend) => {
  describe(`crash recovery and detached steps (server in a child process, ${backend})`, () => {
    let data: CliData;
    const wfTmp = tempDir('railbook-crash-wf-');
    const wfDir = path.join(wfTmp.dir, 'workflows');
    let child: ServeProcess | undefined;
    /** The store the child uses, opened in this process. */
    const openStore = () => Store.open(data.dir, { databaseUrl: data.databaseUrl });

    before(async () => {
      data = await cliData(backend, 'railbook-crash-');
      writeCrashWorkflow(wfDir);
    });

    after(async () => {
      if (child && child.proc.exitCode === null) {
        child.proc.kill('SIGKILL');
        await child.exited;
      }
      await data?.cleanup();
      wfTmp.cleanup();
    });

    it('kill -9 mid-step: completed steps intact, the step interrupted, and it runs again to done', { timeout: 90_000 }, async () => {
      child = await startServeProcess(data, [wfDir]);
      let base = child.base;
      const csrf = await csrfFrom(base, '/wf/crash');
      const key = await newRun(base, 'crash', csrf);

      const setup = await postForm(base, `/wf/crash/runs/${key}/steps/setup`, { _csrf: csrf, label: 'kept' });
      assert.equal(setup.status, 303);
      const before1 = await runState(base, key);
      assert.equal(before1.steps.setup!.status, 'done');

      // A step of ~60 s: the submit answers while it runs.
      const work = await postForm(base, `/wf/crash/runs/${key}/steps/work`, { _csrf: csrf, steps: '3000', delay: '20' });
      assert.equal(work.status, 303);
      const running = await waitFor(base, key, (s) => s.steps.work!.status === 'running', 'the step to run');
      assert.equal(running.steps.work!.status, 'running');
      await new Promise((r) => setTimeout(r, 300));
      // The history as it stood when the process died.
      const historyBefore = await (async () => {
        const s = await openStore();
        try {
          return (await s.events.forRun(key)).reverse();
        } finally {
          await s.close();
        }
      })();
      assert.deepEqual(historyBefore.map((e) => [e.type, e.step]), [['created', null], ['submitted', 'setup'], ['submitted', 'work']]);

      child.proc.kill('SIGKILL');
      assert.equal(await child.exited, null, 'killed by a signal');

      child = await startServeProcess(data, [wfDir]);
      base = child.base;
      // SQLite: the pid is dead at once. PostgreSQL: the killed server's lease runs out within LEASE_S.
      const after1 = await waitFor(base, key, (s) => s.steps.work!.status !== 'running', 'the killed step to be taken for dead');
      assert.equal(after1.steps.setup!.status, 'done');
      assert.deepEqual(after1.steps.setup!.output, before1.steps.setup!.output);
      assert.deepEqual(after1.steps.setup!.output, { label: 'kept' });
      assert.equal(after1.steps.setup!.finishedAt, before1.steps.setup!.finishedAt);
      assert.equal(after1.steps.work!.status, 'interrupted');
      assert.deepEqual(after1.steps.work!.input, { steps: 3000, delay: 20 });
      assert.equal(after1.steps.after!.status, 'pending');

      const store = await openStore();
      try {
        const events = await store.events.forRun(key);
        assert.ok(events.some((e) => e.type === 'interrupted' && e.step === 'work'), `an interrupted event: ${JSON.stringify(events.map((e) => [e.type, e.step]))}`);
        // The history before the crash is intact, and the restart added exactly one event.
        assert.deepEqual(events.slice().reverse(), [...historyBefore, events[0]]);
        assert.equal(events[0]!.type, 'interrupted');
        assert.equal((await store.executions.all()).length, 0, 'no execution is claimed by the dead process any more');
      } finally {
        await store.close();
      }

      // The page still works with the token from before the crash (the secret is persisted).
      assert.equal(await csrfFrom(base, `/wf/crash/runs/${key}`), csrf);
      const again = await postForm(base, `/wf/crash/runs/${key}/steps/work`, { _csrf: csrf, steps: '3', delay: '10' });
      assert.equal(again.status, 303);
      const done = await waitFor(base, key, (s) => s.steps.work!.status === 'done', 'the re-run to finish');
      assert.equal((done.steps.work!.output as { counted: number }).counted, 3);
      const last = await postForm(base, `/wf/crash/runs/${key}/steps/after`, { _csrf: csrf, word: 'ok' });
      assert.equal(last.status, 303);
      const final = await waitFor(base, key, (s) => s.steps.after!.status === 'done', 'the last step');
      assert.deepEqual(final.steps.after!.output, { word: 'ok', counted: 3 });
      assert.deepEqual(final.steps.setup!.output, { label: 'kept' });
    });

    it('a long step keeps running when its HTTP client and its event stream go away', { timeout: 60_000 }, async () => {
      child ??= await startServeProcess(data, [wfDir]);
      const base = child.base;
      const csrf = await csrfFrom(base, '/wf/crash');
      const key = await newRun(base, 'crash', csrf);
      assert.equal((await postForm(base, `/wf/crash/runs/${key}/steps/setup`, { _csrf: csrf, label: 'x' })).status, 303);

      // The submit is abandoned once the step runs but before the server answers (a submit waits
      // up to ~300 ms for the step, in case it is quick).
      const ac = new AbortController();
      let answered = false;
      const submit = postForm(base, `/wf/crash/runs/${key}/steps/work`, { _csrf: csrf, steps: '30', delay: '50' }, ac.signal);
      submit.then(() => { answered = true; }, () => {});
      await waitFor(base, key, (s) => s.steps.work!.status === 'running', 'the step to run');
      ac.abort();
      await assert.rejects(submit, { name: 'AbortError' }, 'the client went away before the answer');
      assert.equal(answered, false);

      // Watch its progress stream, then drop it mid-way.
      const events = await new Promise<string>((resolve, reject) => {
        const req = http.get(`${base}/wf/crash/runs/${key}/steps/work/events`, { agent: false }, (res) => {
          assert.equal(res.statusCode, 200);
          assert.match(String(res.headers['content-type']), /^text\/event-stream/);
          res.once('data', (d: Buffer) => {
            req.destroy();
            resolve(d.toString());
          });
        });
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
      });
      assert.match(events, /event: progress/);

      const done = await waitFor(base, key, (s) => s.steps.work!.status === 'done', 'the step to finish');
      assert.equal((done.steps.work!.output as { counted: number }).counted, 30);
      const store = await openStore();
      try {
        const types = (await store.events.forRun(key)).map((e) => e.type);
        assert.ok(!types.includes('cancelled') && !types.includes('interrupted') && !types.includes('failed'), types.join(','));
      } finally {
        await store.close();
      }
    });

    it('SIGTERM closes the server gracefully', { timeout: 30_000 }, async () => {
      child ??= await startServeProcess(data, [wfDir]);
      child.proc.kill('SIGTERM');
      assert.equal(await child.exited, 0);
    });
  });

  describe(`server close() (${backend})`, () => {
    it('ends open event streams promptly and records the running step as interrupted', { timeout: 20_000 }, async () => {
      const t = await tempEngine({ backend });
      const server = await startServer({ engine: t.engine, port: 0 });
      try {
        const { state } = await t.engine.open('slow');
        const { completion } = await t.engine.submit(state.key, 'count', { steps: 2000, delay: 20 });
        let ended: Promise<void> = Promise.resolve();
        await new Promise<void>((resolve, reject) => {
          const req = http.get(`http://127.0.0.1:${server.port}/wf/slow/runs/${state.key}/steps/count/events`, (res) => {
            ended = new Promise<void>((r) => { res.once('close', () => r()); res.resume(); });
            res.once('data', () => resolve());
          });
          req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
        });
        // The step would run for ~40 s: close() must not wait for it (the test's timeout says so,
        // rather than a stopwatch on a noisy machine).
        await server.close();
        await ended;
        const s = (await t.engine.get(state.key)).steps.count!;
        assert.equal(s.status, 'interrupted');
        assert.match(s.error ?? '', /stopped/);
        await completion;
        await server.close(); // idempotent
        await assert.rejects(fetch(`http://127.0.0.1:${server.port}/`), 'no longer listening');
      } finally {
        await server.close();
        await t.close();
      }
    });
  });
});
