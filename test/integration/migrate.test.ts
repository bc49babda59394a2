// `railbook migrate --from sqlite:<dir> --to postgres://…`: a real data folder (written by a real
// engine on SQLite: runs done, reverted, archived, deleted, a renamed profile, uploads) copied into
// a real PostgreSQL, then used there by a real engine; and every refusal, with nothing written.
// The source is inherently SQLite (a railbook.db file, pid-owned executions), the target PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { main } from '../../src/cli/main.ts';
import { workflow } from '../../src/engine/index.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { isArtifactRef, type ArtifactRef } from '../../src/store/artifact-ref.ts';
import { hashFile } from '../../src/store/artifacts.ts';
import { MigrateError, migrateToPostgres, type MigrateProgress } from '../../src/store/migrate/migrate.ts';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { Store } from '../../src/store/store.ts';
import { fileUpload, text } from '../../src/widgets/index.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { railbookCli } from '../helpers/railbook-cli.ts';
import { tempDir, tempEngine, type TempEngine } from '../helpers/temp-engine.ts';

/** A note and an uploaded file (an artifact). */
const filesWorkflow = workflow({ id: 'migfiles', title: 'Migrate test' })
  .step({ id: 'note', title: 'Note', fields: { note: text({ label: 'Note' }) } })
  .step({ id: 'upload', title: 'Upload', fields: { file: fileUpload({ label: 'File' }) } });

/**
 * Runs the `railbook` command in this process; returns its exit code and what it printed. The
 * command writes text; the test runner reports to its parent through this process's stdout in
 * binary chunks, possibly while a command runs: those pass through untouched.
 */
