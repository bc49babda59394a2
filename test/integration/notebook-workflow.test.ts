// Notebooks as workflows, run through the engine in real kernels: Debian's ipykernel (python3) and
// xeus-python (xpython), and TypeScript natively. Each test drives the engine as the web app and
// the CLI do, and checks what a person would see: outputs, streamed output while a cell runs, the
// kernel's state surviving (or being restored after) a restart, a revert, a Stop, a killed kernel.
// SQLite only: real kernels make these slow, and the run state they store is the ordinary kind
// the engine and web suites check on both backends.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import { Registry } from '../../src/engine/registry.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import { isCellOutput, type CellOutput } from '../../src/notebooks/cell-output.ts';
import { notebookLoader } from '../../src/notebooks/notebook-loader.ts';
import type { NbOutput } from '../../src/notebooks/outputs/nb-output.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/temp-engine.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/notebooks/workflow');

interface Setup {
  engine: Engine;
  registry: Registry;
  dataDir: string;
  reopen(): Promise<Engine>;
  close(): Promise<void>;
}

/** A real engine on a temp data folder whose registry holds the fixture notebooks (optionally all in one kernel). */
async function setup(kernel?: string): Promise<Setup> {
  const tmp = tempDir();
  const registry = new Registry();
  await registry.loadDir(FIXTURES, notebookLoader({ kernel }));
  assert.deepEqual(registry.errors, [], 'the fixture notebooks load');
  const s: Setup = {
    engine: await Engine.start(await Store.open(tmp.dir), registry),
    registry,
    dataDir: tmp.dir,
    async reopen() {
      await s.engine.shutdown();
      await s.engine.store.close();
      s.engine = await Engine.start(await Store.open(tmp.dir), registry);
      return s.engine;
    },
    async close() {
      await s.engine.shutdown();
      await s.engine.store.close();
      tmp.cleanup();
    },
  };
  return s;
}

async function run(engine: Engine, key: string, step: string, input: Record<string, unknown> = {}): Promise<RunState> {
  return (await engine.submit(key, step, input)).completion;
}

function cell(state: RunState, step: string): CellOutput {
  const out = state.steps[step]?.output;
  assert.ok(isCellOutput(out), `step ${step} has a cell output (status ${state.steps[step]?.status}: ${state.steps[step]?.error ?? ''})`);
  return out;
}

function text(outputs: NbOutput[]): string {
  return outputs
    .map((o) => (o.output_type === 'stream' ? String(o.text) : o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : 'data' in o ? String(o.data['text/plain'] ?? '') : ''))
    .join('');
}

/** Waits for the first output-so-far of `step` that satisfies `ok` (the cell is still running). */
async function partialUntil(engine: Engine, key: string, step: string, ok: (o: CellOutput) => boolean): Promise<CellOutput> {
  const ac = new AbortController();
  try {
    for await (const u of engine.watch(key, { signal: ac.signal })) {
      if (u.kind === 'partial' && u.step === step && isCellOutput(u.output) && ok(u.output)) return u.output;
      if (u.kind === 'state' && u.state.steps[step]?.status !== 'running' && u.state.steps[step]?.status !== 'pending') {
        throw new Error(`step ${step} ended (${u.state.steps[step]?.status}) before the expected output arrived`);
      }
    }
    throw new Error('feed ended');
  } finally {
    ac.abort();
  }
}

