// Archive, unarchive and delete in the engine, over a real database (a SQLite file, or PostgreSQL)
// and a real artifacts folder.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { looksAutomatic } from '../../src/engine/automatic-key.ts';
import { EngineError } from '../../src/engine/errors.ts';
import { Store } from '../../src/store/store.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { tempDir, tempEngine } from '../helpers/temp-engine.ts';

const isCode = (code: string) => (e: unknown) => e instanceof EngineError && e.code === code;
const keys = (rows: { key: string }[]) => rows.map((r) => r.key).sort();

forEachBackend((backend) => describe(`run administration (${backend})`, () => {
  it('archive hides a run from lists and keeps it whole; unarchive brings it back; each leaves an event', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const a = (await engine.open('hello')).state.key;
      const b = (await engine.open('hello')).state.key;
      await (await engine.submit(a, 'name', { name: 'Ada' })).completion;
      const updated = (await engine.get(a)).updated;

      const archived = await engine.archive(a);
      assert.ok(archived.archived, 'the state says when it was archived');
      assert.deepEqual(keys(await engine.listRuns({ workflow: 'hello' })), [b], 'hidden from the default list');
      assert.deepEqual(keys(await engine.listRuns({ workflow: 'hello', archived: 'only' })), [a]);
      assert.deepEqual(keys(await engine.listRuns({ workflow: 'hello', archived: 'all' })), [a, b]);
      assert.equal(await engine.countRuns({ workflow: 'hello', archived: 'only' }), 1);

      // Kept: it opens by key, its steps are as they were, and it can still be worked on.
      const st = await engine.get(a);
      assert.deepEqual(st.steps.name!.output, { name: 'Ada' });
      assert.equal(st.updated, updated, 'archiving is not a change to the work');
      assert.equal((await engine.open('hello', { key: a })).created, false);
      assert.equal((await engine.store.runs.summary(a))!.archived, st.archived);

      // Archiving twice records nothing more.
      await engine.archive(a);
      const types = async () => (await engine.store.events.forRun(a)).map((e) => e.type);
      assert.deepEqual((await types()).filter((t) => t === 'archived'), ['archived']);

      const back = await engine.unarchive(a);
      assert.equal(back.archived, null);
      assert.deepEqual(keys(await engine.listRuns({ workflow: 'hello' })), [a, b]);
      assert.equal((await types())[0], 'unarchived');
      assert.equal((await engine.store.runs.summary(a))!.archived, null);

      // A finalized run can be archived too.
      await (await engine.submit(b, 'name', { name: 'Bo' })).completion;
      await (await engine.submit(b, 'greeting', { greeting: 'Hi' })).completion;
      await engine.finalize(b);
      assert.ok((await engine.archive(b)).archived);
      await assert.rejects(engine.archive('no-such-run'), isCode('not_found'));
    } finally {
      await close();
    }
  });

  it('delete removes the row, its events, its executions and its artifacts folder; other runs are untouched', async () => {
    const { engine, dataDir, close } = await tempEngine({ backend });
    try {
      const doomed = (await engine.open('hello')).state.key;
      const kept = (await engine.open('hello')).state.key;
      await (await engine.submit(doomed, 'name', { name: 'Ada' })).completion;
      await engine.store.artifacts.writeBytes(doomed, 'a.txt', 'hello');
      await engine.store.artifacts.writeBytes(doomed, 'b.bin', new Uint8Array(1000));
      await engine.store.artifacts.writeBytes(kept, 'c.txt', 'kept');
      await engine.store.sql.run("INSERT INTO executions (run, step, id, pid, owner, started) VALUES (?, 'old', 'y', 1, 'z', 't')", [doomed]);

      const summary = await engine.deletionSummary(doomed);
      assert.deepEqual(
        { done: summary.stepsDone, total: summary.stepsTotal, files: summary.artifactFiles, bytes: summary.artifactBytes, running: summary.running, finalized: summary.finalized },
        { done: 1, total: 2, files: 2, bytes: 1005, running: [], finalized: null },
      );
      assert.ok(existsSync(engine.store.artifacts.dirFor(doomed)));

      const removed = await engine.deleteRun(doomed);
      assert.equal(removed.artifactFiles, 2);
      await assert.rejects(engine.get(doomed), isCode('not_found'));
      assert.equal((await engine.store.events.forRun(doomed)).length, 0, 'its events are gone');
      const executions = await engine.store.sql.get<{ n: number }>('SELECT CAST(COUNT(*) AS INTEGER) AS n FROM executions WHERE run = ?', [doomed]);
      assert.equal(executions?.n, 0, 'its executions are gone');
      assert.equal(existsSync(engine.store.artifacts.dirFor(doomed)), false, 'its artifacts folder is gone');
      assert.deepEqual(readdirSync(path.join(dataDir, 'artifacts')), [kept], 'no leftovers beside the other runs');
      assert.ok(await engine.get(kept));
      assert.ok(existsSync(engine.store.artifacts.dirFor(kept)));
      assert.ok((await engine.store.events.forRun(kept)).length > 0);
      await assert.rejects(engine.deleteRun(doomed), isCode('not_found'));
    } finally {
      await close();
    }
  });

  it('a deleted run\'s number is not handed out again (a key written down never names other work)', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      await engine.open('hello');
      const second = (await engine.open('hello')).state.key;
      assert.equal(second, 'default-hello-02');
      await engine.deleteRun(second);
      assert.equal(await engine.nextKey('hello'), 'default-hello-03');
      assert.equal((await engine.open('hello')).state.key, 'default-hello-03');
      // A typed key may be typed again after its run was deleted: the person chose it.
      await engine.open('hello', { key: 'my-run' });
      await engine.deleteRun('my-run');
      assert.equal((await engine.open('hello', { key: 'my-run' })).created, true);
    } finally {
      await close();
    }
  });

  it('delete is refused while a step of the run is running, with what to do; after stopping it, it works', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = (await engine.open('slow')).state.key;
      const { completion } = await engine.submit(key, 'count', { steps: 10000, delay: 20 });
      const summary = await engine.deletionSummary(key);
      assert.deepEqual(summary.running, ['count']);
      await assert.rejects(engine.deleteRun(key), (e: unknown) => isCode('running')(e) && /stop it first/.test((e as Error).message));
      assert.ok(await engine.get(key), 'still there');
      await engine.cancel(key, 'count');
      await completion;
      await engine.deleteRun(key);
      await assert.rejects(engine.get(key), isCode('not_found'));
    } finally {
      await close();
    }
  });

  it('a finalized run can be deleted; the summary says it is finalized', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = (await engine.open('hello')).state.key;
      await (await engine.submit(key, 'name', { name: 'Ada' })).completion;
      await (await engine.submit(key, 'greeting', { greeting: 'Hi' })).completion;
      await engine.finalize(key);
      const s = await engine.deletionSummary(key);
      assert.ok(s.finalized);
      assert.deepEqual([s.stepsDone, s.stepsTotal, s.artifactFiles], [2, 2, 0]);
      await engine.deleteRun(key);
      await assert.rejects(engine.get(key), isCode('not_found'));
    } finally {
      await close();
    }
  });
}));

