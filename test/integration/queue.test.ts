// The job queue end to end (issue 7): real `railbook worker` processes on a real PostgreSQL take
// queued runs, share them, survive a kill -9 of one of them, retry failures with backoff, and
// hand runs back when stopped. PostgreSQL only: queuing needs workers reaching one shared
// database, which SQLite cannot be. Nothing here is timed: each test waits for a state of the
// database (with a generous limit, so a hang fails rather than stalls).
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BUILTIN_WORKFLOWS_DIR } from '../../src/engine/registry.ts';
import type { Engine } from '../../src/engine/engine.ts';
import type { JobFile } from '../../src/engine/job-file.ts';
import { enqueueJob } from '../../src/queue/enqueue.ts';
import type { QueuedRun } from '../../src/store/run-queue.ts';
import type { RunEvent } from '../../src/store/event-log.ts';
import { BIN, cleanEnv, railbookCli, ROOT } from '../helpers/railbook-cli.ts';
import { FIXTURE_WORKFLOWS_DIR, tempEngine, type TempEngine } from '../helpers/temp-engine.ts';

const WORKFLOWS = [BUILTIN_WORKFLOWS_DIR, FIXTURE_WORKFLOWS_DIR].join(path.delimiter);
/** Long enough for any healthy machine; a limit only so a hang fails with a message. */
const PATIENCE_MS = 60_000;

// ---- workers as child processes ----

interface WorkerChild {
  /** What the test calls it (also its PostgreSQL application_name). */
  label: string;
  pid: number;
  /** The worker's name as the history records it, once it says it is taking runs. */
  ready: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
  child: ChildProcessByStdio<null, Readable, Readable>;
}

const children = new Set<WorkerChild>();

/** The database URL with an application_name, so a worker's connections can be told apart. */
function urlFor(url: string, label: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', label);
  return u.toString();
}

/** `railbook worker` on the test's database and data folder, with the fixture workflows. */
function startWorker(t: TempEngine, label: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): WorkerChild {
  const child = spawn(process.execPath, [BIN, 'worker', '--data-dir', t.dataDir, '--workflows-dir', WORKFLOWS, ...args], {
    cwd: ROOT,
    env: cleanEnv({ RAILBOOK_DATABASE_URL: urlFor(t.databaseUrl!, label), ...env }, ['RAILBOOK_LEASE']),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const ready = new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /railbook: worker (\S+) taking runs/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then(({ code, signal }) => reject(new Error(`worker ${label} exited (${signal ?? code}) before taking runs:\n${stderr}`)));
  });
  ready.catch(() => {});
  child.stdout.resume();
  const w: WorkerChild = { label, pid: child.pid!, ready, exited, stderr: () => stderr, child };
  children.add(w);
  void exited.then(() => children.delete(w));
  return w;
}

/** Whatever a test left running is killed: no worker outlives its test. */
afterEach(async () => {
  for (const w of [...children]) {
    w.child.kill('SIGKILL');
    await w.exited;
  }
});

/** Polls until `probe` gives a value; fails after PATIENCE_MS naming what was awaited. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, explain: () => string = () => ''): Promise<T> {
  const until = Date.now() + PATIENCE_MS;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) {
      const workers = [...children].map((w) => `--- ${w.label} stderr:\n${w.stderr()}`).join('\n');
      throw new Error(`gave up waiting for ${what}\n${explain()}\n${workers}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The run's queue row once it has settled the way `status` says; a run failing instead fails the test at once. */
async function settled(engine: Engine, key: string, status: 'done' | 'failed' | 'queued'): Promise<QueuedRun> {
  return waitFor(`run ${key} to be ${status} in run_queue`, async () => {
    const q = await engine.store.queue.get(key);
    if (q?.status === 'failed' && status !== 'failed') throw new Error(`run ${key} failed: ${q.error}`);
    return q?.status === status ? q : undefined;
  });
}

/** The run's history, oldest first. */
async function history(engine: Engine, key: string): Promise<RunEvent[]> {
  return (await engine.store.events.forRun(key, 1000)).reverse();
}

