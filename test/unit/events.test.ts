// The run event log: every state change writes exactly one append-only event, in the same
// transaction as the state, and no code path ever updates or deletes an event.
// Real engine on a real database (a SQLite file, or PostgreSQL); the crash case kills a real `railbook run`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../../src/engine/engine.ts';
import { EngineError } from '../../src/engine/errors.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { FIXTURE_WORKFLOWS_DIR, tempDir, tempEngine, type TempEngine } from '../helpers/temp-engine.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Row {
  id: number;
  run: string;
  at: string;
  type: string;
  step: string | null;
  detail: string | null;
}

const allRows = (engine: Engine): Promise<Row[]> => engine.store.sql.all<Row>('SELECT id, run, at, type, step, detail FROM events ORDER BY id');

/**
 * From here on, any UPDATE or DELETE of an event aborts the statement that tried it (and so the
 * engine operation around it): if a code path rewrote history, that operation would throw.
 */
async function forbidRewritingEvents(engine: Engine): Promise<void> {
  if (engine.store.backend === 'sqlite') {
    engine.store.sqlite.exec(`
      CREATE TRIGGER test_events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE attempted'); END;
      CREATE TRIGGER test_events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE attempted'); END;
    `);
    return;
  }
  await engine.store.sql.run(`CREATE FUNCTION test_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'events are append-only: % attempted', TG_OP; END $$`);
  await engine.store.sql.run('CREATE TRIGGER test_events_no_rewrite BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION test_events_append_only()');
}

/** Makes writing an event of `type` fail (as a database that refuses the write would), until `allow`. */
async function failOn(engine: Engine, type: string): Promise<void> {
  if (engine.store.backend === 'sqlite') {
    engine.store.sqlite.exec(`CREATE TRIGGER test_fail_${type} BEFORE INSERT ON events WHEN NEW.type = '${type}' BEGIN SELECT RAISE(ABORT, 'event log unavailable'); END;`);
    return;
  }
  await engine.store.sql.run(`CREATE OR REPLACE FUNCTION test_event_log_unavailable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'event log unavailable'; END $$`);
  await engine.store.sql.run(`CREATE TRIGGER test_fail_${type} BEFORE INSERT ON events FOR EACH ROW WHEN (NEW.type = '${type}') EXECUTE FUNCTION test_event_log_unavailable()`);
}

async function allow(engine: Engine, type: string): Promise<void> {
  if (engine.store.backend === 'sqlite') engine.store.sqlite.exec(`DROP TRIGGER test_fail_${type}`);
  else await engine.store.sql.run(`DROP TRIGGER test_fail_${type} ON events`);
}

