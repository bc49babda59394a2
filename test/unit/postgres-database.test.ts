import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { NestedTransactionError, type SqlSession } from '../../src/store/sql.ts';
import { numberPlaceholders, PostgresDatabase, redactUrl } from '../../src/store/postgres/postgres-database.ts';
import { POSTGRES_SCHEMA_VERSION } from '../../src/store/postgres/migrations.ts';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { SqliteDatabase } from '../../src/store/sqlite/sqlite-database.ts';
import { RunRepo } from '../../src/store/run-repo.ts';
import { EventLog } from '../../src/store/event-log.ts';
import { Executions } from '../../src/store/executions.ts';
import { Settings } from '../../src/store/settings.ts';
import { Profiles } from '../../src/store/profiles.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import { freshDatabase, postgresUrl } from '../helpers/postgres.ts';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A migrated Railbook database on its own fresh PostgreSQL database, closed and dropped after the tests. */
async function fresh(opts: { max?: number } = {}): Promise<{ db: PostgresDatabase; url: string }> {
  const { url, drop } = await freshDatabase();
  const db = await PostgresDatabase.open(url, opts);
  cleanups.push(async () => { await db.close(); await drop(); });
  return { db, url };
}

/** Runs SQL on its own connection, outside any PostgresDatabase. */
async function raw<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 10));
}

function state(key: string, profile = 'default', workflow = 'hello'): RunState {
  return { schema: 1, workflow, key, profile, created: '2026-01-01T00:00:00.000Z', updated: '2026-01-01T00:00:00.000Z', finalized: null, steps: {} };
}

test('placeholders become $1…$n, but not inside literals, quoted names or comments', () => {
  assert.equal(numberPlaceholders('SELECT a FROM t WHERE b = ? AND c IN (?, ?)'), 'SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)');
  assert.equal(numberPlaceholders(`SELECT '?', 'it''s ?', "a?b" -- why?\n, ? /* ? */, ?`), `SELECT '?', 'it''s ?', "a?b" -- why?\n, $1 /* ? */, $2`);
});

test('queries: ? arguments, and COUNT, BIGINT ids and the db clock come back as numbers', async () => {
  const { db } = await fresh();
  assert.equal(db.dialect, 'postgres');
  assert.deepEqual(await db.get('SELECT ? AS a, \'?\' AS q', ['x']), { a: 'x', q: '?' });
  const events = new EventLog(db);
  await events.append('r1', 't1', 'created', null);
  await events.append('r1', 't2', 'submitted', 's1', { n: 1 });
  const rows = await db.all<{ id: unknown }>('SELECT id FROM events ORDER BY id');
  assert.deepEqual(rows.map((r) => typeof r.id), ['number', 'number']);
  const counts = await db.get<Record<string, unknown>>('SELECT CAST(COUNT(*) AS INTEGER) AS a, COUNT(*) AS b, SUM(id) AS c, MAX(id) AS d FROM events');
  assert.deepEqual(counts, { a: 2, b: 2, c: rows[0]!.id as number + (rows[1]!.id as number), d: rows[1]!.id });
  const clock = await db.get<{ now: unknown }>('SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now');
  assert.equal(typeof clock!.now, 'number');
  assert.equal(await db.get('SELECT 1 AS x WHERE false'), undefined);
  assert.equal(await db.run('UPDATE events SET type = type WHERE run = ?', ['r1']), 2, 'run resolves with the rows changed');
  assert.equal(await db.run('DELETE FROM events WHERE run = ?', ['nope']), 0);
  // pg's own defaults are left alone for everybody else in the process.
  assert.equal(pg.types.getTypeParser(20, 'text')('5'), '5');
});

test('a transaction commits, and a throw inside rolls it back', async () => {
  const { db } = await fresh();
  const settings = new Settings(db);
  assert.equal(await db.tx(async (t) => { await new Settings(t).set('a', '1'); return 'out'; }), 'out');
  assert.equal(await settings.get('a'), '1');
  await assert.rejects(db.tx(async (t) => {
    await new Settings(t).set('a', '2');
    await new Settings(t).set('b', '2');
    throw new Error('boom');
  }), /boom/);
  assert.equal(await settings.get('a'), '1');
  assert.equal(await settings.get('b'), undefined);
  // A failed statement caught inside aborts the transaction on PostgreSQL: it must not look committed.
  await assert.rejects(db.tx(async (t) => {
    await t.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['c', '1']);
    await t.run('INSERT INTO settings (key, value) VALUES (?, ?)', ['c', '2']).catch(() => {});
  }), /rolled back/);
  assert.equal(await settings.get('c'), undefined);
  // The pool still works after all that.
  assert.deepEqual(await db.get('SELECT 1 AS x'), { x: 1 });
});