/** Step events as "type step @worker" lines: the part of a history these tests are about. */
function stepLines(events: RunEvent[], names: Record<string, string>): string[] {
  return events
    .filter((e) => e.step !== null)
    .map((e) => {
      const worker = typeof e.detail?.worker === 'string' ? e.detail.worker : undefined;
      return `${e.type} ${e.step}${worker ? ` @${names[worker] ?? worker}` : ''}`;
    });
}

function tempFolder(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'railbook-queue-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function job(work: Record<string, unknown>): JobFile {
  return { workflow: 'queue_fixture', inputs: { work } };
}

/** The pids that started the blocking step, in order (one line each). */
function startedBy(dir: string): number[] {
  const file = path.join(dir, 'started');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : [];
}

/** Connections the named workers still hold on the test database. */
async function connectionsOf(engine: Engine, labels: string[]): Promise<number> {
  const r = await engine.store.sql.get<{ n: number }>(
    `SELECT CAST(COUNT(*) AS INTEGER) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name IN (${labels.map(() => '?').join(', ')})`,
    labels);
  return Number(r?.n ?? 0);
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const FAST_RETRY = { attempts: 3, backoffMs: 200 };

describe('job queue (PostgreSQL, worker processes)', () => {
  after(() => {
    // A last guard: the afterEach hooks already waited for every child.
    for (const w of children) w.child.kill('SIGKILL');
  });

  it('two workers share 200 queued runs and each run is done exactly once', async (tc) => {
    const t = await tempEngine({ backend: 'postgres' });
    tc.after(() => t.close());
    const a = startWorker(t, 'pool-a', ['-c', '4']);
    const b = startWorker(t, 'pool-b', ['-c', '4']);
    // Both listen before the first run is queued, so both are offered work from the start.
    const [nameA, nameB] = await Promise.all([a.ready, b.ready]);
    assert.notEqual(nameA, nameB);

    const keys = Array.from({ length: 200 }, (_, i) => `pool-${String(i + 1).padStart(3, '0')}`);
    const todo = [...keys];
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let key = todo.shift(); key; key = todo.shift()) {
        await enqueueJob(t.engine, job({ mode: 'quick' }), { key, queue: 'default', url: t.databaseUrl!, retry: FAST_RETRY });
      }
    }));

    await waitFor('all 200 runs to be done', async () => {
      const c = await t.engine.store.queue.counts();
      if (c.failed > 0) throw new Error(`runs failed: ${JSON.stringify(await t.engine.store.sql.all('SELECT key, error FROM run_queue WHERE status = ?', ['failed']))}`);
      return c.done === 200 ? c : undefined;
    });

    const rows = await t.engine.store.sql.all<{ key: string; status: string; attempts: number; worker: string }>('SELECT key, status, attempts, worker FROM run_queue ORDER BY key');
    assert.equal(rows.length, 200);
    for (const r of rows) {
      assert.equal(r.status, 'done', r.key);
      assert.equal(Number(r.attempts), 1, `${r.key} took one attempt`);
      assert.ok(r.worker === nameA || r.worker === nameB, `${r.key} ran on ${r.worker}`);
    }
    // Eight slots for 200 runs that each pause: neither worker can drain the queue alone first.
    const byWorker = new Map<string, number>();
    for (const r of rows) byWorker.set(r.worker, (byWorker.get(r.worker) ?? 0) + 1);
    assert.ok((byWorker.get(nameA) ?? 0) > 0 && (byWorker.get(nameB) ?? 0) > 0, `both workers took runs: ${JSON.stringify([...byWorker])}`);

    // Each run's history: one submission and one completion per step, by the worker that ran it.
    const events = await t.engine.store.sql.all<{ run: string; type: string; step: string | null; detail: string | null }>(
      'SELECT run, type, step, detail FROM events WHERE step IS NOT NULL ORDER BY id');
    const perRun = new Map<string, string[]>();
    const workerOf = new Map(rows.map((r) => [r.key, r.worker]));
    for (const e of events) {
      const worker = e.detail ? (JSON.parse(e.detail) as { worker?: string }).worker : undefined;
      assert.equal(worker, workerOf.get(e.run), `${e.type} ${e.step} of ${e.run} by the worker that ran it`);
      perRun.set(e.run, [...(perRun.get(e.run) ?? []), `${e.type} ${e.step}`]);
    }
    for (const key of keys) {
      assert.deepEqual(perRun.get(key), ['submitted work', 'completed work', 'submitted finish', 'completed finish'], key);
      const st = await t.engine.get(key);
      assert.deepEqual([st.steps.work?.status, st.steps.finish?.status], ['done', 'done'], key);
    }

    // A clean stop: both leave, say so, and are marked stopped (not dead).
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    assert.deepEqual(await a.exited, { code: 0, signal: null }, a.stderr());
    assert.deepEqual(await b.exited, { code: 0, signal: null }, b.stderr());
    assert.match(a.stderr(), /railbook: worker stopped/);
    const workers = await t.engine.store.workers.all();
    assert.deepEqual(workers.map((w) => w.id).sort(), [nameA, nameB].sort());
    for (const w of workers) assert.ok(w.stopped && !w.stopped.startsWith('dead'), `${w.name} stopped cleanly: ${w.stopped}`);
    await waitFor('the stopped workers to close their connections', async () => (await connectionsOf(t.engine, ['pool-a', 'pool-b'])) === 0);
  });

  it('a worker killed mid-step: after its lease another worker retries the run, and the history shows both', async (tc) => {
    const t = await tempEngine({ backend: 'postgres' });
    tc.after(() => t.close());
    const dir = tempFolder(tc);
    const lease = { RAILBOOK_LEASE: '1' };
    const a = startWorker(t, 'kill-a', ['-c', '2'], lease);
    const nameA = await a.ready;
    const key = await enqueueJob(t.engine, job({ mode: 'block', dir }), { queue: 'default', url: t.databaseUrl!, retry: FAST_RETRY });
    await waitFor('worker A to start the blocking step', () => startedBy(dir).includes(a.pid));
    assert.equal((await t.engine.store.queue.get(key))?.worker, nameA);

    const b = startWorker(t, 'kill-b', ['-c', '2'], lease);
    const nameB = await b.ready;
    a.child.kill('SIGKILL');
    assert.deepEqual(await a.exited, { code: null, signal: 'SIGKILL' });
    assert.ok(gone(a.pid), 'the killed worker is gone');
    // Only now may the step finish: the dead worker never sees this.
    writeFileSync(path.join(dir, 'release'), '');

    const q = await settled(t.engine, key, 'done');
    assert.equal(q.attempts, 2, 'the attempt of the dead worker counts');
    assert.equal(q.worker, nameB);
    assert.deepEqual(startedBy(dir), [a.pid, b.pid]);
    const names = { [nameA]: 'A', [nameB]: 'B' };
    assert.deepEqual(stepLines(await history(t.engine, key), names), [
      'submitted work @A',
      'interrupted work @A',
      'submitted work @B',
      'completed work @B',
      'submitted finish @B',
      'completed finish @B',
    ]);
    const st = await t.engine.get(key);
    assert.equal(st.steps.work?.status, 'done');
    assert.equal(st.steps.finish?.status, 'done');
    // The dead worker was buried (by the survivor's sweep), and its connections died with it.
    const dead = (await t.engine.store.workers.all()).find((w) => w.id === nameA);
    assert.match(dead?.stopped ?? '', /^dead /);
    await waitFor('the killed worker\'s connections to be gone', async () => (await connectionsOf(t.engine, ['kill-a'])) === 0);

    b.child.kill('SIGTERM');
    assert.deepEqual(await b.exited, { code: 0, signal: null }, b.stderr());
    await waitFor('worker B to close its connections', async () => (await connectionsOf(t.engine, ['kill-b'])) === 0);
  });

  it('a failing step is retried with backoff until it succeeds, or failed for good when attempts run out', async (tc) => {
    const t = await tempEngine({ backend: 'postgres' });
    tc.after(() => t.close());
    const w = startWorker(t, 'retry', ['-c', '2']);
    const name = await w.ready;
    const env = { RAILBOOK_DATABASE_URL: t.databaseUrl! };
    const queueJob = async (failures: number, attempts: number): Promise<{ key: string; dir: string }> => {
      const dir = tempFolder(tc);
      const file = path.join(dir, 'job.json');
      writeFileSync(file, JSON.stringify(job({ mode: 'flaky', dir, failures })));
      const r = await railbookCli(['run', file, '--queue', '--attempts', String(attempts), '--backoff', '0.2', '--data-dir', t.dataDir, '--workflows-dir', WORKFLOWS], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /queued on "default"/);
      return { key: r.stdout.trim().split('\n').at(-1)!, dir };
    };

    // Fails twice, then succeeds on the third and last attempt.
    const ok = await queueJob(2, 3);
    const q = await settled(t.engine, ok.key, 'done');
    assert.equal(q.attempts, 3);
    assert.equal(q.error, null);
    assert.equal(readFileSync(path.join(ok.dir, 'attempts'), 'utf8').split('\n').filter(Boolean).length, 3);
    const lines = stepLines(await history(t.engine, ok.key), { [name]: 'W' });
    assert.deepEqual(lines.filter((l) => l.endsWith('work @W')), [
      'submitted work @W', 'failed work @W',
      'submitted work @W', 'failed work @W',
      'submitted work @W', 'completed work @W',
    ]);
    const failed = (await history(t.engine, ok.key)).filter((e) => e.type === 'failed');
    assert.deepEqual(failed.map((e) => e.detail?.error), ['planned failure 1 of 2', 'planned failure 2 of 2']);

    // Two attempts are not enough: failed for good, with the last error.
    const bad = await queueJob(2, 2);
    const f = await settled(t.engine, bad.key, 'failed');
    assert.equal(f.attempts, 2);
    assert.match(f.error ?? '', /step "work": planned failure 2 of 2/);
    const types = stepLines(await history(t.engine, bad.key), { [name]: 'W' });
    assert.deepEqual(types, ['submitted work @W', 'failed work @W', 'submitted work @W', 'failed work @W']);
    const runs = await railbookCli(['runs', '--data-dir', t.dataDir], { env });
    assert.equal(runs.code, 0, runs.stderr);
    const row = runs.stdout.split('\n').find((l) => l.startsWith(`${bad.key} `));
    assert.match(row ?? '', /failed \(2\/2 attempts\)/, runs.stdout);
    // The run that got through reads as done, not as queued or failed.
    const okRow = runs.stdout.split('\n').find((l) => l.startsWith(`${ok.key} `));
    assert.match(okRow ?? '', /2\/2 done/, runs.stdout);

    w.child.kill('SIGTERM');
    assert.deepEqual(await w.exited, { code: 0, signal: null }, w.stderr());
  });

  it('SIGTERM with grace to spare: the step finishes, the rest of the run is handed back and another worker ends it', async (tc) => {
    const t = await tempEngine({ backend: 'postgres' });
    tc.after(() => t.close());
    const dir = tempFolder(tc);
    const a = startWorker(t, 'grace-a', ['--grace', '60']);
    const nameA = await a.ready;
    const key = await enqueueJob(t.engine, job({ mode: 'block', dir }), { queue: 'default', url: t.databaseUrl!, retry: FAST_RETRY });
    await waitFor('worker A to start the blocking step', () => startedBy(dir).includes(a.pid));

    a.child.kill('SIGTERM');
    await waitFor('worker A to say it is stopping', () => a.stderr().includes('railbook: stopping: no new runs'));
    // The step is let go only once the worker stops: it finishes within the grace.
    writeFileSync(path.join(dir, 'release'), '');
    assert.deepEqual(await a.exited, { code: 0, signal: null }, a.stderr());
    assert.match(a.stderr(), new RegExp(`${key}: handed back`));
    const back = await t.engine.store.queue.get(key);
    assert.equal(back?.status, 'queued');
    assert.equal(back?.attempts, 0, 'a run handed back has not used an attempt');

    const b = startWorker(t, 'grace-b');
    const nameB = await b.ready;
    const q = await settled(t.engine, key, 'done');
    assert.equal(q.attempts, 1);
    assert.equal(q.worker, nameB);
    assert.deepEqual(startedBy(dir), [a.pid], 'the finished step was not run again');
    assert.deepEqual(stepLines(await history(t.engine, key), { [nameA]: 'A', [nameB]: 'B' }), [
      'submitted work @A',
      'completed work @A',
      'submitted finish @B',
      'completed finish @B',
    ]);
    b.child.kill('SIGTERM');
    assert.deepEqual(await b.exited, { code: 0, signal: null }, b.stderr());
  });

  it('SIGTERM with a short grace: the blocked step is stopped, the run handed back uncounted, and another worker finishes it', async (tc) => {
    const t = await tempEngine({ backend: 'postgres' });
    tc.after(() => t.close());
    const dir = tempFolder(tc);
    const a = startWorker(t, 'short-a', ['--grace', '0.3']);
    const nameA = await a.ready;
    const key = await enqueueJob(t.engine, job({ mode: 'block', dir }), { queue: 'default', url: t.databaseUrl!, retry: FAST_RETRY });
    await waitFor('worker A to start the blocking step', () => startedBy(dir).includes(a.pid));

    a.child.kill('SIGTERM');
    assert.deepEqual(await a.exited, { code: 0, signal: null }, a.stderr());
    assert.match(a.stderr(), new RegExp(`${key}: handed back`));
    const back = await t.engine.store.queue.get(key);
    assert.equal(back?.status, 'queued');
    assert.equal(back?.attempts, 0, 'a run handed back has not used an attempt');
    // Engine.shutdown says it records the step interrupted; but it aborts the step's signal before
    // writing that, so a step that stops at once can record itself cancelled first (a race in
    // src/engine/engine.ts, reported). Either way the run goes back whole: that is what is checked.
    const stoppedAs = stepLines(await history(t.engine, key), { [nameA]: 'A' });
    assert.equal(stoppedAs[0], 'submitted work @A');
    assert.ok(stoppedAs.length === 2 && ['interrupted work', 'cancelled work @A'].includes(stoppedAs[1]!), JSON.stringify(stoppedAs));
    assert.notEqual((await t.engine.get(key)).steps.work?.status, 'running');

    writeFileSync(path.join(dir, 'release'), '');
    const b = startWorker(t, 'short-b');
    const nameB = await b.ready;
    const q = await settled(t.engine, key, 'done');
    assert.equal(q.attempts, 1);
    assert.equal(q.worker, nameB);
    assert.deepEqual(startedBy(dir), [a.pid, b.pid]);
    assert.deepEqual(stepLines(await history(t.engine, key), { [nameA]: 'A', [nameB]: 'B' }), [
      ...stoppedAs,
      'submitted work @B',
      'completed work @B',
      'submitted finish @B',
      'completed finish @B',
    ]);
    b.child.kill('SIGTERM');
    assert.deepEqual(await b.exited, { code: 0, signal: null }, b.stderr());
  });
});

