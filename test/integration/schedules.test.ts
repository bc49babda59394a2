// Schedules end to end (issue 7 §3): `railbook schedule` at the terminal, and real `railbook serve`
// / `railbook worker` processes firing them — each firing a normal run with its own key, exactly
// once per fire time however many processes look (PostgreSQL), missed firings handled by the
// schedule's policy, and nothing made up for a pause. Nothing is timed: each test waits for a
// state of the database (with a generous limit, so a hang fails rather than stalls).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import { BUILTIN_WORKFLOWS_DIR } from '../../src/engine/registry.ts';
import { nextFires } from '../../src/schedule/cron.ts';
import type { Firing } from '../../src/store/schedules.ts';
import { Store } from '../../src/store/store.ts';
import { BACKENDS, type Backend } from '../helpers/backends.ts';
import { BIN, cleanEnv, cliData, ROOT, type CliData } from '../helpers/railbook-cli.ts';
import { FIXTURE_WORKFLOWS_DIR } from '../helpers/temp-engine.ts';

const WORKFLOWS = [BUILTIN_WORKFLOWS_DIR, FIXTURE_WORKFLOWS_DIR].join(path.delimiter);
/** Long enough for any healthy machine; a limit only so a hang fails with a message. */
const PATIENCE_MS = 60_000;
const EVERY_SECOND = '* * * * * *';

// ---- a store shared by the test, the in-process CLI and child processes ----

interface Setup extends CliData {
  store: Store;
  /** The servers and workers this test started (killed when it ends, whatever happened). */
  children: Set<Child>;
  /** A job file for the queue fixture (quick mode), with a "key" that each firing must ignore. */
  jobFile: string;
}

async function setup(tc: { after: (fn: () => Promise<void>) => void }, backend: Backend): Promise<Setup> {
  const d = await cliData(backend, 'railbook-schedules-');
  const store = await Store.open(d.dir, { databaseUrl: d.databaseUrl });
  const jobFile = path.join(d.dir, 'every-second.json');
  writeFileSync(jobFile, JSON.stringify({ workflow: 'queue_fixture', key: 'one-fixed-key', inputs: { work: { mode: 'quick' } } }));
  const children = new Set<Child>();
  tc.after(async () => {
    for (const c of [...children]) {
      c.child.kill('SIGKILL');
      await c.exited;
    }
    await store.close();
    await d.cleanup();
  });
  return { ...d, store, jobFile, children };
}

/** Tests run side by side, and the in-process CLI borrows the process's stdout and stderr: one call at a time. */
let cliTurn: Promise<unknown> = Promise.resolve();

