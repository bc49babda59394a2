// A `railbook run` killed with SIGKILL whose parent never reaps it stays a zombie: the pid still
// answers signal 0, yet the process is gone. Containers without an init process produce exactly
// this. Its running step must be recorded as interrupted, not "running" forever.
// SQLite only: a dead owner is told by its pid there; PostgreSQL uses leases instead (crash-recovery).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { processState } from '../../src/store/process-identity.ts';
import { cleanEnv } from '../helpers/railbook-cli.ts';
import { FIXTURE_WORKFLOWS_DIR, tempDir, tempEngine } from '../helpers/temp-engine.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'railbook.js');

// A parent that starts the CLI and never waits for it: once the CLI dies it stays a zombie.
const NEGLECTFUL_PARENT = `
import os, sys, time
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
print(pid, flush=True)
time.sleep(300)
`;

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

test('a killed CLI left as a zombie does not keep its step running', { timeout: 90_000 }, async () => {
  const d = tempDir('railbook-zombie-');
  const job = path.join(d.dir, 'slow.json');
  writeFileSync(job, JSON.stringify({ workflow: 'slow', key: 'zombie-run', inputs: { count: { steps: 10000, delay: 50 }, check: { word: 'x' } } }));
  const workflows = [path.join(ROOT, 'workflows'), FIXTURE_WORKFLOWS_DIR].join(path.delimiter);
  const env = cleanEnv();
  const parent = spawn('python3', ['-c', NEGLECTFUL_PARENT, process.execPath, BIN, 'run', job, '--data-dir', d.dir, '--workflows-dir', workflows], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const t = await tempEngine(d.dir);
  try {
    const cliPid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (b: Buffer) => resolve(b.toString().trim()))));
    assert.ok(cliPid > 0);
    await until('the CLI to run the long step', async () => {
      try {
        return (await t.engine.get('zombie-run')).steps.count!.status === 'running' ? true : undefined;
      } catch {
        return undefined; // the run does not exist yet
      }
    });

    process.kill(cliPid, 'SIGKILL');
    await until('the CLI to become a zombie', () => (processState(cliPid) === 'Z' ? true : undefined));
    // The premise of the defect: the pid still answers signal 0.
    assert.doesNotThrow(() => process.kill(cliPid, 0));

    const s = (await t.engine.get('zombie-run')).steps.count!;
    assert.equal(s.status, 'interrupted', 'a zombie owner is dead');
    assert.match(s.error ?? '', /stopped before it finished/);
    // And the step can run again.
    const { completion } = await t.engine.submit('zombie-run', 'count', { steps: 2, delay: 0 });
    assert.equal((await completion).steps.count!.status, 'done');
  } finally {
    parent.kill('SIGKILL');
    await t.close();
    d.cleanup();
  }
});

test('processState reads a live process', () => {
  assert.match(processState(process.pid) ?? '', /^[RS]$/);
  assert.ok(readFileSync(`/proc/${process.pid}/stat`, 'utf8').length > 0);
});