test('concurrent read-modify-write transactions with FOR UPDATE never lose an update', async () => {
  const { db } = await fresh({ max: 5 });
  await db.run('CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL)');
  await db.run('INSERT INTO counters (name, n) VALUES (?, 0)', ['c']);
  await Promise.all(Array.from({ length: 20 }, () => db.tx(async (t) => {
    const row = await t.get<{ n: number }>('SELECT n FROM counters WHERE name = ? FOR UPDATE', ['c']);
    // Give the others every chance to read the same value in between.
    await t.get('SELECT pg_sleep(0.001)');
    await t.run('UPDATE counters SET n = ? WHERE name = ?', [row!.n + 1, 'c']);
  })));
  assert.deepEqual(await db.get('SELECT n FROM counters WHERE name = ?', ['c']), { n: 20 });
});

test('lock(name) serialises two transactions creating the same new row', async () => {
  const { db } = await fresh();
  const createIfMissing = async (t: SqlSession): Promise<string> => {
    await t.lock('run:acme-hello-01');
    if (await new RunRepo(t).exists('acme-hello-01')) return 'existed';
    await new RunRepo(t).insert(state('acme-hello-01', 'acme'), 1);
    return 'created';
  };
  let aHolds!: () => void;
  const aHoldsLock = new Promise<void>((r) => { aHolds = r; });
  let letAGo!: () => void;
  const aMayGo = new Promise<void>((r) => { letAGo = r; });
  const a = db.tx(async (t) => {
    await t.lock('run:acme-hello-01');
    aHolds();
    await aMayGo;
    return createIfMissing(t);
  });
  await aHoldsLock;
  const b = db.tx(createIfMissing);
  // B is waiting on A's lock (seen from a third connection) before A goes on.
  await until(async () => (await db.get<{ n: number }>(
    "SELECT CAST(COUNT(*) AS INTEGER) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))?.n === 1);
  letAGo();
  assert.deepEqual([await a, await b], ['created', 'existed']);
  await assert.rejects(db.lock('x'), /only meaningful inside a transaction/);
});

test('using the database directly inside its own transaction is refused, not a deadlock; an ended session is refused', async () => {
  // One connection: a direct call waiting for a second would wait forever.
  const { db } = await fresh({ max: 1 });
  let session: SqlSession | undefined;
  let txEnded!: () => void;
  const ended = new Promise<void>((r) => { txEnded = r; });
  let afterwards: Promise<unknown> | undefined;
  await db.tx(async (t) => {
    session = t;
    await assert.rejects(db.get('SELECT 1 AS x'), NestedTransactionError);
    await assert.rejects(db.run('SELECT 1'), NestedTransactionError);
    await assert.rejects(db.tx(async () => 1), NestedTransactionError);
    await assert.rejects(db.schemaVersion(), NestedTransactionError);
    // Work started from inside but run after the transaction ended is not nested any more.
    afterwards = ended.then(() => db.get('SELECT 2 AS x'));
    assert.deepEqual(await t.get('SELECT 1 AS x'), { x: 1 });
  });
  txEnded();
  assert.deepEqual(await afterwards, { x: 2 });
  await assert.rejects(session!.get('SELECT 1 AS x'), /transaction has ended/);
  await assert.rejects(session!.lock('x'), /transaction has ended/);
});

test('migrations: two opens at once migrate once; the version is recorded in one row; re-opening is a no-op', async () => {
  const { url, drop } = await freshDatabase();
  cleanups.push(drop);
  const [a, b] = await Promise.all([PostgresDatabase.open(url), PostgresDatabase.open(url)]);
  assert.equal(POSTGRES_SCHEMA_VERSION, MIGRATIONS.length);
  assert.equal(await a.schemaVersion(), POSTGRES_SCHEMA_VERSION);
  assert.equal(await b.schemaVersion(), POSTGRES_SCHEMA_VERSION);
  await a.close();
  await b.close();
  const c = await PostgresDatabase.open(url);
  assert.equal(await c.schemaVersion(), POSTGRES_SCHEMA_VERSION);
  await c.close();
  assert.ok(c.closed);
  await assert.rejects(c.get('SELECT 1'), /closed/);
  assert.deepEqual(await raw(url, 'SELECT version FROM railbook_schema'), [{ version: POSTGRES_SCHEMA_VERSION }]);
});

test('the PostgreSQL schema has the same tables, columns, nullability and indexes as the SQLite one', async () => {
  const { url } = await fresh();
  const dir = mkdtempSync(path.join(tmpdir(), 'railbook-pg-schema-'));
  const lite = SqliteDatabase.open(dir);
  try {
    assert.equal(POSTGRES_SCHEMA_VERSION, MIGRATIONS.length, 'a schema version means the same on both backends');
    const tables = ['profiles', 'settings', 'runs', 'events', 'executions', 'run_numbers'];
    for (const table of tables) {
      const sqliteCols = (await lite.all<{ name: string; notnull: number; pk: number }>(`PRAGMA table_info(${table})`))
        .map((c) => `${c.name}${c.notnull || c.pk ? ' not null' : ''}`);
      const pgCols = (await raw<{ column_name: string; is_nullable: string }>(url,
        `SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '${table}' ORDER BY ordinal_position`))
        .map((c) => `${c.column_name}${c.is_nullable === 'NO' ? ' not null' : ''}`);
      assert.deepEqual(pgCols, sqliteCols, table);
    }
    const sqliteIndexes = (await lite.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")).map((r) => r.name);
    const pgIndexes = (await raw<{ indexname: string }>(url, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' AND tablename <> 'railbook_schema' ORDER BY indexname")).map((r) => r.indexname);
    assert.deepEqual(pgIndexes, sqliteIndexes);
  } finally {
    await lite.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database written by a newer Railbook is refused', async () => {
  const { url, drop } = await freshDatabase();
  cleanups.push(drop);
  await (await PostgresDatabase.open(url)).close();
  await raw(url, `UPDATE railbook_schema SET version = ${POSTGRES_SCHEMA_VERSION + 1}`);
  await assert.rejects(PostgresDatabase.open(url), /newer Railbook/);
});

test('a database that cannot be reached or parsed is named in the error, without the password', async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const refused = await PostgresDatabase.open(`postgres://railbook:s3cret-pw@127.0.0.1:${port}/railbook_db`).then(() => undefined, (e: Error) => e.message);
  assert.match(refused ?? '', new RegExp(`cannot connect to PostgreSQL at postgres://railbook:\\*\\*\\*@127\\.0\\.0\\.1:${port}/railbook_db: .*ECONNREFUSED`));
  assert.doesNotMatch(refused!, /s3cret/);

  const server = new URL(await postgresUrl());
  server.password = 's3cret-pw';
  server.pathname = '/no_such_db';
  const missing = await PostgresDatabase.open(server.toString()).then(() => undefined, (e: Error) => e.message);
  assert.match(missing ?? '', /no_such_db.*does not exist/);
  assert.doesNotMatch(missing!, /s3cret/);

  for (const bad of ['postgres://u:s3cret-pw@[::1/db', 'mysql://u:s3cret-pw@host/db']) {
    const message = await PostgresDatabase.open(bad).then(() => undefined, (e: Error) => e.message);
    assert.match(message ?? '', /invalid PostgreSQL URL/, bad);
    assert.doesNotMatch(message!, /s3cret/, bad);
  }
  assert.equal(redactUrl('postgres://u:p%40ss@h:5432/db?sslmode=require'), 'postgres://u:***@h:5432/db?sslmode=require');
  assert.equal(redactUrl('postgres://u@h/db?password=pw'), 'postgres://u@h/db?password=***');
  assert.equal(redactUrl('postgres://h/db'), 'postgres://h/db');
});

test('repositories on PostgreSQL: runs, events, settings and profiles round trip', async () => {
  const { db } = await fresh();
  const runs = new RunRepo(db);
  await runs.insert(state('default-hello-01'), 1);
  await runs.insert({ ...state('default-hello-02'), archived: '2026-01-02T00:00:00.000Z' }, 2);
  assert.deepEqual(await runs.get('default-hello-01'), state('default-hello-01'));
  assert.deepEqual(await runs.summary('default-hello-01'), {
    key: 'default-hello-01', workflow: 'hello', profile: 'default', number: 1,
    created: '2026-01-01T00:00:00.000Z', updated: '2026-01-01T00:00:00.000Z', finalized: null, archived: null,
  });
  assert.deepEqual((await runs.list()).map((r) => r.key), ['default-hello-01']);
  assert.deepEqual((await runs.list({ archived: 'all', workflow: 'hello', limit: 5 })).map((r) => r.key), ['default-hello-01', 'default-hello-02']);
  assert.equal(await runs.count({ archived: 'all', profile: 'default' }), 2);
  assert.equal(await runs.count({ archived: 'only' }), 1);
  await db.tx(async (t) => {
    const repo = new RunRepo(t);
    const s = (await repo.lock('default-hello-01'))!;
    s.updated = '2026-01-03T00:00:00.000Z';
    s.steps.greet = { input: { who: 'x' }, output: null, status: 'done', startedAt: null, finishedAt: null };
    await repo.update(s);
  });
  assert.equal((await runs.withStatus('done')).length, 1);
  assert.equal(await runs.maxNumber('default', 'hello'), 2);
  await db.tx((t) => new RunRepo(t).delete('default-hello-02'));
  assert.equal(await runs.exists('default-hello-02'), false);
  assert.equal(await runs.maxNumber('default', 'hello'), 2, 'a deleted run\'s number is remembered');
  await db.tx((t) => new RunRepo(t).delete('default-hello-01'));
  assert.equal(await runs.maxNumber('default', 'hello'), 2, 'GREATEST keeps the higher number');
  assert.equal(await runs.maxNumber('default', 'other'), 0);

  const events = new EventLog(db);
  await events.append('r', 't1', 'created', null);
  await events.append('r', 't2', 'submitted', 'greet', { who: 'x' });
  const log = await events.forRun('r');
  assert.deepEqual(log.map((e) => [e.type, e.step, e.detail]), [['submitted', 'greet', { who: 'x' }], ['created', null, null]]);
  assert.ok(log[0]!.id > log[1]!.id);

  const settings = new Settings(db);
  await settings.set('k', 'v1');
  await settings.set('k', 'v2');
  assert.equal(await settings.get('k'), 'v2');
  assert.equal(await settings.getOrInit('k', () => 'never'), 'v2');
  assert.equal(await settings.getOrInit('secret', () => 'made'), 'made');

  const profiles = new Profiles(db);
  await profiles.ensureDefault();
  await profiles.ensureDefault();
  await profiles.create('acme');
  await runs.insert(state('acme-hello-01', 'acme'), 1);
  await profiles.switch('acme');
  await profiles.rename('acme', 'acme2');
  assert.deepEqual(await profiles.list(), ['acme2', 'default']);
  assert.equal(await profiles.current(), 'acme2');
  assert.equal((await runs.summary('acme-hello-01'))!.profile, 'acme2');
});

test('the same calls return identical rows on SQLite and PostgreSQL', async () => {
  const { db } = await fresh();
  const dir = mkdtempSync(path.join(tmpdir(), 'railbook-pg-same-'));
  const lite = SqliteDatabase.open(dir);
  try {
    const results = [];
    for (const sql of [lite, db]) {
      const runs = new RunRepo(sql);
      await runs.insert(state('default-hello-01'), 1);
      await runs.insert(state('default-hello-02'), null);
      const events = new EventLog(sql);
      await events.append('default-hello-01', 't', 'created', null, { a: [1, 'b'] });
      const executions = new Executions(sql);
      await executions.claim('default-hello-01', 'greet', 'owner-1', 't', 'id-1', 'host:1');
      results.push({
        list: await runs.list({ archived: 'all' }),
        count: await runs.count({ archived: 'hide' }),
        max: await runs.maxNumber('default', 'hello'),
        events: (await events.forRun('default-hello-01')).map(({ id, ...rest }) => ({ ...rest, id: typeof id })),
        execution: await executions.get('default-hello-01', 'greet'),
      });
    }
    assert.deepEqual(results[1], results[0]);
  } finally {
    await lite.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('executions: a claim holds a lease by the database clock; it expires, and a heartbeat renews it', async () => {
  const { db } = await fresh();
  const executions = new Executions(db);
  await executions.claim('r', 'greet', 'owner-1', '2026-01-01T00:00:00.000Z', 'id-1', 'worker-a');
  const claimed = (await executions.get('r', 'greet'))!;
  assert.deepEqual({ ...claimed, pid: typeof claimed.pid }, {
    run: 'r', step: 'greet', id: 'id-1', pid: 'number', owner: 'owner-1', proc: claimed.proc,
    started: '2026-01-01T00:00:00.000Z', progress: null, worker: 'worker-a', expired: false,
  });
  assert.equal(executions.alive(claimed), true);
  const lease = await db.get<{ left: number }>('SELECT lease_until - CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS left FROM executions');
  assert.ok(lease!.left > 0, 'the lease runs into the future');

  await db.run('UPDATE executions SET lease_until = 0');
  const lapsed = (await executions.get('r', 'greet'))!;
  assert.equal(lapsed.expired, true);
  assert.equal(executions.alive(lapsed), false);

  assert.deepEqual(await executions.heartbeat('owner-1'), [{ run: 'r', step: 'greet' }]);
  assert.deepEqual(await executions.heartbeat('someone-else'), []);
  assert.equal((await executions.get('r', 'greet'))!.expired, false);

  await executions.setProgress('r', 'greet', '{"done":1}');
  assert.deepEqual((await executions.all()).map((e) => [e.step, e.progress, e.expired]), [['greet', '{"done":1}', false]]);
  // A re-claim (cancel and re-run) replaces the row and its lease.
  await executions.claim('r', 'greet', 'owner-2', 't2', 'id-2');
  assert.deepEqual(await executions.all().then((all) => all.map((e) => [e.id, e.owner, e.worker])), [['id-2', 'owner-2', null]]);
  await executions.release('r', 'greet');
  assert.equal(await executions.get('r', 'greet'), undefined);
});
