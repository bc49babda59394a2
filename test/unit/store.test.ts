import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, schemaVersion } from '../../src/store/database.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import { Store } from '../../src/store/store.ts';
import { ProfileError } from '../../src/store/profiles.ts';
import { resolveDataDir } from '../../src/store/data-dir.ts';
import { tempDir } from '../helpers/temp-engine.ts';
import path from 'node:path';

test('the database is WAL, migrated to the latest schema, and the version is recorded', () => {
  const { dir, cleanup } = tempDir();
  try {
    const db = openDatabase(dir);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(schemaVersion(db), MIGRATIONS.length);
    db.close();
    // Re-opening is a no-op, not a second migration.
    const again = openDatabase(dir);
    assert.equal(schemaVersion(again), MIGRATIONS.length);
    again.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    again.close();
    assert.throws(() => openDatabase(dir), /newer Railbook/);
  } finally {
    cleanup();
  }
});

test('profiles: a default one; create, rename (runs follow, keys stay), switch; bad names refused', () => {
  const { dir, cleanup } = tempDir();
  const store = new Store(dir);
  try {
    assert.deepEqual(store.profiles.list(), ['default']);
    assert.equal(store.profiles.current(), 'default');
    store.profiles.create('acme');
    assert.throws(() => store.profiles.create('acme'), ProfileError);
    for (const bad of ['', 'has-dash', 'a b', 'x'.repeat(41), '../x']) assert.throws(() => store.profiles.create(bad), ProfileError, bad);
    store.profiles.switch('acme');
    assert.equal(store.profiles.current(), 'acme');
    store.runs.insert({ schema: 1, workflow: 'hello', key: 'acme-hello-01', profile: 'acme', created: 't', updated: 't', finalized: null, steps: {} }, 1);
    store.profiles.rename('acme', 'acme2');
    assert.equal(store.profiles.current(), 'acme2');
    assert.equal(store.runs.get('acme-hello-01')!.profile, 'acme2');
    assert.equal(store.runs.summary('acme-hello-01')!.profile, 'acme2');
    const ev = store.events.forRun('acme-hello-01')[0]!;
    assert.deepEqual([ev.type, ev.detail], ['profile_renamed', { from: 'acme', to: 'acme2' }], 'the change to the run is in its event log');
    assert.throws(() => store.profiles.switch('nope'), ProfileError);
  } finally {
    store.close();
    cleanup();
  }
});

test('data folder: --data-dir beats RAILBOOK_DATA_DIR beats ./data', () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.equal(resolveDataDir(path.join(dir, 'a'), { RAILBOOK_DATA_DIR: path.join(dir, 'b') }), path.join(dir, 'a'));
    assert.equal(resolveDataDir(undefined, { RAILBOOK_DATA_DIR: path.join(dir, 'b') }), path.join(dir, 'b'));
  } finally {
    cleanup();
  }
});
