import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openSqliteFile, schemaVersion } from '../../src/store/sqlite/sqlite-file.ts';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { POSTGRES_SCHEMA_VERSION } from '../../src/store/postgres/migrations.ts';
import { Store } from '../../src/store/store.ts';
import { ProfileError } from '../../src/store/profiles.ts';
import { resolveDataDir } from '../../src/store/data-dir.ts';
import { forEachBackend, type Backend } from '../helpers/backends.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/temp-engine.ts';

/** A store on a fresh database of `backend`, with a temp data folder for its artifacts. */
async function tempStore(backend: Backend): Promise<{ store: Store; close: () => Promise<void> }> {
  const tmp = tempDir();
  const db = backend === 'postgres' ? await freshDatabase() : undefined;
  const store = await Store.open(tmp.dir, { databaseUrl: db?.url });
  return { store, close: async () => { await store.close(); await db?.drop(); tmp.cleanup(); } };
}

// SQLite's file: WAL, and migrations counted in its user_version.
test('the SQLite database is WAL, migrated to the latest schema, and the version is recorded', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const db = openSqliteFile(dir);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(schemaVersion(db), MIGRATIONS.length);
    db.close();
    // Re-opening is a no-op, not a second migration.
    const again = openSqliteFile(dir);
    assert.equal(schemaVersion(again), MIGRATIONS.length);
    again.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    again.close();
    assert.throws(() => openSqliteFile(dir), /newer Railbook/);
    await assert.rejects(Store.open(dir), /newer Railbook/);
  } finally {
    cleanup();
  }
});

test('a store opened on SQLite is at the SQLite schema version', async () => {
  const { store, close } = await tempStore('sqlite');
  try {
    assert.equal(store.backend, 'sqlite');
    assert.equal(await store.sql.schemaVersion(), MIGRATIONS.length);
  } finally {
    await close();
  }
});

test('a fresh PostgreSQL database opened through the store reaches the PostgreSQL schema version; opening it again, or twice at once, is fine', async () => {
  const tmp = tempDir();
  const db = await freshDatabase();
  try {
    const first = await Store.open(tmp.dir, { databaseUrl: db.url });
    try {
      assert.equal(first.backend, 'postgres');
      assert.equal(await first.sql.schemaVersion(), POSTGRES_SCHEMA_VERSION);
      assert.throws(() => first.sqlite, /not on SQLite/);
      await first.profiles.create('acme');
    } finally {
      await first.close();
    }
    // Two processes starting together on the migrated database: neither migrates again.
    const [a, b] = await Promise.all([Store.open(tmp.dir, { databaseUrl: db.url }), Store.open(tmp.dir, { databaseUrl: db.url })]);
    try {
      assert.equal(await a.sql.schemaVersion(), POSTGRES_SCHEMA_VERSION);
      assert.equal(await b.sql.schemaVersion(), POSTGRES_SCHEMA_VERSION);
      assert.deepEqual(await a.profiles.list(), ['acme', 'default'], 'what was written before is kept, the default profile made once');
    } finally {
      await a.close();
      await b.close();
    }
  } finally {
    await db.drop();
    tmp.cleanup();
  }
});

test('two stores opening one fresh PostgreSQL database at once both find it migrated once', async () => {
  const tmp = tempDir();
  const db = await freshDatabase();
  try {
    const stores = await Promise.all([0, 1, 2].map(() => Store.open(tmp.dir, { databaseUrl: db.url })));
    try {
      for (const s of stores) assert.equal(await s.sql.schemaVersion(), POSTGRES_SCHEMA_VERSION);
      assert.deepEqual(await stores[0]!.profiles.list(), ['default']);
    } finally {
      for (const s of stores) await s.close();
    }
  } finally {
    await db.drop();
    tmp.cleanup();
  }
});

forEachBackend((backend) => describe(`store repositories (${backend})`, () => {
  it('profiles: a default one; create, rename (runs follow, keys stay), switch; bad names refused', async () => {
    const { store, close } = await tempStore(backend);
    try {
      assert.deepEqual(await store.profiles.list(), ['default']);
      assert.equal(await store.profiles.current(), 'default');
      await store.profiles.create('acme');
      await assert.rejects(store.profiles.create('acme'), ProfileError);
      for (const bad of ['', 'has-dash', 'a b', 'x'.repeat(41), '../x']) await assert.rejects(store.profiles.create(bad), ProfileError, bad);
      await store.profiles.switch('acme');
      assert.equal(await store.profiles.current(), 'acme');
      await store.runs.insert({ schema: 1, workflow: 'hello', key: 'acme-hello-01', profile: 'acme', created: 't', updated: 't', finalized: null, steps: {} }, 1);
      await store.profiles.rename('acme', 'acme2');
      assert.equal(await store.profiles.current(), 'acme2');
      assert.equal((await store.runs.get('acme-hello-01'))!.profile, 'acme2');
      assert.equal((await store.runs.summary('acme-hello-01'))!.profile, 'acme2');
      const ev = (await store.events.forRun('acme-hello-01'))[0]!;
      assert.deepEqual([ev.type, ev.detail], ['profile_renamed', { from: 'acme', to: 'acme2' }], 'the change to the run is in its event log');
      await assert.rejects(store.profiles.switch('nope'), ProfileError);
    } finally {
      await close();
    }
  });

  it('settings: unset until set; set replaces; getOrInit keeps the first value it stored', async () => {
    const { store, close } = await tempStore(backend);
    try {
      assert.equal(await store.settings.get('colour'), undefined);
      await store.settings.set('colour', 'red');
      await store.settings.set('colour', 'blue');
      assert.equal(await store.settings.get('colour'), 'blue');
      let made = 0;
      const make = () => `made-${++made}`;
      assert.equal(await store.settings.getOrInit('secret', make), 'made-1');
      assert.equal(await store.settings.getOrInit('secret', make), 'made-1', 'a later candidate is not stored');
      assert.equal(await store.settings.get('secret'), 'made-1');
    } finally {
      await close();
    }
  });
}));

test('data folder: --data-dir beats RAILBOOK_DATA_DIR beats ./data', () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.equal(resolveDataDir(path.join(dir, 'a'), { RAILBOOK_DATA_DIR: path.join(dir, 'b') }), path.join(dir, 'a'));
    assert.equal(resolveDataDir(undefined, { RAILBOOK_DATA_DIR: path.join(dir, 'b') }), path.join(dir, 'b'));
  } finally {
    cleanup();
  }
});