async function railbook(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const [out, err] = [process.stdout.write, process.stderr.write];
  const capture = (write: typeof process.stdout.write, stream: NodeJS.WriteStream, add: (s: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof chunk !== 'string') return (write as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      add(chunk);
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out, process.stdout, (s) => { stdout += s; });
  process.stderr.write = capture(err, process.stderr, (s) => { stderr += s; });
  try {
    const code = await main(['node', 'railbook', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

function refsIn(v: unknown, out: ArtifactRef[] = []): ArtifactRef[] {
  if (isArtifactRef(v)) out.push(v);
  else if (Array.isArray(v)) for (const x of v) refsIn(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) refsIn(x, out);
  return out;
}

interface EventRow { id: number; run: string; at: string; type: string; step: string | null; detail: string | null }
const EVENTS_SQL = 'SELECT id, run, at, type, step, detail FROM events ORDER BY id';

async function allEvents(store: Store): Promise<EventRow[]> {
  return (await store.sql.all<EventRow>(EVENTS_SQL)).map((e) => ({ ...e, id: Number(e.id) }));
}

async function settingsOf(store: Store): Promise<{ key: string; value: string }[]> {
  return store.sql.all<{ key: string; value: string }>('SELECT key, value FROM settings ORDER BY key');
}

async function runKeys(store: Store): Promise<string[]> {
  return (await store.runs.list({ archived: 'all', limit: 100_000 })).map((r) => r.key).sort();
}

/** Runs a query straight on a PostgreSQL database (outside Railbook). */
async function pgQuery<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function hello(engine: Engine, name: string, opts: { profile?: string } = {}): Promise<string> {
  const { state } = await engine.open('hello', opts);
  await (await engine.submit(state.key, 'name', { name })).completion;
  await (await engine.submit(state.key, 'greeting', { greeting: `Hello, ${name}!` })).completion;
  return state.key;
}

describe('railbook migrate (SQLite data folder → PostgreSQL)', () => {
  let src: TempEngine;
  let scratch: ReturnType<typeof tempDir>;
  let uploadKey = '';
  let missingKey = '';
  /** The key the next hello run of the default profile gets (the highest was deleted: only run_numbers remembers it). */
  let nextHelloKey = '';
  let csrf = '';

  before(async () => {
    src = await tempEngine();
    scratch = tempDir('railbook-migrate-scratch-');
    const e = src.engine;
    e.registry.add(filesWorkflow);
    await hello(e, 'Ada');
    const reverted = await hello(e, 'Grace');
    await e.revert(reverted, 'name');
    const archived = await hello(e, 'Edsger');
    await e.archive(archived);
    // A profile, current, renamed: its runs move with it, and the current profile follows.
    await e.store.profiles.create('acme');
    await e.store.profiles.switch('acme');
    await hello(e, 'Barbara');
    await e.store.profiles.rename('acme', 'globex');
    // Uploads: one file kept, one lost from the folder before the migration (a warning, not a failure).
    const up = await e.open('migfiles', { profile: 'default' });
    uploadKey = up.state.key;
    const local = path.join(scratch.dir, 'report.txt');
    writeFileSync(local, 'quarterly numbers\n'.repeat(500));
    await (await e.submit(uploadKey, 'note', { note: 'the report' })).completion;
    await (await e.submit(uploadKey, 'upload', { file: local })).completion;
    const lost = await e.open('migfiles', { profile: 'default' });
    missingKey = lost.state.key;
    writeFileSync(local, 'soon gone');
    await (await e.submit(missingKey, 'note', { note: 'lost' })).completion;
    await (await e.submit(missingKey, 'upload', { file: local })).completion;
    const lostRef = refsIn((await e.get(missingKey)).steps.upload!.output)[0]!;
    rmSync(e.store.artifacts.resolve(lostRef.path));
    // The newest run of the default profile, deleted last: its number (only run_numbers remembers
    // it) and its events' ids (only sqlite_sequence remembers them) must not be handed out again.
    const doomed = await hello(e, 'Deleted', { profile: 'default' });
    await e.deleteRun(doomed);
    // What `railbook serve` keeps in settings.
    csrf = await e.store.settings.getOrInit('csrf_secret', () => 'c0ffee'.repeat(10));
    nextHelloKey = await e.nextKey('hello', 'default');
    assert.notEqual(nextHelloKey, 'default-hello-04', 'the deleted run\'s number is not given again');
  });

  after(async () => {
    await src.close();
    scratch.cleanup();
  });

  test('copies runs, events, profiles, settings and artifact files, verified; an engine on PostgreSQL carries on from them', async () => {
    const db = await freshDatabase();
    try {
      const r = await railbook(['migrate', '--from', `sqlite:${src.dataDir}`, '--to', db.url]);
      assert.equal(r.code, 0, r.stderr);
      const store = src.engine.store;
      const runs = await runKeys(store);
      const events = await allEvents(store);
      const profiles = await store.profiles.list();
      const settings = await settingsOf(store);
      // Artifacts: the one file still in the folder (the lost one cannot be stored).
      assert.match(r.stdout, new RegExp(`^copied ${runs.length} runs, ${events.length} events, ${profiles.length} profiles, ${settings.length} settings, 1 artifact file \\([^)]+\\); verified\n`));
      // The one lost file is a warning naming it; the kept one is not mentioned.
      const lostRef = refsIn((await store.runs.get(missingKey))!)[0]!;
      assert.match(r.stderr, new RegExp(`warning: ${lostRef.path.replace(/[.]/g, '\\.')} \\(run ${missingKey}\\) is missing from the data folder`));
      assert.equal(r.stderr.match(/warning/g)?.length, 1, r.stderr);

      const pgSide = await tempEngine({ dataDir: src.dataDir, databaseUrl: db.url });
      try {
        const e = pgSide.engine;
        e.registry.add(filesWorkflow);
        assert.equal(e.store.backend, 'postgres');
        // Every run, byte for byte and as the engine shows it.
        assert.deepEqual(await runKeys(e.store), runs);
        for (const key of runs) {
          assert.deepEqual(await e.store.runs.get(key), await store.runs.get(key), key);
          assert.deepEqual(await e.get(key), await src.engine.get(key), key);
          assert.deepEqual(await e.store.runs.summary(key), await store.runs.summary(key), key);
        }
        assert.notEqual((await e.store.runs.summary('default-hello-03'))!.archived, null, 'the archived run stays archived');
        // Events: the same rows in the same order, with the same ids.
        assert.deepEqual(await allEvents(e.store), events);
        assert.ok(events.some((ev) => ev.type === 'reverted') && events.some((ev) => ev.type === 'profile_renamed') && events.some((ev) => ev.type === 'archived'));
        // Profiles, the current one (renamed), and the CSRF secret.
        assert.deepEqual(await e.store.profiles.list(), profiles);
        assert.deepEqual(profiles, ['default', 'globex']);
        assert.equal(await e.store.profiles.current(), 'globex');
        assert.equal(await e.store.settings.get('csrf_secret'), csrf);
        assert.deepEqual(await settingsOf(e.store), settings);
        // The artifact resolves in the same data folder, intact.
        const ref = refsIn((await e.get(uploadKey)).steps.upload!.output)[0]!;
        const file = await e.store.artifacts.ensureLocal(ref.path);
        assert.ok(existsSync(file));
        assert.equal(await hashFile(file), ref.sha256);
        // And PostgreSQL holds it: a process with an empty data folder (a worker elsewhere) gets it.
        const elsewhere = tempDir('railbook-migrate-elsewhere-');
        const remote = await Store.open(elsewhere.dir, { databaseUrl: db.url });
        try {
          const fetched = await remote.artifacts.ensureLocal(ref.path);
          assert.equal(path.dirname(path.dirname(path.dirname(fetched))), elsewhere.dir);
          assert.equal(await hashFile(fetched), ref.sha256);
        } finally {
          await remote.close();
          elsewhere.cleanup();
        }
        // A new run continues the numbering (past the deleted run) and its events follow the
        // highest id SQLite ever handed out (the deleted run's events included).
        const seq = (store.sqlite.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as { seq: number }).seq;
        assert.ok(seq > events.at(-1)!.id, 'the deleted run\'s events had the highest ids');
        const fresh = await e.open('hello', { profile: 'default' });
        assert.equal(fresh.state.key, nextHelloKey);
        const created = (await e.store.events.forRun(fresh.state.key)).at(-1)!;
        assert.equal(created.type, 'created');
        assert.equal(created.id, seq + 1);
        await (await e.submit(fresh.state.key, 'name', { name: 'Linus' })).completion;
        assert.equal((await e.get(fresh.state.key)).steps.name!.status, 'done');
      } finally {
        await pgSide.close();
      }
    } finally {
      await db.drop();
    }
  });

  test('a PostgreSQL database that already holds runs is refused, untouched', async () => {
    const db = await freshDatabase();
    try {
      const other = await tempEngine({ databaseUrl: db.url });
      try {
        await hello(other.engine, 'Already here');
        await other.engine.store.settings.set('csrf_secret', 'theirs');
      } finally {
        await other.close();
      }
      const before = await pgQuery(db.url, 'SELECT (SELECT COUNT(*) FROM runs) AS runs, (SELECT COUNT(*) FROM events) AS events, (SELECT value FROM settings WHERE key = \'csrf_secret\') AS csrf');
      const r = await railbook(['migrate', '--from', src.dataDir, '--to', db.url]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /is not empty: it holds 1 run, \d+ events; migrate into a fresh database/);
      assert.equal(r.stdout, '');
      assert.deepEqual(await pgQuery(db.url, 'SELECT (SELECT COUNT(*) FROM runs) AS runs, (SELECT COUNT(*) FROM events) AS events, (SELECT value FROM settings WHERE key = \'csrf_secret\') AS csrf'), before);
    } finally {
      await db.drop();
    }
  });

  test('a data folder with a step running is refused: stop railbook first', async () => {
    const db = await freshDatabase();
    // Claimed by this live process under another owner id, as a second engine (a CLI run) would.
    // (The engine in this process would judge a row with its own pid orphaned; migrate asks only
    // whether the owner process lives, and this one does.)
    await src.engine.store.executions.claim(uploadKey, 'note', 'another-engine', new Date().toISOString(), 'exec-1');
    try {
      const r = await railbook(['migrate', '--from', `sqlite:${src.dataDir}`, '--to', db.url]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`1 step is running in .*: ${uploadKey} step note \\(pid ${process.pid}\\); stop railbook first`));
      // Nothing was written: PostgreSQL was not even opened (its schema was never created).
      assert.deepEqual(await pgQuery(db.url, "SELECT to_regclass('runs') AS t"), [{ t: null }]);
    } finally {
      await src.engine.store.executions.release(uploadKey, 'note');
      await db.drop();
    }
  });

  test('a folder without a database, and a bad --from or --to, are bad usage (exit 2)', async () => {
    const empty = tempDir('railbook-migrate-empty-');
    try {
      const none = await railbook(['migrate', '--from', `sqlite:${empty.dir}`, '--to', 'postgres://nobody@127.0.0.1:1/none']);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /no Railbook database in .* \(expected railbook\.db\)/);
      const gone = await railbook(['migrate', '--from', path.join(empty.dir, 'no-such-folder'), '--to', 'postgres://nobody@127.0.0.1:1/none']);
      assert.equal(gone.code, 2);
      assert.match(gone.stderr, /no data folder at /);
    } finally {
      empty.cleanup();
    }
    const mysql = await railbook(['migrate', '--from', src.dataDir, '--to', 'mysql://root@localhost/railbook']);
    assert.equal(mysql.code, 2);
    assert.match(mysql.stderr, /--to must be a PostgreSQL URL/);
    const folder = await railbook(['migrate', '--from', src.dataDir, '--to', './elsewhere']);
    assert.equal(folder.code, 2);
    const backwards = await railbook(['migrate', '--from', 'postgres://x@localhost/db', '--to', 'postgres://x@localhost/db2']);
    assert.equal(backwards.code, 2);
    assert.match(backwards.stderr, /--from must be a data folder/);
    const missing = await railbook(['migrate', '--from', src.dataDir]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--to/);
    // A server that is not there is not bad usage: exit 1, naming it.
    const down = await railbook(['migrate', '--from', src.dataDir, '--to', 'postgres://nobody:hunter22@127.0.0.1:1/none']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot open the PostgreSQL database: cannot connect to PostgreSQL at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none/);
    assert.doesNotMatch(down.stderr, /hunter22/);
  });

  test('a data folder written by an older Railbook is refused, saying how to bring it up to date', async () => {
    const old = tempDir('railbook-migrate-old-');
    try {
      const db = new Database(path.join(old.dir, 'railbook.db'));
      for (const m of MIGRATIONS.slice(0, 4)) db.exec(m);
      db.pragma('user_version = 4');
      db.close();
      const r = await railbook(['migrate', '--from', old.dir, '--to', 'postgres://nobody@127.0.0.1:1/none']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /is at schema 4, written by an older Railbook; open it once with this one .*railbook runs --data-dir/);
    } finally {
      old.cleanup();
    }
  });

  test('a copy that reads back differently is rolled back: exit 1, naming the difference', async () => {
    const db = await freshDatabase();
    try {
      // A database someone started Railbook on once (default profile, a CSRF secret), with a
      // trigger that alters one run's state as it is written: the verification must catch it.
      const first = await Store.open(scratch.dir, { databaseUrl: db.url });
      await first.settings.set('csrf_secret', 'theirs');
      await first.close();
      const victim = (await runKeys(src.engine.store))[0]!;
      await pgQuery(db.url, `CREATE FUNCTION tamper() RETURNS trigger AS $$ BEGIN NEW.state := NEW.state || ' '; RETURN NEW; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER tamper BEFORE INSERT ON runs FOR EACH ROW WHEN (NEW.key = '${victim}') EXECUTE FUNCTION tamper();
        CREATE FUNCTION tamper_bytes() RETURNS trigger AS $$ BEGIN NEW.data := NEW.data || '\\x00'::bytea; RETURN NEW; END $$ LANGUAGE plpgsql;
        CREATE TRIGGER tamper_bytes BEFORE INSERT ON artifact_chunks FOR EACH ROW EXECUTE FUNCTION tamper_bytes()`);
      const r = await railbook(['migrate', '--from', src.dataDir, '--to', db.url]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /differs from the data folder .*rolled back, nothing was written/);
      assert.match(r.stderr, new RegExp(`runs: row key "${victim}" differs in state`));
      assert.match(r.stderr, /runs: SHA-256 over the rows differs/);
      assert.match(r.stderr, new RegExp(`artifact artifacts/${uploadKey}/[^:]+: its stored bytes \\(\\d+, SHA-256 [0-9a-f]{12}…\\) differ from the file's`));
      assert.equal(r.stdout, '');
      // Rolled back: no runs or events, and what the database held before is as it was.
      assert.deepEqual(await pgQuery(db.url, 'SELECT CAST(COUNT(*) AS INTEGER) AS n FROM runs'), [{ n: 0 }]);
      assert.deepEqual(await pgQuery(db.url, 'SELECT CAST(COUNT(*) AS INTEGER) AS n FROM events'), [{ n: 0 }]);
      assert.deepEqual(await pgQuery(db.url, 'SELECT name FROM profiles'), [{ name: 'default' }]);
      assert.deepEqual(await pgQuery(db.url, 'SELECT key, value FROM settings'), [{ key: 'csrf_secret', value: 'theirs' }]);
      assert.deepEqual(await pgQuery(db.url, 'SELECT CAST(COUNT(*) AS INTEGER) AS n FROM artifact_chunks'), [{ n: 0 }]);
    } finally {
      await db.drop();
    }
  });

  test('the store function reports progress, checked artifacts, and what it replaced', async () => {
    const db = await freshDatabase();
    try {
      const first = await Store.open(scratch.dir, { databaseUrl: db.url });
      await first.settings.set('csrf_secret', 'theirs');
      await first.close();
      // A folder of no run (left by hand): named, not stored.
      const ghost = path.join(src.dataDir, 'artifacts', 'ghost-run');
      mkdirSync(ghost, { recursive: true });
      writeFileSync(path.join(ghost, 'x.txt'), 'boo');
      const seen: MigrateProgress[] = [];
      // The folder named through its database file.
      const report = await migrateToPostgres(path.join(src.dataDir, 'railbook.db'), db.url, { progressEvery: 2, onProgress: (p) => seen.push(p) }).finally(() => rmSync(ghost, { recursive: true }));
      const runs = (await runKeys(src.engine.store)).length;
      assert.equal(report.counts.runs, runs);
      assert.ok(seen.some((p) => p.phase === 'copying' && p.table === 'runs' && p.done === 2 && p.total === runs));
      assert.ok(seen.some((p) => p.phase === 'verifying' && p.table === 'runs'));
      assert.equal(report.artifactsChecked, 2);
      const kept = refsIn((await src.engine.store.runs.get(uploadKey))!)[0]!;
      assert.deepEqual(report.artifactFiles, { stored: 1, bytes: kept.size });
      assert.deepEqual(report.strayArtifactFolders, ['artifacts/ghost-run']);
      assert.deepEqual(await pgQuery(db.url, 'SELECT path, run, sha256, CAST(size AS INTEGER) AS size FROM artifact_files'), [{ path: kept.path, run: uploadKey, sha256: kept.sha256, size: kept.size }]);
      assert.deepEqual(report.artifactProblems.map((p) => [p.run, p.reason]), [[missingKey, 'absent']]);
      assert.deepEqual(report.replaced, { profiles: 1, settings: 1 });
      assert.match(report.sha256.runs, /^[0-9a-f]{64}$/);
      assert.equal(await pgQuery(db.url, "SELECT value FROM settings WHERE key = 'csrf_secret'").then((rows) => rows[0]?.value), csrf);
      // Into the same database again: now it holds runs.
      await assert.rejects(migrateToPostgres(src.dataDir, db.url), (e) => e instanceof MigrateError && e.kind === 'refused' && /not empty/.test(e.message));
    } finally {
      await db.drop();
    }
  });

  test('as a real child process: railbook migrate prints the summary and exits 0', async () => {
    const db = await freshDatabase();
    try {
      const r = await railbookCli(['migrate', '--from', `sqlite:${src.dataDir}`, '--to', db.url]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^copied \d+ runs, \d+ events, 2 profiles, 2 settings, 1 artifact file \([^)]+\); verified\n/);
      assert.match(r.stdout, /from now on: railbook serve --data-dir .* --database postgres:\/\//);
      const help = await railbookCli(['migrate', '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /Examples:\n {2}createdb railbook\n {2}railbook migrate --from sqlite:\.\/data --to postgres:\/\//);
      const bad = await railbookCli(['migrate', '--from', src.dataDir, '--to', 'sqlite:./other']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--to must be a PostgreSQL URL/);
    } finally {
      await db.drop();
    }
  });

  // Last: it adds runs to the shared source.
  test('a process writing to the data folder meanwhile cannot tear the copy: it is the folder at one instant', async () => {
    const db = await freshDatabase();
    const earlier = new Set(await runKeys(src.engine.store));
    let done = false;
    let written = 0;
    const writer = (async () => {
      while (!done) {
        await hello(src.engine, `Writer ${written}`, { profile: 'default' });
        written++;
        // SQLite calls complete synchronously: without a turn of the event loop this loop would
        // starve the migration's PostgreSQL I/O (another process would not).
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      // Let the writer get going before the snapshot is taken, and keep going after.
      while (written < 2) await new Promise((r) => setTimeout(r, 5));
      const report = await migrateToPostgres(src.dataDir, db.url);
      done = true;
      await writer;
      assert.ok(written > 2);
      const store = src.engine.store;
      const target = await Store.open(src.dataDir, { databaseUrl: db.url });
      try {
        // Events only grow, one writer at a time: the copy holds exactly those up to some id, and
        // every run it holds is in the state those events left it in.
        const copied = await allEvents(target);
        const last = copied.at(-1)!.id;
        assert.deepEqual(copied, (await allEvents(store)).filter((e) => e.id <= last));
        assert.equal(report.counts.events, copied.length);
        const keys = await runKeys(target);
        assert.equal(keys.length, report.counts.runs);
        for (const key of keys.filter((k) => !earlier.has(k))) {
          const st = (await target.runs.get(key))!;
          const history = copied.filter((e) => e.run === key);
          assert.ok(history.some((e) => e.type === 'created'), key);
          const submitted = history.filter((e) => e.type === 'submitted').map((e) => e.step);
          for (const step of ['name', 'greeting']) {
            assert.equal(st.steps[step]!.status !== 'pending', submitted.includes(step), `${key} ${step}`);
          }
        }
      } finally {
        await target.close();
      }
    } finally {
      done = true;
      await writer.catch(() => {});
      await db.drop();
    }
  });
});
