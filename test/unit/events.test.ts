// The run event log: every state change writes exactly one append-only event, in the same
// SQLite transaction as the state, and no code path ever updates or deletes an event.
// Real engine, real SQLite file in a temp folder; the crash case kills a real `railbook run`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../../src/engine/engine.ts';
import { EngineError } from '../../src/engine/errors.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import { FIXTURE_WORKFLOWS_DIR, tempDir, tempEngine } from '../helpers/temp-engine.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Row {
  id: number;
  run: string;
  at: string;
  type: string;
  step: string | null;
  detail: string | null;
}

const allRows = (engine: Engine): Row[] => engine.store.db.prepare('SELECT id, run, at, type, step, detail FROM events ORDER BY id').all() as Row[];

/**
 * From here on, any UPDATE or DELETE of an event aborts the statement that tried it (and so the
 * engine operation around it): if a code path rewrote history, that operation would throw.
 */
function forbidRewritingEvents(engine: Engine): void {
  engine.store.db.exec(`
    CREATE TRIGGER test_events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE attempted'); END;
    CREATE TRIGGER test_events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE attempted'); END;
  `);
}

/** Runs `fn`, then checks the log only grew: every earlier row is byte-for-byte as it was, and the new rows are `expected`. */
async function expectEvents(engine: Engine, key: string, expected: [type: string, step: string | null][], fn: () => unknown, what: string): Promise<Row[]> {
  const before = allRows(engine);
  await fn();
  const after = allRows(engine);
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

const isCode = (code: string) => (e: unknown) => e instanceof EngineError && e.code === code;

test('a whole life of a run: one event per state change, none for no-ops or refusals, and no event is ever rewritten', async () => {
  const { engine, close } = await tempEngine();
  try {
    forbidRewritingEvents(engine);
    assert.equal(allRows(engine).length, 0);
    const key = engine.open('slow').state.key;
    const c = allRows(engine);
    assert.deepEqual(c.map((r) => [r.run, r.type, r.step]), [[key, 'created', null]]);
    assert.deepEqual(JSON.parse(c[0]!.detail!), { workflow: 'slow', profile: 'default' });
    assertUpdatedAt(engine.get(key), c[0], 'created');

    // Resuming an existing key is not a change.
    await expectEvents(engine, key, [], () => engine.open('slow', { key }), 'resume');

    let done = await expectEvents(engine, key, [['submitted', 'count'], ['completed', 'count']], async () => {
      await (await engine.submit(key, 'count', { steps: 2, delay: 0 })).completion;
    }, 'a step runs to the end');
    assert.deepEqual(JSON.parse(done[0]!.detail!), { input: { steps: 2, delay: 0 } });
    assertUpdatedAt(engine.get(key), done[1], 'completed');

    const failed = await expectEvents(engine, key, [['submitted', 'check'], ['failed', 'check']], async () => {
      await (await engine.submit(key, 'check', { word: 'fail' })).completion;
    }, 'a step fails');
    assert.deepEqual(JSON.parse(failed[1]!.detail!), { error: 'asked to fail' });
    assertUpdatedAt(engine.get(key), failed[1], 'failed');

    // Refused operations write nothing.
    await expectEvents(engine, key, [], async () => {
      await assert.rejects(engine.submit(key, 'count', { steps: 1, delay: 0 }), isCode('already_done'));
      await assert.rejects(engine.submit(key, 'check', { word: '' }), isCode('invalid_input'));
      assert.throws(() => engine.finalize(key), isCode('not_complete'));
    }, 'refusals');

    done = await expectEvents(engine, key, [['submitted', 'check'], ['completed', 'check']], async () => {
      await (await engine.submit(key, 'check', { word: 'ok' })).completion;
    }, 'a retry');
    assertUpdatedAt(engine.get(key), done[1], 'completed after a retry');

    const fin = await expectEvents(engine, key, [['finalized', null]], () => engine.finalize(key), 'finalize');
    const finalized = engine.get(key);
    assertUpdatedAt(finalized, fin[0], 'finalized');
    assert.equal(finalized.finalized, fin[0]!.at);
    await expectEvents(engine, key, [], async () => {
      assert.equal(engine.finalize(key).updated, finalized.updated, 'finalizing twice changes nothing');
      await assert.rejects(engine.submit(key, 'check', { word: 'x' }), isCode('finalized'));
      assert.throws(() => engine.revert(key, 'count'), isCode('finalized'));
    }, 'a finalized run refuses changes');

    const unfin = await expectEvents(engine, key, [['unfinalized', null]], () => engine.unfinalize(key), 'unfinalize');
    assertUpdatedAt(engine.get(key), unfin[0], 'unfinalized');
    await expectEvents(engine, key, [], () => engine.unfinalize(key), 'unfinalize twice');

    const rev = await expectEvents(engine, key, [['reverted', 'count']], () => engine.revert(key, 'count'), 'revert');
    assertUpdatedAt(engine.get(key), rev[0], 'reverted');

    // A long step, stopped: its late ending must not add a second event.
    let completion: Promise<RunState> = Promise.resolve(engine.get(key));
    const stopped = await expectEvents(engine, key, [['submitted', 'count'], ['cancelled', 'count']], async () => {
      ({ completion } = await engine.submit(key, 'count', { steps: 10_000, delay: 5 }));
      engine.cancel(key, 'count');
      await completion;
    }, 'stop a running step');
    assertUpdatedAt(engine.get(key), stopped[1], 'cancelled');

    // A long step when the process stops gracefully: interrupted, once.
    const interrupted = await expectEvents(engine, key, [['submitted', 'count'], ['interrupted', 'count']], async () => {
      ({ completion } = await engine.submit(key, 'count', { steps: 10_000, delay: 5 }));
      engine.shutdown();
      await completion;
    }, 'shutdown mid-step');
    assertUpdatedAt(engine.get(key), interrupted[1], 'interrupted');
    assert.equal(engine.get(key).steps.count!.status, 'interrupted');

    // Renaming the profile moves the run but rewrites no history (the triggers would throw).
    engine.store.profiles.rename('default', 'renamed');
    assert.equal(engine.get(key).profile, 'renamed');

    const types = new Set(allRows(engine).map((r) => r.type));
    for (const t of ['created', 'submitted', 'reverted', 'finalized', 'unfinalized', 'failed', 'cancelled', 'interrupted']) {
      assert.ok(types.has(t), `the log holds a "${t}" event`);
    }
  } finally {
    close();
  }
});

test('the state change and its event are one transaction: if the event cannot be written, the state is not changed either', async () => {
  const { engine, close } = await tempEngine();
  try {
    const key = engine.open('hello').state.key;
    const failOn = (type: string) => engine.store.db.exec(
      `CREATE TRIGGER test_fail_${type} BEFORE INSERT ON events WHEN NEW.type = '${type}' BEGIN SELECT RAISE(ABORT, 'event log unavailable'); END;`,
    );
    const allow = (type: string) => engine.store.db.exec(`DROP TRIGGER test_fail_${type}`);
    const snapshot = () => (engine.store.db.prepare('SELECT state FROM runs WHERE key = ?').get(key) as { state: string }).state;

    failOn('submitted');
    let st = snapshot();
    await assert.rejects(engine.submit(key, 'name', { name: 'Ada' }), /event log unavailable/);
    assert.equal(snapshot(), st, 'a submit whose event failed left the state as it was');
    allow('submitted');
    await (await engine.submit(key, 'name', { name: 'Ada' })).completion;
    await (await engine.submit(key, 'greeting', { greeting: 'Hi' })).completion;

    failOn('finalized');
    st = snapshot();
    assert.throws(() => engine.finalize(key), /event log unavailable/);
    assert.equal(snapshot(), st);
    assert.equal(engine.get(key).finalized, null);
    allow('finalized');

    failOn('reverted');
    assert.throws(() => engine.revert(key, 'name'), /event log unavailable/);
    assert.equal(snapshot(), st);
    assert.equal(engine.get(key).steps.greeting!.status, 'done');
    allow('reverted');

    assert.deepEqual(engine.store.events.forRun(key).map((e) => e.type).reverse(), ['created', 'submitted', 'submitted', 'completed']);
  } finally {
    close();
  }
});

test('a process killed mid-step: the next process to open the data folder writes one "interrupted" event, rewriting nothing', { timeout: 60_000 }, async () => {
  const tmp = tempDir('railbook-events-crash-');
  try {
    const job = path.join(tmp.dir, 'slow.json');
    writeFileSync(job, JSON.stringify({ workflow: 'slow', key: 'crash-me', inputs: { count: { steps: 10_000, delay: 20 }, check: { word: 'x' } } }));
    const env: NodeJS.ProcessEnv = { ...process.env, CI: '1' };
    delete env.RAILBOOK_DATA_DIR;
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/railbook.js'), 'run', job, '--data-dir', tmp.dir, '--workflows-dir', FIXTURE_WORKFLOWS_DIR], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    {
      // Wait, reading the database as another process would, until the step runs.
      const watcher = await tempEngine(tmp.dir);
      try {
        const until = Date.now() + 30_000;
        while (watcher.engine.store.executions.all().length === 0) {
          assert.ok(Date.now() < until && child.exitCode === null, `the CLI started the step (stderr: ${stderr})`);
          await new Promise((r) => setTimeout(r, 50));
        }
        // The child is alive: looking at its run must not interrupt it.
        assert.equal(watcher.engine.get('crash-me').steps.count!.status, 'running');
      } finally {
        watcher.engine.store.close();
      }
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const { engine } = await tempEngine(tmp.dir);
    try {
      const st = engine.get('crash-me');
      assert.equal(st.steps.count!.status, 'interrupted');
      const events = engine.store.events.forRun('crash-me').reverse();
      assert.deepEqual(events.map((e) => [e.type, e.step]), [['created', null], ['submitted', 'count'], ['interrupted', 'count']]);
      assert.equal(events[2]!.detail?.pid, child.pid, 'the event says which process died');
      assert.equal(st.updated, events[2]!.at);
      // Looking again does not write it twice.
      engine.get('crash-me');
      engine.recover();
      assert.equal(engine.store.events.forRun('crash-me').length, 3);
    } finally {
      engine.shutdown();
      engine.store.close();
    }
  } finally {
    tmp.cleanup();
  }
});
