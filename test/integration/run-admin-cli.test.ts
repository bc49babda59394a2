// `railbook archive | unarchive | delete` and `railbook runs --archived/--all` as a person or a
// script uses them: real processes on a real data folder; the terminal prompt through a real
// pseudo-terminal (util-linux `script`, part of every Debian system).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/engine/engine.ts';
import { Registry } from '../../src/engine/registry.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir, tempEngine } from '../helpers/temp-engine.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'railbook.js');

interface Result { code: number | null; stdout: string; stderr: string }

/** Runs the command with stdin a pipe (not a terminal), as in a script or CI. */
function railbook(args: string[], input = ''): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1' };
  for (const k of ['RAILBOOK_DATA_DIR', 'RAILBOOK_WORKFLOWS_DIR', 'NODE_OPTIONS']) delete env[k];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
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
function railbookOnTerminal(args: string[], answer: string): Promise<Result> {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env: { ...process.env, CI: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
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

/** A data folder holding runs made through the engine, closed again before the CLI opens it. */
async function withRuns(make: (engine: Engine) => Promise<void>): Promise<{ dir: string; cleanup: () => void }> {
  const tmp = tempDir('railbook-admin-cli-');
  const t = await tempEngine(tmp.dir);
  await make(t.engine);
  t.engine.shutdown();
  t.engine.store.close();
  return tmp;
}

const keysOf = (r: Result) => (JSON.parse(r.stdout) as { key: string }[]).map((x) => x.key).sort();

test('archive hides a run from `railbook runs`; --archived lists only those, --all every run; unarchive undoes it', async () => {
  const d = await withRuns(async (e) => { e.open('hello'); e.open('hello'); });
  const at = ['--data-dir', d.dir];
  try {
    const a = await railbook(['archive', 'default-hello-01', ...at]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /archived default-hello-01: hidden from lists, kept \(railbook unarchive default-hello-01 lists it again\)/);
    assert.deepEqual(keysOf(await railbook(['runs', '--json', ...at])), ['default-hello-02']);
    assert.deepEqual(keysOf(await railbook(['runs', '--json', '--archived', ...at])), ['default-hello-01']);
    assert.deepEqual(keysOf(await railbook(['runs', '--json', '--all', ...at])), ['default-hello-01', 'default-hello-02']);
    const table = await railbook(['runs', '--all', ...at]);
    assert.match(table.stdout, /default-hello-01 .*\(archived\)/);
    assert.match((await railbook(['runs', ...at])).stderr, /1 archived run not shown: --archived or --all lists it/);
    const both = await railbook(['runs', '--archived', '--all', ...at]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--archived and --all do not go together/);
    // Still there in full: its state prints.
    assert.equal((await railbook(['state', 'default-hello-01', ...at])).code, 0);

    assert.match((await railbook(['archive', 'default-hello-01', ...at])).stdout, /already archived; nothing changed/);
    // With every run archived, `runs` does not claim there are none.
    assert.equal((await railbook(['archive', 'default-hello-02', ...at])).code, 0);
    assert.match((await railbook(['runs', ...at])).stderr, /^no runs listed \(2 archived runs not shown: --archived or --all lists them\)$/m);
    assert.equal((await railbook(['unarchive', 'default-hello-02', ...at])).code, 0);
    const u = await railbook(['unarchive', 'default-hello-01', ...at]);
    assert.equal(u.code, 0, u.stderr);
    assert.deepEqual(keysOf(await railbook(['runs', '--json', ...at])), ['default-hello-01', 'default-hello-02']);
  } finally {
    d.cleanup();
  }
});

test('delete without a terminal needs --yes (exit 2, nothing deleted); with --yes the run and its artifacts go', async () => {
  let artifacts = '';
  const d = await withRuns(async (e) => {
    const key = e.open('hello').state.key;
    await (await e.submit(key, 'name', { name: 'Ada' })).completion;
    await e.store.artifacts.writeBytes(key, 'notes.txt', 'some notes');
    artifacts = e.store.artifacts.dirFor(key);
  });
  const at = ['--data-dir', d.dir];
  try {
    const refused = await railbook(['delete', 'default-hello-01', ...at], 'y\n');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /not deleting run default-hello-01 \(1 of 2 steps done, 1 artifact file \(10 bytes\)\) without confirmation: stdin is not a terminal; add --yes to delete it/);
    assert.ok(existsSync(artifacts), 'nothing deleted');

    const unknown = await railbook(['delete', 'no-such-run', '--yes', ...at]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no run "no-such-run"/);

    const done = await railbook(['delete', 'default-hello-01', '--yes', ...at]);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /deleted default-hello-01 \(1 of 2 steps done, 1 artifact file \(10 bytes\)\)/);
    assert.equal(existsSync(artifacts), false);
    assert.deepEqual(keysOf(await railbook(['runs', '--json', '--all', ...at])), []);
    assert.equal((await railbook(['state', 'default-hello-01', ...at])).code, 2);
  } finally {
    d.cleanup();
  }
});

test('delete on a terminal asks "[y/N]", says what goes (finalized too); only "y" deletes', async () => {
  const d = await withRuns(async (e) => {
    const key = e.open('hello').state.key;
    await (await e.submit(key, 'name', { name: 'Ada' })).completion;
    await (await e.submit(key, 'greeting', { greeting: 'Hi' })).completion;
    e.finalize(key);
  });
  const args = ['delete', 'default-hello-01', '--data-dir', d.dir];
  try {
    const no = await railbookOnTerminal(args, '');
    assert.equal(no.code, 0);
    assert.match(no.stdout, /Delete run default-hello-01 \(2 of 2 steps done, no artifact files, finalized\)\? This cannot be undone\. \[y\/N\]/);
    assert.match(no.stdout, /not deleted/);
    const store = new Store(d.dir);
    try {
      assert.ok(store.runs.exists('default-hello-01'), 'Enter alone keeps the run');
    } finally {
      store.close();
    }
    const yes = await railbookOnTerminal(args, 'y');
    assert.equal(yes.code, 0);
    assert.match(yes.stdout, /deleted default-hello-01/);
    const engine = new Engine(new Store(d.dir), new Registry());
    try {
      assert.equal(engine.listRuns({ archived: 'all' }).length, 0);
    } finally {
      engine.store.close();
    }
  } finally {
    d.cleanup();
  }
});

test('delete of a run with a step running elsewhere is refused with what to do (exit 2)', async () => {
  const d = await withRuns(async (e) => { e.open('hello'); });
  try {
    // A step claimed by a live process (this test's own) that is not the CLI: running elsewhere.
    const store = new Store(d.dir);
    try {
      store.tx(() => {
        const st = store.runs.get('default-hello-01')!;
        st.steps.greeting = { input: { greeting: 'x' }, output: null, status: 'running', startedAt: new Date().toISOString(), finishedAt: null };
        store.runs.update(st);
        store.executions.claim('default-hello-01', 'greeting', 'another-process', new Date().toISOString(), 'exec-1');
      });
    } finally {
      store.close();
    }
    const r = await railbook(['delete', 'default-hello-01', '--yes', '--data-dir', d.dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /run default-hello-01 has a step running \(greeting\); stop it first/);
  } finally {
    d.cleanup();
  }
});