describe('job queue: command-line mistakes (exit 2, nothing started)', { concurrency: true }, () => {
  // A URL that is never reached: each mistake is caught before any connection.
  const nowhere = { RAILBOOK_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
  let dir = '';
  let jobFile = '';
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'railbook-queue-cli-'));
    jobFile = path.join(dir, 'job.json');
    writeFileSync(jobFile, JSON.stringify(job({ mode: 'quick' })));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('run --queue without a database names --database and RAILBOOK_DATABASE_URL', async () => {
    const r = await railbookCli(['run', jobFile, '--queue', '--data-dir', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--database/);
    assert.match(r.stderr, /RAILBOOK_DATABASE_URL/);
    assert.equal(r.stdout, '');
  });

  it('worker without a database', async () => {
    const r = await railbookCli(['worker', '--data-dir', dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--database/);
    assert.match(r.stderr, /RAILBOOK_DATABASE_URL/);
  });

  it('a bad queue name, for run and for worker', async () => {
    const run = await railbookCli(['run', jobFile, '--queue', 'bad name!', '--data-dir', dir], { env: nowhere });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--queue: queue name "bad name!"/);
    const worker = await railbookCli(['worker', '--queue', 'bad name!', '--data-dir', dir], { env: nowhere });
    assert.equal(worker.code, 2, worker.stderr);
    assert.match(worker.stderr, /--queue: queue name "bad name!"/);
  });

  it('--attempts 0', async () => {
    const r = await railbookCli(['run', jobFile, '--queue', '--attempts', '0', '--data-dir', dir], { env: nowhere });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--attempts must be a whole number from 1/);
  });

  it('a notebook with --queue', async () => {
    const r = await railbookCli(['run', path.join(ROOT, 'notebooks', 'hello_world.ipynb'), '--queue', '--data-dir', dir], { env: nowhere });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--queue is for job files/);
  });
});