/** Runs `fn`, then checks the log only grew: every earlier row is byte-for-byte as it was, and the new rows are `expected`. */
async function expectEvents(engine: Engine, key: string, expected: [type: string, step: string | null][], fn: () => unknown, what: string): Promise<Row[]> {
  const before = await allRows(engine);
  await fn();
  const after = await allRows(engine);
  assert.deepEqual(after.slice(0, before.length), before, `${what}: earlier events are unchanged`);
  const added = after.slice(before.length);
  assert.deepEqual(added.map((r) => [r.type, r.step]), expected, `${what}: the new events`);
  for (const r of added) {
    assert.equal(r.run, key, `${what}: the event names its run`);
    assert.match(r.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${what}: the event has its time`);
  }
  return added;
}

/** The state's `updated` is the time of the last event: both were written by one change. */
function assertUpdatedAt(state: RunState, row: Row | undefined, what: string): void {
  assert.ok(row, what);
  assert.equal(state.updated, row.at, `${what}: state.updated is the event's time`);
}

/**
 * An executed step's event detail is `expected`, plus the worker that executed it: always on
 * PostgreSQL (steps run on many machines), and if present on SQLite, this engine's.
 */
function assertDetail(row: Row | undefined, expected: Record<string, unknown>, engine: Engine): void {
  const { worker, ...rest } = (row?.detail ? JSON.parse(row.detail) : {}) as Record<string, unknown>;
  assert.deepEqual(rest, expected);
  if (engine.store.backend === 'postgres' || worker !== undefined) assert.equal(worker, engine.worker, 'the event names the worker');
}

const isCode = (code: string) => (e: unknown) => e instanceof EngineError && e.code === code;

forEachBackend((backend) => describe(`event log (${backend})`, () => {
  it('a whole life of a run: one event per state change, none for no-ops or refusals, and no event is ever rewritten', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      await forbidRewritingEvents(engine);
      assert.equal((await allRows(engine)).length, 0);
      const key = (await engine.open('slow')).state.key;
      const c = await allRows(engine);
      assert.deepEqual(c.map((r) => [r.run, r.type, r.step]), [[key, 'created', null]]);
      assert.deepEqual(JSON.parse(c[0]!.detail!), { workflow: 'slow', profile: 'default' });
      assertUpdatedAt(await engine.get(key), c[0], 'created');

      // Resuming an existing key is not a change.
      await expectEvents(engine, key, [], () => engine.open('slow', { key }), 'resume');

      let done = await expectEvents(engine, key, [['submitted', 'count'], ['completed', 'count']], async () => {
        await (await engine.submit(key, 'count', { steps: 2, delay: 0 })).completion;
      }, 'a step runs to the end');
      assertDetail(done[0], { input: { steps: 2, delay: 0 } }, engine);
      assertDetail(done[1], {}, engine);
      assertUpdatedAt(await engine.get(key), done[1], 'completed');

      const failed = await expectEvents(engine, key, [['submitted', 'check'], ['failed', 'check']], async () => {
        await (await engine.submit(key, 'check', { word: 'fail' })).completion;
      }, 'a step fails');
      assertDetail(failed[1], { error: 'asked to fail' }, engine);
      assertUpdatedAt(await engine.get(key), failed[1], 'failed');

      // Refused operations write nothing.
      await expectEvents(engine, key, [], async () => {
        await assert.rejects(engine.submit(key, 'count', { steps: 1, delay: 0 }), isCode('already_done'));
        await assert.rejects(engine.submit(key, 'check', { word: '' }), isCode('invalid_input'));
        await assert.rejects(engine.finalize(key), isCode('not_complete'));
      }, 'refusals');

      done = await expectEvents(engine, key, [['submitted', 'check'], ['completed', 'check']], async () => {
        await (await engine.submit(key, 'check', { word: 'ok' })).completion;
      }, 'a retry');
      assertUpdatedAt(await engine.get(key), done[1], 'completed after a retry');

      const fin = await expectEvents(engine, key, [['finalized', null]], () => engine.finalize(key), 'finalize');
      const finalized = await engine.get(key);
      assertUpdatedAt(finalized, fin[0], 'finalized');
      assert.equal(finalized.finalized, fin[0]!.at);
      await expectEvents(engine, key, [], async () => {
        assert.equal((await engine.finalize(key)).updated, finalized.updated, 'finalizing twice changes nothing');
        await assert.rejects(engine.submit(key, 'check', { word: 'x' }), isCode('finalized'));
        await assert.rejects(engine.revert(key, 'count'), isCode('finalized'));
      }, 'a finalized run refuses changes');

      const unfin = await expectEvents(engine, key, [['unfinalized', null]], () => engine.unfinalize(key), 'unfinalize');
      assertUpdatedAt(await engine.get(key), unfin[0], 'unfinalized');
      await expectEvents(engine, key, [], () => engine.unfinalize(key), 'unfinalize twice');

      const rev = await expectEvents(engine, key, [['reverted', 'count']], () => engine.revert(key, 'count'), 'revert');
      assertUpdatedAt(await engine.get(key), rev[0], 'reverted');

      // A long step, stopped: its late ending must not add a second event.
      let completion: Promise<RunState> = engine.get(key);
      const stopped = await expectEvents(engine, key, [['submitted', 'count'], ['cancelled', 'count']], async () => {
        ({ completion } = await engine.submit(key, 'count', { steps: 10_000, delay: 5 }));
        await engine.cancel(key, 'count');
        await completion;
      }, 'stop a running step');
      assertUpdatedAt(await engine.get(key), stopped[1], 'cancelled');

      // A long step when the process stops gracefully: interrupted, once.
      const interrupted = await expectEvents(engine, key, [['submitted', 'count'], ['interrupted', 'count']], async () => {
        ({ completion } = await engine.submit(key, 'count', { steps: 10_000, delay: 5 }));
        await engine.shutdown();
        await completion;
      }, 'shutdown mid-step');
      assertUpdatedAt(await engine.get(key), interrupted[1], 'interrupted');
      assert.equal((await engine.get(key)).steps.count!.status, 'interrupted');

      // Renaming the profile moves the run but rewrites no history (the triggers would throw).
      await engine.store.profiles.rename('default', 'renamed');
      assert.equal((await engine.get(key)).profile, 'renamed');

      const types = new Set((await allRows(engine)).map((r) => r.type));
      for (const t of ['created', 'submitted', 'reverted', 'finalized', 'unfinalized', 'failed', 'cancelled', 'interrupted']) {
        assert.ok(types.has(t), `the log holds a "${t}" event`);
      }
    } finally {
      await close();
    }
  });

  it('the state change and its event are one transaction: if the event cannot be written, the state is not changed either', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = (await engine.open('hello')).state.key;
      const snapshot = async () => (await engine.store.sql.get<{ state: string }>('SELECT state FROM runs WHERE key = ?', [key]))!.state;

      await failOn(engine, 'submitted');
      let st = await snapshot();
      await assert.rejects(engine.submit(key, 'name', { name: 'Ada' }), /event log unavailable/);
      assert.equal(await snapshot(), st, 'a submit whose event failed left the state as it was');
      await allow(engine, 'submitted');
      await (await engine.submit(key, 'name', { name: 'Ada' })).completion;
      await (await engine.submit(key, 'greeting', { greeting: 'Hi' })).completion;

      await failOn(engine, 'finalized');
      st = await snapshot();
      await assert.rejects(engine.finalize(key), /event log unavailable/);
      assert.equal(await snapshot(), st);
      assert.equal((await engine.get(key)).finalized, null);
      await allow(engine, 'finalized');

      await failOn(engine, 'reverted');
      await assert.rejects(engine.revert(key, 'name'), /event log unavailable/);
      assert.equal(await snapshot(), st);
      assert.equal((await engine.get(key)).steps.greeting!.status, 'done');
      await allow(engine, 'reverted');

      assert.deepEqual((await engine.store.events.forRun(key)).map((e) => e.type).reverse(), ['created', 'submitted', 'submitted', 'completed']);
    } finally {
      await close();
    }
  });

  it('a process killed mid-step: the next process to open the store writes one "interrupted" event, rewriting nothing', { timeout: 60_000 }, async () => {
    const tmp = tempDir('railbook-events-crash-');
    // The database the CLI and this test share: a file in the data folder, or a fresh PostgreSQL one.
    const owner = await tempEngine({ dataDir: tmp.dir, backend });
    let child: ChildProcess | undefined;
    let after: TempEngine | undefined;
    try {
      const job = path.join(tmp.dir, 'slow.json');
      writeFileSync(job, JSON.stringify({ workflow: 'slow', key: 'crash-me', inputs: { count: { steps: 10_000, delay: 20 }, check: { word: 'x' } } }));
      const env: NodeJS.ProcessEnv = { ...process.env, CI: '1' };
      delete env.RAILBOOK_DATA_DIR;
      delete env.RAILBOOK_DATABASE_URL;
      if (owner.databaseUrl) env.RAILBOOK_DATABASE_URL = owner.databaseUrl;
      const proc = spawn(process.execPath, [path.join(ROOT, 'bin/railbook.js'), 'run', job, '--data-dir', tmp.dir, '--workflows-dir', FIXTURE_WORKFLOWS_DIR], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      child = proc;
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_code, signal) => resolve(signal)));
      {
        // Wait, reading the database as another process would, until the step runs.
        const watcher = await tempEngine({ dataDir: tmp.dir, databaseUrl: owner.databaseUrl });
        try {
          const until = Date.now() + 30_000;
          while ((await watcher.engine.store.executions.all()).length === 0) {
            assert.ok(Date.now() < until && proc.exitCode === null, `the CLI started the step (stderr: ${stderr})`);
            await new Promise((r) => setTimeout(r, 50));
          }
          // The child is alive: looking at its run must not interrupt it.
          assert.equal((await watcher.engine.get('crash-me')).steps.count!.status, 'running');
        } finally {
          await watcher.close();
        }
      }
      proc.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      // On PostgreSQL a dead worker is known by its lease running out; rather than wait out the
      // lease (30 s), end it now, as the database clock would have.
      if (backend === 'postgres') await owner.engine.store.sql.run('UPDATE executions SET lease_until = 0');

      after = await tempEngine({ dataDir: tmp.dir, databaseUrl: owner.databaseUrl });
      const { engine } = after;
      const st = await engine.get('crash-me');
      assert.equal(st.steps.count!.status, 'interrupted');
      const events = (await engine.store.events.forRun('crash-me')).reverse();
      assert.deepEqual(events.map((e) => [e.type, e.step]), [['created', null], ['submitted', 'count'], ['interrupted', 'count']]);
      assert.equal(events[2]!.detail?.pid, proc.pid, 'the event says which process died');
      assert.equal(st.updated, events[2]!.at);
      // Looking again does not write it twice.
      await engine.get('crash-me');
      await engine.recover();
      assert.equal((await engine.store.events.forRun('crash-me')).length, 3);
    } finally {
      // A failed check must not leave the CLI counting for minutes.
      if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await after?.close();
      await owner.close();
      tmp.cleanup();
    }
  });
}));
