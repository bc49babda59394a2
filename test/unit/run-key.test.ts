import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRunKey, validateRunKey } from '../../src/engine/run-key.ts';
import { EngineError } from '../../src/engine/errors.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { tempEngine } from '../helpers/temp-engine.ts';

test('auto keys are <profile>-<workflow>-<NN>, two digits at least and on past 99', () => {
  assert.equal(formatRunKey('acme', 'hello', 1), 'acme-hello-01');
  assert.equal(formatRunKey('acme', 'hello', 42), 'acme-hello-42');
  assert.equal(formatRunKey('acme', 'hello', 100), 'acme-hello-100');
});

test('typed keys: allowed characters pass, trimmed', () => {
  assert.equal(validateRunKey('  my.run_01-b '), 'my.run_01-b');
});

test('typed keys: bad characters, empty, too long and path tricks are refused with a clear message', () => {
  for (const bad of ['', ' ', '../etc', 'a/b', 'a b', 'é', '-lead', '.hidden', 'x'.repeat(101), 'a\u0000b', '<script>']) {
    assert.throws(() => validateRunKey(bad), (e: unknown) => e instanceof EngineError && e.code === 'bad_key' && /letters, digits/.test(e.message), bad);
  }
});

// ---- numbering, on a real engine and database (no rows edited by hand) ----

forEachBackend((backend) => describe(`run numbering (${backend})`, () => {
  it('auto keys count 01…99, 100, 101 per profile and workflow; typed keys are skipped over, never reused', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const keys: string[] = [];
      for (let i = 0; i < 101; i++) keys.push((await engine.open('hello')).state.key);
      assert.deepEqual(keys, Array.from({ length: 101 }, (_v, i) => formatRunKey('default', 'hello', i + 1)));
      assert.equal(keys[98], 'default-hello-99');
      assert.equal(keys[99], 'default-hello-100');
      assert.equal(new Set(keys).size, 101);
      assert.equal(await engine.nextKey('hello'), 'default-hello-102');
      // Other workflows and other profiles have their own counters.
      assert.equal((await engine.open('slow')).state.key, 'default-slow-01');
      await engine.store.profiles.create('acme');
      assert.equal((await engine.open('hello', { profile: 'acme' })).state.key, 'acme-hello-01');
      assert.equal(await engine.nextKey('hello'), 'default-hello-102', 'unchanged by the other profile');
      // A typed key that looks like a future auto key is not handed out again.
      assert.equal((await engine.open('hello', { key: 'default-hello-104' })).created, true);
      const next: string[] = [];
      for (let i = 0; i < 3; i++) next.push((await engine.open('hello')).state.key);
      assert.deepEqual(next, ['default-hello-102', 'default-hello-103', 'default-hello-105']);
      // Typed keys are trimmed and resume the same run.
      const again = await engine.open('hello', { key: '  default-hello-104  ' });
      assert.deepEqual([again.state.key, again.created], ['default-hello-104', false]);
      assert.equal((await engine.store.runs.list({ workflow: 'hello', profile: 'default' })).length, 105);
    } finally {
      await close();
    }
  });

  it('runs of one workflow opened at once (by two processes on PostgreSQL) never get the same key', async () => {
    const t = await tempEngine({ backend });
    // On SQLite, two connections in one process would stall each other (better-sqlite3 waits for
    // the file's lock synchronously, blocking the event loop the holder needs): there the opens
    // race within one engine; across processes the file lock serialises them.
    const other = backend === 'postgres' ? await tempEngine({ dataDir: t.dataDir, databaseUrl: t.databaseUrl }) : undefined;
    const engines = other ? [t.engine, other.engine] : [t.engine];
    try {
      const opened = await Promise.all(Array.from({ length: 20 }, (_v, i) => engines[i % engines.length]!.open('hello')));
      const keys = opened.map((o) => o.state.key).sort();
      assert.deepEqual(keys, Array.from({ length: 20 }, (_v, i) => formatRunKey('default', 'hello', i + 1)));
    } finally {
      await other?.close();
      await t.close();
    }
  });

  it('a bad typed key creates nothing', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      for (const bad of ['../x', 'a b', '-x', 'x'.repeat(101)]) {
        await assert.rejects(engine.open('hello', { key: bad }), (e: unknown) => e instanceof EngineError && e.code === 'bad_key', bad);
      }
      assert.equal((await engine.store.runs.list()).length, 0);
      assert.deepEqual(await engine.store.sql.get('SELECT CAST(COUNT(*) AS INTEGER) AS n FROM events'), { n: 0 });
    } finally {
      await close();
    }
  });
}));