/** `railbook <args>` in this process, on the setup's store (the CLI gets nothing from a child here). */
function railbook(s: Setup, args: string[], opts: { workflows?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const call = cliTurn.then(() => railbookNow(s, args, opts));
  cliTurn = call.catch(() => {});
  return call;
}

async function railbookNow(s: Setup, args: string[], opts: { workflows?: boolean }): Promise<{ code: number; stdout: string; stderr: string }> {
  const where = ['--data-dir', s.dir, ...(s.databaseUrl ? ['--database', s.databaseUrl] : []), ...(opts.workflows ? ['--workflows-dir', WORKFLOWS] : [])];
  let stdout = '';
  let stderr = '';
  const [out, err] = [process.stdout.write, process.stderr.write];
  // The CLI writes strings; the test runner's own reports (binary, on stdout) must still get through.
  const capture = (stream: NodeJS.WriteStream, original: typeof out, add: (text: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: never[]) => {
      if (typeof chunk !== 'string') return original.call(stream, chunk, ...rest);
      add(chunk);
      return true;
    }) as typeof out;
  process.stdout.write = capture(process.stdout, out, (t) => { stdout += t; });
  process.stderr.write = capture(process.stderr, err, (t) => { stderr += t; });
  try {
    const code = await main(['node', 'railbook', ...args, ...where]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** `railbook schedule add`, which must succeed. */
async function addSchedule(s: Setup, args: string[]): Promise<void> {
  const r = await railbook(s, ['schedule', 'add', s.jobFile, ...args], { workflows: true });
  assert.equal(r.code, 0, r.stderr);
}

async function ok(s: Setup, args: string[]): Promise<string> {
  const r = await railbook(s, args);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

// ---- serve and worker as child processes ----

interface Child {
  label: string;
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
  child: ChildProcessByStdio<null, Readable, Readable>;
}

/** Every child of every test, for a last guard at the end of the file. */
const everyChild = new Set<Child>();

function startChild(s: Setup, label: string, args: string[], readyLine: RegExp): Child {
  const child = spawn(process.execPath, [BIN, ...args, '--data-dir', s.dir, '--workflows-dir', WORKFLOWS], {
    cwd: ROOT,
    env: cleanEnv(s.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const ready = new Promise<void>((resolve, reject) => {
    const look = () => { if (readyLine.test(stdout) || readyLine.test(stderr)) resolve(); };
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); look(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); look(); });
    void exited.then(({ code, signal }) => reject(new Error(`${label} exited (${signal ?? code}) before it was ready:\n${stderr}`)));
  });
  ready.catch(() => {});
  const c: Child = { label, ready, exited, stderr: () => stderr, child };
  for (const set of [s.children, everyChild]) {
    set.add(c);
    void exited.then(() => set.delete(c));
  }
  return c;
}

/** `railbook serve` on a free port, firing schedules (unless `--no-schedules`). */
function startServe(s: Setup, label: string, args: string[] = []): Child {
  return startChild(s, label, ['serve', '--port', '0', '--no-open', '--no-auto-backup', ...args], /Railbook is running at /);
}

/** `railbook worker` (PostgreSQL), which fires schedules too. */
function startWorker(s: Setup, label: string, args: string[]): Child {
  return startChild(s, label, ['worker', ...args], /railbook: worker \S+ taking runs/);
}

/** SIGTERM, and the clean exit that must follow. */
async function stop(c: Child): Promise<void> {
  c.child.kill('SIGTERM');
  assert.deepEqual(await c.exited, { code: 0, signal: null }, `${c.label} stopped cleanly:\n${c.stderr()}`);
}

// Each test kills what it started (setup); this is a last guard.
after(() => {
  for (const c of everyChild) c.child.kill('SIGKILL');
});

/** The firings each process logged, as "fire time → run" per schedule, with who logged each. */
function logged(cs: Child[], schedule: string): { fireAt: string; run: string; by: string }[] {
  const re = /^railbook: schedule (\S+) \((\S+)\): run (\S+)$/gm;
  const out = [];
  for (const c of cs) for (const m of c.stderr().matchAll(re)) if (m[1] === schedule) out.push({ fireAt: m[2]!, run: m[3]!, by: c.label });
  return out;
}

// ---- reading the store ----

/** Polls until `probe` gives a value; fails after PATIENCE_MS naming what was awaited. */
async function waitFor<T>(s: Setup, what: string, probe: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> {
  const until = Date.now() + PATIENCE_MS;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) {
      const logs = [...s.children].map((c) => `--- ${c.label} stderr:\n${c.stderr()}`).join('\n');
      throw new Error(`gave up waiting for ${what}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every firing of a schedule, oldest first. */
async function firings(s: Setup, name: string): Promise<Firing[]> {
  return (await s.store.schedules.firings(name, 100_000)).reverse();
}

async function fired(s: Setup, name: string): Promise<Firing[]> {
  return (await firings(s, name)).filter((f) => f.status === 'fired');
}

async function runCount(s: Setup): Promise<number> {
  const r = await s.store.sql.get<{ n: number }>('SELECT CAST(COUNT(*) AS INTEGER) AS n FROM runs');
  return Number(r?.n ?? 0);
}

/** Whether every step of the run is done. */
async function runDone(s: Setup, key: string): Promise<boolean> {
  const st = await s.store.runs.get(key);
  return !!st && Object.values(st.steps).every((step) => step.status === 'done');
}

const ms = (iso: string) => new Date(iso).getTime();

/** Fire times one second apart, none twice, none left out between the first and the last. */
function assertConsecutiveSeconds(fs: Firing[], what: string): void {
  const times = fs.map((f) => ms(f.fireAt));
  for (const t of times) assert.equal(t % 1000, 0, `${what}: ${new Date(t).toISOString()} is on a whole second`);
  for (let i = 1; i < times.length; i++) {
    assert.equal(times[i]! - times[i - 1]!, 1000, `${what}: ${new Date(times[i - 1]!).toISOString()} is followed by ${new Date(times[i]!).toISOString()}`);
  }
}

/**
 * On SQLite, the one server's scheduler has finished every look that began before `since`: a
 * canary schedule added afterwards was tried for a time a second past it (looks are one at a
 * time, and each reads every schedule). The canary's job names no workflow, so its firings fail
 * and make no run: the runs in the store stay those of the schedules under test.
 */
async function lookedSince(s: Setup, since: number, n: number): Promise<void> {
  const canary = `canary-${n}`;
  const job = JSON.stringify({ job: { workflow: 'no_such_workflow', inputs: {} }, baseDir: s.dir });
  assert.ok(await s.store.schedules.add({ name: canary, job, workflow: 'no_such_workflow', cron: EVERY_SECOND, tz: null, missed: 'skip', queue: null, created: new Date().toISOString() }));
  await waitFor(s, `${canary} to be tried for a time after ${new Date(since + 1000).toISOString()}`, async () =>
    (await firings(s, canary)).some((f) => ms(f.fireAt) >= since + 1000));
  assert.ok((await firings(s, canary)).every((f) => f.status !== 'fired' && !f.run), 'the canary made no run');
}

// ---- the tests ----

describe('railbook schedule (CLI)', () => {
  it('add checks everything first and prints the next fire times; list, pause, resume, remove', async (tc) => {
    const s = await setup(tc, 'sqlite');
    const empty = await railbook(s, ['schedule', 'list']);
    assert.deepEqual([empty.code, empty.stdout], [0, '']);
    assert.match(empty.stderr, /no schedules yet \(railbook schedule add <job\.json> --cron "…"\)/);

    const add = await railbook(s, ['schedule', 'add', s.jobFile, '--cron', '0 6 * * 1', '--tz', 'Europe/Paris', '--name', 'monday-crawl', '--missed', 'skip'], { workflows: true });
    assert.equal(add.code, 0, add.stderr);
    const m = /^added schedule monday-crawl: queue_fixture at "0 6 \* \* 1" \(Europe\/Paris\); next: (.+)\n$/.exec(add.stdout);
    assert.ok(m, add.stdout);
    // Three Mondays at 06:00 Paris time, a week apart.
    const next = m[1]!.split(', ');
    assert.equal(next.length, 3, m[1]);
    for (const [i, n] of next.entries()) {
      const d = /^(\d{4}-\d\d-\d\d) 06:00:00 Europe\/Paris$/.exec(n);
      assert.ok(d, n);
      assert.equal(new Date(`${d[1]!}T12:00:00Z`).getUTCDay(), 1, `${n} is a Monday`);
      if (i > 0) assert.equal(ms(`${d[1]!}T12:00:00Z`) - ms(`${next[i - 1]!.slice(0, 10)}T12:00:00Z`), 7 * 86_400_000);
    }
    assert.match(add.stderr, /schedules fire while railbook serve \(or, with PostgreSQL, railbook worker\) runs/);
    // No --name: the job file's name; a key in the file is not what the schedule stores.
    await addSchedule(s, ['--cron', '*/5 * * * *']);
    const stored = await s.store.schedules.get('every-second');
    assert.ok(stored);
    assert.equal((JSON.parse(stored.job) as { job: { key?: string } }).job.key, undefined);
    assert.deepEqual([stored.missed, stored.tz, stored.queue, stored.paused, stored.lastFire], ['run-once', null, null, null, stored.created]);

    // Bad usage: exit 2, one clear line, and nothing added.
    const bad = async (args: string[], file: string, re: RegExp) => {
      const r = await railbook(s, ['schedule', 'add', file, ...args], { workflows: true });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stdout, '');
    };
    await bad(['--cron', '0 25 * * *', '--name', 'x'], s.jobFile, /--cron: bad cron expression "0 25 \* \* \*": .*hour.*25.*\(5 fields: minute hour/i);
    await bad(['--cron', 'every day', '--name', 'x'], s.jobFile, /--cron: bad cron expression "every day"/);
    await bad(['--cron', '0 0 31 2 *', '--name', 'x'], s.jobFile, /--cron: cron expression "0 0 31 2 \*" never fires/);
    await bad(['--cron', '0 6 * * 1', '--tz', 'Europe/Pariss', '--name', 'x'], s.jobFile, /--cron: unknown time zone "Europe\/Pariss" \(use an IANA name/);
    await bad(['--cron', '0 6 * * 1', '--missed', 'sometimes', '--name', 'x'], s.jobFile, /--missed must be run-once or skip, not "sometimes"/);
    await bad(['--cron', '0 6 * * 1', '--name', 'monday-crawl'], s.jobFile, /a schedule named "monday-crawl" exists already \(railbook schedule remove monday-crawl, or give another --name\)/);
    await bad(['--cron', '0 6 * * 1', '--name', 'no spaces'], s.jobFile, /schedule name "no spaces" must be 1–40 letters/);
    await bad(['--cron', '0 6 * * 1', '--queue', 'crawl', '--name', 'x'], s.jobFile, /--queue needs PostgreSQL/);
    const badJob = (name: string, text: string) => {
      const file = path.join(s.dir, name);
      writeFileSync(file, text);
      return file;
    };
    await bad(['--cron', '0 6 * * 1', '--name', 'x'], path.join(s.dir, 'missing.json'), /bad job file .*missing\.json: .*no such file/);
    await bad(['--cron', '0 6 * * 1', '--name', 'x'], badJob('broken.json', '{"workflow": '), /bad job file .*broken\.json: .*not valid JSON/);
    await bad(['--cron', '0 6 * * 1', '--name', 'x'], badJob('nope.json', '{"workflow":"nope","inputs":{}}'), /bad job file .*nope\.json: .*no workflow "nope"/);
    await bad(['--cron', '0 6 * * 1', '--name', 'x'], badJob('sideways.json', '{"workflow":"queue_fixture","inputs":{"work":{"mode":"sideways"}}}'), /bad job file .*sideways\.json: .*mode/);
    assert.deepEqual((await s.store.schedules.list()).map((x) => x.name), ['every-second', 'monday-crawl']);

    // list: a table, and JSON with the next fire time and how the last firing went.
    const table = await ok(s, ['schedule', 'list']);
    const lines = table.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME +WORKFLOW +CRON +NEXT +LAST RUN +STATUS$/);
    assert.match(lines[2]!, /^monday-crawl +queue_fixture +0 6 \* \* 1 \(Europe\/Paris\) +\d{4}-\d\d-\d\d 06:00:00 Europe\/Paris +— +never fired$/);
    const rows = JSON.parse(await ok(s, ['schedule', 'list', '--json'])) as Record<string, unknown>[];
    const monday = rows.find((r) => r.name === 'monday-crawl');
    const expected = nextFires({ cron: '0 6 * * 1', tz: 'Europe/Paris' }, new Date(), 1)[0]!.toISOString();
    assert.deepEqual(monday, {
      name: 'monday-crawl', workflow: 'queue_fixture', cron: '0 6 * * 1', tz: 'Europe/Paris', missed: 'skip', queue: null, paused: null,
      next: expected, lastRun: null, lastFire: null, lastStatus: 'never fired',
    });

    // pause / resume say so, and saying it twice changes nothing.
    assert.equal(await ok(s, ['schedule', 'pause', 'monday-crawl']), 'paused schedule monday-crawl\n');
    assert.equal(await ok(s, ['schedule', 'pause', 'monday-crawl']), 'schedule monday-crawl was already paused; nothing changed\n');
    const paused = (JSON.parse(await ok(s, ['schedule', 'list', '--json'])) as Record<string, unknown>[]).find((r) => r.name === 'monday-crawl');
    assert.equal(typeof paused?.paused, 'string');
    assert.equal(paused?.next, null);
    assert.match(await ok(s, ['schedule', 'list']), /\nmonday-crawl +queue_fixture +0 6 \* \* 1 \(Europe\/Paris\) +paused +— +never fired\n/);
    assert.equal(await ok(s, ['schedule', 'resume', 'monday-crawl']), 'resumed schedule monday-crawl\n');
    assert.equal(await ok(s, ['schedule', 'resume', 'monday-crawl']), 'schedule monday-crawl was already running; nothing changed\n');
    assert.equal((await s.store.schedules.get('monday-crawl'))?.paused, null);
    for (const verb of ['pause', 'resume', 'remove']) {
      const r = await railbook(s, ['schedule', verb, 'ghost']);
      assert.equal(r.code, 2, verb);
      assert.match(r.stderr, /no schedule "ghost" \(railbook schedule list\)/);
    }

    assert.equal(await ok(s, ['schedule', 'remove', 'monday-crawl']), 'removed schedule monday-crawl; the runs it made are kept\n');
    assert.deepEqual((await s.store.schedules.list()).map((x) => x.name), ['every-second']);
    const again = await railbook(s, ['schedule', 'remove', 'monday-crawl']);
    assert.equal(again.code, 2);
  });
});

// These wait mostly for the clock and for processes to start: side by side, each on its own store.
describe('schedules firing', { concurrency: true }, () => {
  it('SQLite: the server fires a per-second schedule, each firing a new run it runs itself; removing keeps the runs', async (tc) => {
    const s = await setup(tc, 'sqlite');
    await addSchedule(s, ['--cron', EVERY_SECOND]);
    const serve = startServe(s, 'serve');
    // A second server on the same file that was told not to fire schedules.
    const quiet = startServe(s, 'serve --no-schedules', ['--no-schedules']);
    await Promise.all([serve.ready, quiet.ready]);
    await waitFor(s, 'four firings', async () => (await fired(s, 'every-second')).length >= 4);
    await ok(s, ['schedule', 'pause', 'every-second']);
    const pausedAt = ms((await s.store.schedules.get('every-second'))!.paused!);
    await lookedSince(s, pausedAt, 1);
    const all = await firings(s, 'every-second');
    await waitFor(s, 'every scheduled run to be done', async () => {
      for (const f of all) if (!f.run || !(await runDone(s, f.run))) return false;
      return true;
    });
    await stop(serve);
    await stop(quiet);

    assert.ok(all.length >= 4);
    assert.deepEqual(all.map((f) => f.status), all.map(() => 'fired'));
    assertConsecutiveSeconds(all, 'every-second');
    assert.ok(ms(all.at(-1)!.fireAt) < pausedAt, 'nothing fired after the pause');
    // Each firing its own run: distinct keys (the job file's "key" ignored), each a whole run of the job.
    const keys = all.map((f) => f.run!);
    assert.equal(new Set(keys).size, keys.length);
    assert.ok(!keys.includes('one-fixed-key'));
    for (const key of keys) {
      const st = await s.store.runs.get(key);
      assert.equal(st?.workflow, 'queue_fixture');
      assert.equal(st?.steps.work?.input?.mode, 'quick');
    }
    assert.equal(await runCount(s), keys.length, 'no run but those the firings made');
    assert.deepEqual(logged([serve], 'every-second').map((l) => [l.fireAt, l.run]), all.map((f) => [f.fireAt, f.run]));
    assert.doesNotMatch(quiet.stderr(), /schedule/, 'the --no-schedules server fired nothing');
    // Normal runs: listed by `railbook runs`, each with its own history.
    const listed = (JSON.parse(await ok(s, ['runs', '--json'])) as { key: string }[]).map((r) => r.key);
    assert.deepEqual([...listed].sort(), [...keys].sort());
    for (const key of keys) {
      const types = (await s.store.events.forRun(key)).map((e) => e.type).reverse();
      assert.deepEqual(types.filter((t) => t !== 'created'), ['submitted', 'completed', 'submitted', 'completed'], `${key}: ${types.join(', ')}`);
    }

    // list: paused, and the last run done.
    const row = (JSON.parse(await ok(s, ['schedule', 'list', '--json'])) as Record<string, unknown>[]).find((r) => r.name === 'every-second');
    assert.deepEqual([row?.next, row?.lastRun, row?.lastFire, row?.lastStatus], [null, keys.at(-1), all.at(-1)!.fireAt, 'done']);
    assert.match(await ok(s, ['schedule', 'list']), new RegExp(`\\nevery-second +queue_fixture +\\* \\* \\* \\* \\* \\* +paused +${keys.at(-1)!} +done\\n`));

    // Removing the schedule drops its firing records; the runs it made stay in the history.
    const before = await runCount(s);
    await ok(s, ['schedule', 'remove', 'every-second']);
    assert.equal(await s.store.schedules.get('every-second'), undefined);
    assert.deepEqual(await firings(s, 'every-second'), []);
    assert.equal(await runCount(s), before);
    for (const key of keys) assert.ok(await runDone(s, key), key);
  });

  it('PostgreSQL: two servers and a worker fire a per-second schedule exactly once per second; the worker runs them all', async (tc) => {
    const s = await setup(tc, 'postgres');
    const servers = [startServe(s, 'serve-a'), startServe(s, 'serve-b')];
    const worker = startWorker(s, 'worker', ['-c', '4', '-q', 'ticks']);
    await Promise.all([...servers.map((c) => c.ready), worker.ready]);
    // Added once all three look, so none of them takes the first times for missed ones.
    await addSchedule(s, ['--cron', EVERY_SECOND, '--name', 'tick', '--queue', 'ticks']);
    await waitFor(s, 'five firings', async () => (await fired(s, 'tick')).length >= 5);
    await ok(s, ['schedule', 'pause', 'tick']);
    const pausedAt = ms((await s.store.schedules.get('tick'))!.paused!);
    await waitFor(s, 'every firing to have its run done by the worker', async () => {
      const fs = await firings(s, 'tick');
      for (const f of fs) {
        if (f.status !== 'fired' || !f.run) return false;
        if ((await s.store.queue.get(f.run))?.status !== 'done') return false;
      }
      return true;
    });
    for (const c of servers) await stop(c);
    await stop(worker);

    // Everything has stopped: what the database holds now is final.
    const all = await firings(s, 'tick');
    assert.ok(all.length >= 5, `${all.length} firings`);
    assert.deepEqual(all.map((f) => f.status), all.map(() => 'fired'));
    assertConsecutiveSeconds(all, 'tick');
    assert.ok(ms(all.at(-1)!.fireAt) < pausedAt, 'nothing fired after the pause');
    const keys = all.map((f) => f.run!);
    assert.equal(new Set(keys).size, keys.length, 'a distinct run per firing');
    assert.equal(await runCount(s), keys.length, 'as many runs as firings');
    const workerName = (await s.store.workers.all())[0]?.id;
    for (const key of keys) {
      const q = await s.store.queue.get(key);
      assert.deepEqual([q?.status, q?.queue, q?.attempts, q?.worker], ['done', 'ticks', 1, workerName], key);
      assert.ok(await runDone(s, key), `${key} ran to the end`);
    }
    // Each fire time was logged once, by whichever of the three processes claimed it.
    const lines = logged([...servers, worker], 'tick');
    assert.deepEqual(lines.map((l) => [l.fireAt, l.run]).sort(), all.map((f) => [f.fireAt, f.run]).sort(), JSON.stringify(lines));
  });

  // On PostgreSQL a worker alone fires them (and runs what it queues): a setup need not have a server.
  for (const backend of BACKENDS) it(`missed firings (${backend === 'sqlite' ? 'SQLite, a server' : 'PostgreSQL, a worker alone'}): run-once makes one run for the newest missed time, skip records it skipped; then firing goes on`, async (tc) => {
    const s = await setup(tc, backend);
    await addSchedule(s, ['--cron', EVERY_SECOND, '--name', 'catch-up']);
    await addSchedule(s, ['--cron', EVERY_SECOND, '--name', 'no-catch-up', '--missed', 'skip']);
    // Nothing was running for the last hour (thousands of fire times passed).
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    await s.store.sql.run('UPDATE schedules SET last_fire = ?, created = ?', [hourAgo, hourAgo]);

    const startedAfter = Date.now();
    const serve = backend === 'sqlite' ? startServe(s, 'serve') : startWorker(s, 'worker', ['-c', '2']);
    await serve.ready;
    const readyAt = Date.now();
    for (const name of ['catch-up', 'no-catch-up']) {
      await waitFor(s, `${name} to fire a time after the server was up`, async () => (await fired(s, name)).some((f) => ms(f.fireAt) > readyAt));
    }
    for (const name of ['catch-up', 'no-catch-up']) await ok(s, ['schedule', 'pause', name]);
    const pausedAt = Math.max(...await Promise.all(['catch-up', 'no-catch-up'].map(async (n) => ms((await s.store.schedules.get(n))!.paused!))));
    await lookedSince(s, pausedAt, 1);
    const [once, skipped] = [await firings(s, 'catch-up'), await firings(s, 'no-catch-up')];
    const missedRun = once[0]?.run;
    assert.ok(missedRun, `run-once made a run for the newest missed time: ${JSON.stringify(once[0])}`);
    await waitFor(s, `the run for the missed time (${missedRun}) to be done`, () => runDone(s, missedRun));
    await stop(serve);

    for (const [name, fs] of [['catch-up', once], ['no-catch-up', skipped]] as const) {
      assertConsecutiveSeconds(fs, name);
      // The hour was not made up: the oldest time dealt with is the newest missed one, 5 s before the start.
      const oldest = ms(fs[0]!.fireAt);
      assert.ok(oldest >= startedAfter - 6000 && oldest <= readyAt - 5000, `${name}: oldest firing ${fs[0]!.fireAt} is the newest missed time`);
      // After it, every time is fired as usual.
      assert.deepEqual(fs.slice(1).map((f) => f.status), fs.slice(1).map(() => 'fired'), name);
      assert.ok(fs.slice(1).every((f) => f.run), name);
    }
    assert.equal(once[0]!.status, 'fired');
    assert.deepEqual([skipped[0]!.status, skipped[0]!.run], ['skipped', null]);
    // skip made no run for a time from before the start.
    for (const f of skipped.filter((x) => x.run)) assert.ok(ms(f.fireAt) > startedAfter - 5000, f.fireAt);
    assert.deepEqual(logged([serve], 'no-catch-up').map((l) => l.fireAt), skipped.slice(1).map((f) => f.fireAt));
    assert.deepEqual(logged([serve], 'catch-up').map((l) => l.fireAt), once.map((f) => f.fireAt));
  });

  it('a paused schedule fires nothing, and after resume the times that fell in the pause are not made up', async (tc) => {
    const s = await setup(tc, 'sqlite');
    await addSchedule(s, ['--cron', EVERY_SECOND, '--name', 'ticker']);
    const serve = startServe(s, 'serve');
    await serve.ready;
    await waitFor(s, 'two firings', async () => (await fired(s, 'ticker')).length >= 2);
    await ok(s, ['schedule', 'pause', 'ticker']);
    const pausedAt = ms((await s.store.schedules.get('ticker'))!.paused!);
    // The server has looked for more than a second of pause (a canary fired), and found nothing due.
    await lookedSince(s, pausedAt + 1000, 1);
    const during = await firings(s, 'ticker');
    assert.ok(during.every((f) => ms(f.fireAt) < pausedAt), `no firing after the pause: ${during.at(-1)?.fireAt}`);

    const resumedAfter = Date.now();
    assert.equal(await ok(s, ['schedule', 'resume', 'ticker']), 'resumed schedule ticker\n');
    await waitFor(s, 'two firings after the resume', async () => (await firings(s, 'ticker')).filter((f) => ms(f.fireAt) > resumedAfter).length >= 2);
    await ok(s, ['schedule', 'pause', 'ticker']);
    await lookedSince(s, ms((await s.store.schedules.get('ticker'))!.paused!), 2);
    await stop(serve);

    const all = await firings(s, 'ticker');
    const inPause = all.filter((f) => ms(f.fireAt) >= pausedAt && ms(f.fireAt) <= resumedAfter);
    assert.deepEqual(inPause, [], 'the times in the pause (over two seconds) were not made up');
    const before = all.filter((f) => ms(f.fireAt) < pausedAt);
    const after = all.filter((f) => ms(f.fireAt) > resumedAfter);
    assert.equal(before.length + after.length, all.length);
    assertConsecutiveSeconds(before, 'before the pause');
    assertConsecutiveSeconds(after, 'after the resume');
    assert.ok(all.every((f) => f.status === 'fired' && f.run));
  });
});
