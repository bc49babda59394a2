import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRunKey, validateRunKey } from '../../src/engine/run-key.ts';
import { EngineError } from '../../src/engine/errors.ts';
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

// ---- numbering, on a real engine and SQLite file (no rows edited by hand) ----

test('auto keys count 01…99, 100, 101 per profile and workflow; typed keys are skipped over, never reused', async () => {
  const { engine, close } = await tempEngine();
  try {
    const keys = Array.from({ length: 101 }, () => engine.open('hello').state.key);
    assert.deepEqual(keys, Array.from({ length: 101 }, (_v, i) => formatRunKey('default', 'hello', i + 1)));
    assert.equal(keys[98], 'default-hello-99');
    assert.equal(keys[99], 'default-hello-100');
    assert.equal(new Set(keys).size, 101);
    assert.equal(engine.nextKey('hello'), 'default-hello-102');
    // Other workflows and other profiles have their own counters.
    assert.equal(engine.open('slow').state.key, 'default-slow-01');
    engine.store.profiles.create('acme');
    assert.equal(engine.open('hello', { profile: 'acme' }).state.key, 'acme-hello-01');
    assert.equal(engine.nextKey('hello'), 'default-hello-102', 'unchanged by the other profile');
    // A typed key that looks like a future auto key is not handed out again.
    assert.equal(engine.open('hello', { key: 'default-hello-104' }).created, true);
    assert.deepEqual([0, 1, 2].map(() => engine.open('hello').state.key), ['default-hello-102', 'default-hello-103', 'default-hello-105']);
    // Typed keys are trimmed and resume the same run.
    const again = engine.open('hello', { key: '  default-hello-104  ' });
    assert.deepEqual([again.state.key, again.created], ['default-hello-104', false]);
    assert.equal(engine.store.runs.list({ workflow: 'hello', profile: 'default' }).length, 105);
  } finally {
    close();
  }
});

test('a bad typed key creates nothing', async () => {
  const { engine, close } = await tempEngine();
  try {
    for (const bad of ['../x', 'a b', '-x', 'x'.repeat(101)]) {
      assert.throws(() => engine.open('hello', { key: bad }), (e: unknown) => e instanceof EngineError && e.code === 'bad_key', bad);
    }
    assert.equal(engine.store.runs.list().length, 0);
    assert.deepEqual(engine.store.db.prepare('SELECT COUNT(*) AS n FROM events').get(), { n: 0 });
  } finally {
    close();
  }
});
