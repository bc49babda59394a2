// A kernel started before its run exists (`railbook run` starts it while Railbook loads) is given
// the run's environment by code: before the first cell, and again after every restart — a revert,
// "Restart kernel", a kernel that died — since a new process starts without it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotebookSession } from '../../src/notebooks/notebook-session.ts';
import { chooseRunner } from '../../src/notebooks/runner-choice.ts';
import { disposeWarmRunners, envCode, prestartRunner, takeWarmRunner } from '../../src/notebooks/warm-runner.ts';
import type { KernelOutput } from '../../src/notebooks/kernel/outputs.ts';

const ENV = { RAILBOOK_RUN_KEY: 'default-x-01', RAILBOOK_ARTIFACTS_DIR: "/data/artifacts/it's \"quoted\"" };

async function printed(session: NotebookSession, step: string): Promise<string> {
  const out: KernelOutput[] = [];
  const ac = new AbortController();
  await session.restore([], step, () => {}, ac.signal);
  await session.run(step, ['import os; print(os.environ.get("RAILBOOK_RUN_KEY"), os.environ.get("RAILBOOK_ARTIFACTS_DIR"))'], { onOutput: (o) => out.push(o) }, ac.signal);
  return out.map((o) => (o.output_type === 'stream' ? o.text : '')).join('');
}

test('a kernel started early gets the run environment by code, and again after a restart', async () => {
  const choice = chooseRunner({ name: 'python3', language: 'python' }, 'python');
  assert.equal(prestartRunner(choice, process.cwd()), true, 'python kernels can start early');
  const session = await NotebookSession.start(choice, process.cwd(), ENV, { changed: () => {} });
  assert.equal(takeWarmRunner(choice, process.cwd()), undefined, 'the session took the kernel started early (it was not started again with the environment)');
  try {
    const expected = `${ENV.RAILBOOK_RUN_KEY} ${ENV.RAILBOOK_ARTIFACTS_DIR}\n`;
    assert.equal(await printed(session, 'a'), expected);
    await session.restart();
    assert.equal(await printed(session, 'a'), expected, 'a new kernel process is given it again');
  } finally {
    await session.dispose();
    await disposeWarmRunners();
  }
});

test('languages without a known way to set variables are not started early', () => {
  assert.equal(envCode('cobol', {}), undefined);
  assert.equal(prestartRunner(chooseRunner({ language: 'typescript' }, 'typescript'), process.cwd()), false);
  assert.match(envCode('r', { A: 'x"y' })!, /^Sys\.setenv\(A = "x\\"y"\)$/);
  assert.match(envCode('julia', { A: 'b' })!, /^ENV\["A"\] = "b";$/);
});
