// A server killed with SIGKILL while a notebook cell runs: after a restart the run's done cells are
// intact, the cell that was running is `interrupted`, the orphaned kernel does not linger, and
// running the cell again first replays the done cells into a new kernel. The server runs in a
// child process (test/helpers/serve-child.ts), driven over HTTP only.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunState } from '../../src/engine/run-state.ts';
import { tempDir } from '../helpers/temp-engine.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(ROOT, 'test/helpers/serve-child.ts');
const NOTEBOOKS = path.join(ROOT, 'test/fixtures/notebooks/workflow');

interface Child {
  proc: ChildProcess;
  base: string;
  exited: Promise<number | null>;
}

function startChild(dataDir: string, kernel: string): Promise<Child> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RAILBOOK_NOTEBOOKS_DIR: NOTEBOOKS, RAILBOOK_TEST_KERNEL: kernel },
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^RAILBOOK_URL (\S+)$/m.exec(out);
      if (m) resolve({ proc, base: m[1]!.replace(/\/$/, ''), exited });
    });
    proc.once('exit', (code) => reject(new Error(`the server exited (${code}) before printing its URL\n${err}`)));
  });
}

const post = (base: string, p: string, fields: Record<string, string>) =>
  fetch(base + p, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual' });

async function state(base: string, key: string): Promise<RunState> {
  return (await (await fetch(`${base}/api/runs/${key}`)).json()) as RunState;
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return ppid === pid ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}

function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  // A zombie is dead; it only waits for its (new) parent to read its exit status.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

// ipykernel watches its parent itself; xeus-python does not, and is ended by the system (parent-death.ts).
for (const kernel of ['python3', 'xpython']) describe(`a notebook run survives the server being killed mid-cell (${kernel})`, () => {
  const data = tempDir('railbook-nb-crash-');
  let child: Child | undefined;
  after(async () => {
    if (child && child.proc.exitCode === null) {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
    data.cleanup();
  });

  it('kill -9 mid-cell, restart: done cells intact, the cell interrupted, no kernel left behind; run again → replay, done', { timeout: 120_000 }, async () => {
    child = await startChild(data.dir, kernel);
    let base = child.base;
    const csrf = /<meta name="csrf-token" content="([0-9a-f]+)"/.exec(await (await fetch(`${base}/wf/waiting`)).text())![1]!;
    const created = await post(base, '/wf/waiting/runs', { _csrf: csrf, action: 'new' });
    const key = decodeURIComponent(/\/runs\/([^/?#]+)$/.exec(created.headers.get('location') ?? '')![1]!);
    const flag = path.join(data.dir, 'flag');

    assert.equal((await post(base, `/wf/waiting/runs/${key}/steps/set`, { _csrf: csrf })).status, 303);
    await until('set done', async () => (await state(base, key)).steps.set!.status === 'done');
    assert.equal((await post(base, `/wf/waiting/runs/${key}/steps/parameters`, { _csrf: csrf, flag })).status, 303);
    await until('parameters done', async () => (await state(base, key)).steps.parameters!.status === 'done');
    const before = await state(base, key);

    assert.equal((await post(base, `/wf/waiting/runs/${key}/steps/wait`, { _csrf: csrf })).status, 303);
    await until('the cell to run', async () => (await state(base, key)).steps.wait!.status === 'running');
    const kernels = await until('the kernel process', () => {
      const k = childrenOf(child!.proc.pid!);
      return k.length ? k : undefined;
    });

    child.proc.kill('SIGKILL');
    assert.equal(await child.exited, null);
    // The kernel notices its parent is gone (JPY_PARENT_PID) and exits: no orphan keeps memory.
    await until('the orphaned kernel to exit', () => kernels.every((p) => !alive(p)) || undefined);

    child = await startChild(data.dir, kernel);
    base = child.base;
    const afterCrash = await state(base, key);
    assert.deepEqual(afterCrash.steps.set, before.steps.set);
    assert.deepEqual(afterCrash.steps.parameters, before.steps.parameters);
    assert.equal(afterCrash.steps.wait!.status, 'interrupted');

    writeFileSync(flag, '');
    assert.equal((await post(base, `/wf/waiting/runs/${key}/steps/wait`, { _csrf: csrf })).status, 303);
    const done = await until('the cell to run again', async () => {
      const s = await state(base, key);
      return s.steps.wait!.status === 'running' ? undefined : s;
    });
    assert.equal(done.steps.wait!.status, 'done', done.steps.wait!.error);
    assert.equal((await post(base, `/wf/waiting/runs/${key}/steps/use`, { _csrf: csrf })).status, 303);
    const used = await until('use done', async () => {
      const s = await state(base, key);
      return s.steps.use!.status === 'running' ? undefined : s;
    });
    const out = used.steps.use!.output as { outputs: { data?: Record<string, string> }[] };
    assert.match(out.outputs[0]?.data?.['text/plain'] ?? '', /^\(42, \d+\)$/, 'x = 41 was replayed into the new kernel');
  });
});
