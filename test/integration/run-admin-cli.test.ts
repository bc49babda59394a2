// `railbook archive | unarchive | delete` and `railbook runs --archived/--all` as a person or a
// script uses them: real processes on a real data folder; the terminal prompt through a real
// pseudo-terminal (util-linux `script`, part of every Debian system). On both backends: the
// children get RAILBOOK_DATABASE_URL on PostgreSQL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Engine } from '../../src/engine/engine.ts';
import { Registry } from '../../src/engine/registry.ts';
import { Store } from '../../src/store/store.ts';
import { forEachBackend, type Backend } from '../helpers/backends.ts';
import { BIN, cleanEnv, cliData, ROOT, type CliData } from '../helpers/railbook-cli.ts';
import { tempEngine } from '../helpers/temp-engine.ts';

interface Result { code: number | null; stdout: string; stderr: string }

/** Runs the command with stdin a pipe (not a terminal), as in a script or CI. */
function railbook(d: CliData, args: string[], input = ''): Promise<Result> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(d.env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the command on a pseudo-terminal, typing `answer` at its prompt. */
function railbookOnTerminal(d: CliData, args: string[], answer: string): Promise<Result> {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env: cleanEnv(d.env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    // Answer once the question is on the screen.
    if (stdout.includes('[y/N]') && !child.stdin.writableEnded) child.stdin.end(`${answer}\n`);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
  });
}

/** A store holding runs made through the engine, closed again before the CLI opens it. */
async function withRuns(backend: Backend, make: (engine: Engine) => Promise<void>): Promise<CliData> {
  const d = await cliData(backend, 'railbook-admin-cli-');
  const t = await tempEngine({ dataDir: d.dir, databaseUrl: d.databaseUrl });
  try {
    await make(t.engine);
  } finally {
    await t.close();
  }
  return d;
}

/** The store the CLI used, opened in this process. */
const openStore = (d: CliData) => Store.open(d.dir, { databaseUrl: d.databaseUrl });

const keysOf = (r: Result) => (JSON.parse(r.stdout) as { key: string }[]).map((x) => x.key).sort();

