// A real `railbook serve` in a child process, driven only over HTTP, for tests that kill it
// (crash recovery, a crawl killed mid-way): start it, post its forms, read and wait for run state.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { RunState } from '../../src/engine/run-state.ts';
import { BIN, cleanEnv, ROOT, type CliData } from './railbook-cli.ts';
import { FIXTURE_WORKFLOWS_DIR } from './temp-engine.ts';

/** The lease of the child's steps on PostgreSQL, in seconds: a killed child is taken for dead this long after. */
export const LEASE_S = '2';

export interface ServeProcess {
  proc: ChildProcess;
  base: string;
  exited: Promise<number | null>;
}

/** `railbook serve` on the data folder with the built-in, fixture and `extraDirs` workflows; resolves once it prints its URL. */
export function startServeProcess(d: CliData, extraDirs: string[] = []): Promise<ServeProcess> {
  const dirs = [path.join(ROOT, 'workflows'), FIXTURE_WORKFLOWS_DIR, ...extraDirs].join(path.delimiter);
  const args = ['serve', '--port', '0', '--no-open', '--no-auto-backup', '--data-dir', d.dir, '--workflows-dir', dirs];
  const proc = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv({ ...d.env, RAILBOOK_LEASE: LEASE_S }) });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`the server did not start in 30 s\n${err}`)), 30_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(e);
    };
    proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^Railbook is running at (\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, base: m[1]!.replace(/\/$/, ''), exited });
      }
    });
    proc.once('exit', (code) => fail(new Error(`the server exited (${code}) before printing its URL\n${err}`)));
  });
}

export async function csrfFrom(base: string, page: string): Promise<string> {
  const r = await fetch(base + page);
  assert.equal(r.status, 200, `GET ${page}`);
  const m = /<meta name="csrf-token" content="([0-9a-f]+)"/.exec(await r.text());
  assert.ok(m, 'the page carries the CSRF token');
  return m[1]!;
}

export async function postForm(base: string, p: string, fields: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  return fetch(base + p, { method: 'POST', body: new URLSearchParams(fields), redirect: 'manual', signal });
}

export async function runState(base: string, key: string): Promise<RunState> {
  const r = await fetch(`${base}/api/runs/${key}`);
  assert.equal(r.status, 200);
  return (await r.json()) as RunState;
}

export async function waitFor(base: string, key: string, ok: (s: RunState) => boolean, what: string, ms = 20_000): Promise<RunState> {
  const until = Date.now() + ms;
  for (;;) {
    const s = await runState(base, key);
    if (ok(s)) return s;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; state: ${JSON.stringify(s.steps)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A new run of `workflow` through the web form; its key. */
export async function newRun(base: string, workflow: string, csrf: string): Promise<string> {
  const r = await postForm(base, `/wf/${workflow}/runs`, { _csrf: csrf, action: 'new' });
  assert.equal(r.status, 303);
  const m = new RegExp(`^/wf/${workflow}/runs/([^/?#]+)$`).exec(r.headers.get('location') ?? '');
  assert.ok(m, `redirected to the run: ${r.headers.get('location')}`);
  return decodeURIComponent(m[1]!);
}