// SQLite's own migrations, on a railbook.db file made by an older version.
test('migration 3 upgrades a database made before it: existing runs are not archived', async () => {
  const tmp = tempDir();
  try {
    const { openSqliteFile } = await import('../../src/store/sqlite/sqlite-file.ts');
    const { MIGRATIONS } = await import('../../src/store/sqlite/migrations.ts');
    const Database = (await import('better-sqlite3')).default;
    const old = new Database(path.join(tmp.dir, 'railbook.db'));
    old.exec(MIGRATIONS[0]!);
    old.exec(MIGRATIONS[1]!);
    old.pragma('user_version = 2');
    old.prepare("INSERT INTO runs (key, workflow, profile, number, created, updated, finalized, state) VALUES ('default-hello-01', 'hello', 'default', 1, 't', 't', NULL, '{}')").run();
    old.close();
    openSqliteFile(tmp.dir).close();
    const store = await Store.open(tmp.dir);
    try {
      assert.equal((await store.runs.summary('default-hello-01'))!.archived, null);
      assert.equal((await store.runs.list()).length, 1);
      assert.equal(await store.runs.maxNumber('default', 'hello'), 1);
    } finally {
      await store.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test('looksAutomatic: <profile>-<workflow>-<number>, any case; other keys are free to use', () => {
  for (const k of ['default-hello-0', 'default-hello-7', 'default-hello-07', 'acme-hello-123', 'Default-Hello-01', ' default-hello-3 ']) assert.ok(looksAutomatic(k, 'hello'), k);
  for (const k of ['default-hello-', 'default-hello', 'default-hel', 'hello-07', 'a-b-hello-07', 'default-hello-07b', 'default-slow-07', 'june-report', 'default-hello-x1']) assert.equal(looksAutomatic(k, 'hello'), false, k);
});