forEachBackend((backend) => describe(`archive, unarchive, delete (${backend})`, () => {
  test('archive hides a run from `railbook runs`; --archived lists only those, --all every run; unarchive undoes it', async () => {
    const d = await withRuns(backend, async (e) => { await e.open('hello'); await e.open('hello'); });
    const at = ['--data-dir', d.dir];
    try {
      const a = await railbook(d, ['archive', 'default-hello-01', ...at]);
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /archived default-hello-01: hidden from lists, kept \(railbook unarchive default-hello-01 lists it again\)/);
      assert.deepEqual(keysOf(await railbook(d, ['runs', '--json', ...at])), ['default-hello-02']);
      assert.deepEqual(keysOf(await railbook(d, ['runs', '--json', '--archived', ...at])), ['default-hello-01']);
      assert.deepEqual(keysOf(await railbook(d, ['runs', '--json', '--all', ...at])), ['default-hello-01', 'default-hello-02']);
      const table = await railbook(d, ['runs', '--all', ...at]);
      assert.match(table.stdout, /default-hello-01 .*\(archived\)/);
      assert.match((await railbook(d, ['runs', ...at])).stderr, /1 archived run not shown: --archived or --all lists it/);
      const both = await railbook(d, ['runs', '--archived', '--all', ...at]);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /--archived and --all do not go together/);
      // Still there in full: its state prints.
      assert.equal((await railbook(d, ['state', 'default-hello-01', ...at])).code, 0);

      assert.match((await railbook(d, ['archive', 'default-hello-01', ...at])).stdout, /already archived; nothing changed/);
      // With every run archived, `runs` does not claim there are none.
      assert.equal((await railbook(d, ['archive', 'default-hello-02', ...at])).code, 0);
      assert.match((await railbook(d, ['runs', ...at])).stderr, /^no runs listed \(2 archived runs not shown: --archived or --all lists them\)$/m);
      assert.equal((await railbook(d, ['unarchive', 'default-hello-02', ...at])).code, 0);
      const u = await railbook(d, ['unarchive', 'default-hello-01', ...at]);
      assert.equal(u.code, 0, u.stderr);
      assert.deepEqual(keysOf(await railbook(d, ['runs', '--json', ...at])), ['default-hello-01', 'default-hello-02']);
    } finally {
      await d.cleanup();
    }
  });

  test('delete without a terminal needs --yes (exit 2, nothing deleted); with --yes the run and its artifacts go', async () => {
    let artifacts = '';
    const d = await withRuns(backend, async (e) => {
      const key = (await e.open('hello')).state.key;
      await (await e.submit(key, 'name', { name: 'Ada' })).completion;
      await e.store.artifacts.writeBytes(key, 'notes.txt', 'some notes');
      artifacts = e.store.artifacts.dirFor(key);
    });
    const at = ['--data-dir', d.dir];
    try {
      const refused = await railbook(d, ['delete', 'default-hello-01', ...at], 'y\n');
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /not deleting run default-hello-01 \(1 of 2 steps done, 1 artifact file \(10 bytes\)\) without confirmation: stdin is not a terminal; add --yes to delete it/);
      assert.ok(existsSync(artifacts), 'nothing deleted');

      const unknown = await railbook(d, ['delete', 'no-such-run', '--yes', ...at]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /no run "no-such-run"/);

      const done = await railbook(d, ['delete', 'default-hello-01', '--yes', ...at]);
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /deleted default-hello-01 \(1 of 2 steps done, 1 artifact file \(10 bytes\)\)/);
      assert.equal(existsSync(artifacts), false);
      assert.deepEqual(keysOf(await railbook(d, ['runs', '--json', '--all', ...at])), []);
      assert.equal((await railbook(d, ['state', 'default-hello-01', ...at])).code, 2);
    } finally {
      await d.cleanup();
    }
  });

  test('delete on a terminal asks "[y/N]", says what goes (finalized too); only "y" deletes', async () => {
    const d = await withRuns(backend, async (e) => {
      const key = (await e.open('hello')).state.key;
      await (await e.submit(key, 'name', { name: 'Ada' })).completion;
      await (await e.submit(key, 'greeting', { greeting: 'Hi' })).completion;
      await e.finalize(key);
    });
    const args = ['delete', 'default-hello-01', '--data-dir', d.dir];
    try {
      const no = await railbookOnTerminal(d, args, '');
      assert.equal(no.code, 0);
      assert.match(no.stdout, /Delete run default-hello-01 \(2 of 2 steps done, no artifact files, finalized\)\? This cannot be undone\. \[y\/N\]/);
      assert.match(no.stdout, /not deleted/);
      const store = await openStore(d);
      try {
        assert.ok(await store.runs.exists('default-hello-01'), 'Enter alone keeps the run');
      } finally {
        await store.close();
      }
      const yes = await railbookOnTerminal(d, args, 'y');
      assert.equal(yes.code, 0);
      assert.match(yes.stdout, /deleted default-hello-01/);
      const engine = await Engine.start(await openStore(d), new Registry());
      try {
        assert.equal((await engine.listRuns({ archived: 'all' })).length, 0);
      } finally {
        await engine.shutdown();
        await engine.store.close();
      }
    } finally {
      await d.cleanup();
    }
  });

  test('delete of a run with a step running elsewhere is refused with what to do (exit 2)', async () => {
    const d = await withRuns(backend, async (e) => { await e.open('hello'); });
    try {
      // A step claimed by a live process (this test's own) that is not the CLI: running elsewhere.
      // (On PostgreSQL its lease, fresh, says it is alive.)
      const store = await openStore(d);
      try {
        await store.tx(async (tx) => {
          const st = (await tx.runs.lock('default-hello-01'))!;
          st.steps.greeting = { input: { greeting: 'x' }, output: null, status: 'running', startedAt: new Date().toISOString(), finishedAt: null };
          await tx.runs.update(st);
          await tx.executions.claim('default-hello-01', 'greeting', 'another-process', new Date().toISOString(), 'exec-1');
        });
      } finally {
        await store.close();
      }
      const r = await railbook(d, ['delete', 'default-hello-01', '--yes', '--data-dir', d.dir]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /run default-hello-01 has a step running \(greeting\); stop it first/);
    } finally {
      await d.cleanup();
    }
  });
}));