describe('a python notebook in ipykernel', () => {
  let s: Setup;
  let key = '';
  before(async () => {
    s = await setup();
  });
  after(() => s?.close());

  test('cells run in order in one kernel: parameters injected, outputs kept, expected errors and skipped cells honoured', async () => {
    key = (await s.engine.open('lifecycle')).state.key;
    const wf = s.engine.workflow('lifecycle');
    assert.deepEqual(wf.steps.map((x) => x.id), ['parameters', 'count', 'pid', 'expected_failure', 'skipped', 'later']);
    assert.equal(wf.origin?.kind, 'notebook');
    assert.equal(wf.origin?.runner, 'python3');

    let st = await run(s.engine, key, 'parameters', { n: 3, gate: '' });
    assert.deepEqual(cell(st, 'parameters').values, { n: 3, gate: '' });
    assert.match(cell(st, 'parameters').code[1]!, /^# Parameters\nn = 3\ngate = ''\n$/, 'the injected cell, as papermill writes it');
    st = await run(s.engine, key, 'count');
    assert.equal(text(cell(st, 'count').outputs), 'line 0\nline 1\nline 2\n');
    assert.equal(st.steps.count!.version, s.engine.workflow('lifecycle').steps[1]!.version, 'the code version it ran with is recorded');
    st = await run(s.engine, key, 'pid');
    const first = cell(st, 'pid');
    assert.match(text(first.outputs), /^\(\d+, 3\)$/);
    assert.ok(first.executionCount !== null && first.executionCount >= 3);

    st = await run(s.engine, key, 'expected_failure');
    assert.equal(st.steps.expected_failure!.status, 'done', 'raises-exception: the step completes');
    assert.equal(cell(st, 'expected_failure').errorExpected, true);
    assert.match(text(cell(st, 'expected_failure').outputs), /ZeroDivisionError: division by zero/);

    st = await run(s.engine, key, 'skipped');
    assert.equal(cell(st, 'skipped').status, 'skipped', 'skip-execution: shown, not run');
    st = await run(s.engine, key, 'later');
    assert.equal(text(cell(st, 'later').outputs), '30');
    assert.deepEqual(s.engine.resourceStatus(key).map((r) => [r.name, r.status.label, r.status.state]), [['kernel', 'Kernel python3', 'idle']]);
  });

  test('output streams while the cell runs, line by line', async () => {
    const gate = path.join(s.dataDir, 'gate-1');
    const k = (await s.engine.open('lifecycle')).state.key;
    await run(s.engine, k, 'parameters', { n: 3, gate });
    const { completion } = await s.engine.submit(k, 'count', {});
    const partial = await partialUntil(s.engine, k, 'count', (o) => text(o.outputs).includes('line 0'));
    assert.equal(text(partial.outputs), 'line 0\n', 'the first line is there while the cell still waits');
    assert.equal(partial.status, 'running');
    writeFileSync(gate, '');
    const st = await completion;
    assert.equal(text(cell(st, 'count').outputs), 'line 0\nline 1\nline 2\n');
  });

  test('after a restart the kernel state is restored by replaying the done cells; a revert restarts and replays too', async () => {
    const before = cell(await s.engine.get(key), 'pid');
    const pidBefore = Number(/\((\d+),/.exec(text(before.outputs))![1]);
    const engine = await s.reopen();
    assert.deepEqual(engine.resourceStatus(key), [], 'a new process holds no kernel for the run');
    await engine.revert(key, 'later');
    const progress: string[] = [];
    const ac = new AbortController();
    const feed = (async () => {
      for await (const u of engine.watch(key, { signal: ac.signal })) if (u.kind === 'progress' && u.progress.message) progress.push(u.progress.message);
    })();
    let st = await run(engine, key, 'later');
    ac.abort();
    await feed;
    assert.equal(text(cell(st, 'later').outputs), '30', 'counter was restored by replaying');
    assert.ok(progress.some((m) => /^restoring kernel state \(\d\/4\)/.test(m)), `progress said it was restoring (${progress.join(' | ')})`);

    await engine.revert(key, 'pid');
    st = await run(engine, key, 'pid');
    const after = cell(st, 'pid');
    const pidAfter = Number(/\((\d+),/.exec(text(after.outputs))![1]);
    assert.notEqual(pidAfter, pidBefore, 'another kernel process');
    assert.match(text(after.outputs), /, 3\)$/, 'with the replayed state');
  });
});

test('outputs follow the kernel: display updates, clear_output(wait=True), carriage returns; large text becomes an artifact', async () => {
  const s = await setup();
  try {
    const key = (await s.engine.open('displays')).state.key;
    let st = await run(s.engine, key, 'update');
    assert.deepEqual(cell(st, 'update').outputs.map((o) => o.output_type === 'stream' ? o.text : 'data' in o ? o.data['text/plain'] : o.output_type), ["'updated'", 'between\n']);
    st = await run(s.engine, key, 'animation');
    assert.deepEqual(cell(st, 'animation').outputs, [{ output_type: 'stream', name: 'stdout', text: 'frame 2\ndone\n' }]);
    st = await run(s.engine, key, 'progress_bar');
    const [stream] = cell(st, 'progress_bar').outputs;
    assert.ok(stream?.output_type === 'stream');
    // 200 kB of text is not kept inside the run's JSON: it is a file of the run.
    assert.ok(typeof stream.text === 'object' && stream.text.artifact === true, 'large stream text stored as an artifact');
    const { readFileSync } = await import('node:fs');
    const stored = readFileSync(s.engine.store.artifacts.resolve(stream.text.path), 'utf8');
    assert.ok(stored.startsWith('100%\nbig xxx'), `the bar collapsed to its last state (${JSON.stringify(stored.slice(0, 20))})`);
    assert.ok(JSON.stringify(st).length < 50_000, 'the state stays small');
  } finally {
    await s.close();
  }
});

describe('stopping and killing kernels', () => {
  for (const kernel of ['python3', 'xpython']) {
    test(`${kernel}: Stop interrupts a running cell (or restarts a kernel that cannot be interrupted); a kernel killed mid-cell fails the step, and running it again replays`, async () => {
      const s = await setup(kernel);
      try {
        const key = (await s.engine.open('waiting')).state.key;
        const flag = path.join(s.dataDir, `flag-${kernel}`);
        await run(s.engine, key, 'set');
        await run(s.engine, key, 'parameters', { flag });
        let { completion } = await s.engine.submit(key, 'wait', {});
        await partialUntil(s.engine, key, 'wait', (o) => /pid \d+/.test(text(o.outputs)));
        await s.engine.cancel(key, 'wait');
        let st = await completion;
        assert.equal(st.steps.wait!.status, 'cancelled');
        assert.match(text(cell(st, 'wait').outputs), /pid \d+/, 'what the cell printed before it was stopped is kept');

        // Killed mid-cell: a clear failure, with what it printed before.
        ({ completion } = await s.engine.submit(key, 'wait', {}));
        const partial = await partialUntil(s.engine, key, 'wait', (o) => /pid \d+/.test(text(o.outputs)));
        const pid = Number(/pid (\d+)/.exec(text(partial.outputs))![1]);
        process.kill(pid, 'SIGKILL');
        st = await completion;
        assert.equal(st.steps.wait!.status, 'failed');
        assert.match(st.steps.wait!.error ?? '', /kernel died|killed by SIGKILL/i);
        assert.match(text(cell(st, 'wait').outputs), /pid \d+/, 'what it printed before dying is kept');

        writeFileSync(flag, '');
        st = await run(s.engine, key, 'wait');
        assert.equal(st.steps.wait!.status, 'done', st.steps.wait!.error);
        assert.match(text(cell(st, 'wait').outputs), /released/);
        st = await run(s.engine, key, 'use');
        assert.match(text(cell(st, 'use').outputs), /^\(42, \d+\)$/, 'x = 41 was replayed into the new kernel');
        assert.notEqual(Number(/, (\d+)\)/.exec(text(cell(st, 'use').outputs))![1]), pid);

        // input(): a clear error at once, never a hang.
        st = await run(s.engine, key, 'ask');
        assert.equal(st.steps.ask!.status, 'failed');
        assert.match(st.steps.ask!.error ?? '', /StdinNotImplemented|input|stdin/i);
      } finally {
        await s.close();
      }
    });
  }
});

describe('other runners', () => {
  test('a notebook whose kernel is not installed loads, and says at run time which kernel is missing and how to get one', async () => {
    const s = await setup();
    try {
      const wf = s.engine.workflow('missing_kernel');
      assert.equal(wf.steps.length, 1);
      const key = (await s.engine.open('missing_kernel')).state.key;
      const st = await run(s.engine, key, 'only');
      assert.equal(st.steps.only!.status, 'failed');
      assert.match(st.steps.only!.error ?? '', /kernel "cobol-nowhere" \(cobol\) is not installed/);
      assert.match(st.steps.only!.error ?? '', /railbook kernels/);
    } finally {
      await s.close();
    }
  });

  test('TypeScript cells run natively: parameters as declarations, console output, results, display, top-level await', async () => {
    const s = await setup();
    try {
      assert.equal(s.engine.workflow('native').origin?.runner, 'typescript (Node)');
      const key = (await s.engine.open('native')).state.key;
      let st = await run(s.engine, key, 'parameters', { n: 4 });
      assert.match(cell(st, 'parameters').code[1]!, /n = 4/);
      st = await run(s.engine, key, 'double');
      assert.equal(st.steps.double!.status, 'done', st.steps.double!.error);
      assert.equal(text(cell(st, 'double').outputs), 'doubled 0,2,4,6\n4');
      st = await run(s.engine, key, 'await');
      const outs = cell(st, 'await').outputs;
      assert.ok(outs.some((o) => o.output_type === 'display_data' && 'text/html' in o.data), 'display.html gave an HTML output (stored as an artifact)');
      assert.match(text(outs), /n: 4, sum: 12/);
    } finally {
      await s.close();
    }
  });
});
