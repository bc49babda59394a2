// What the core grew for notebooks, tested on a small workflow of its own: per-run resources with
// a lifecycle (created on demand, shared by a run's steps, disposed on finalize, revert, delete,
// idle and shutdown), a running step's output so far (ctx.partial) through the change feed, a
// failure that keeps its output, and the version a step ran with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import { StepFailure } from '../../src/engine/errors.ts';
import { Registry } from '../../src/engine/registry.ts';
import type { ResourceHooks, RunResource } from '../../src/engine/run-resources.ts';
import type { RunUpdate } from '../../src/engine/watch.ts';
import { workflow } from '../../src/engine/workflow.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/temp-engine.ts';

/** A resource that records what happened to it. */
class Counter implements RunResource {
  static made: Counter[] = [];
  uses = 0;
  disposed = false;
  constructor(readonly run: string, readonly hooks: ResourceHooks) {
    Counter.made.push(this);
  }
  status() {
    return { label: 'Counter', state: this.disposed ? 'shutdown' : 'idle' };
  }
  async dispose() {
    this.disposed = true;
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Step two waits on this until the test lets it finish. */
let hold = deferred();
const gate = () => hold.resolve();

const wf = workflow({ id: 'resourceful', title: 'Resourceful' })
  .step({
    id: 'one',
    title: 'One',
    fields: {},
    version: 'v1',
    run: async (ctx) => {
      const c = await ctx.resource('counter', async (hooks) => new Counter(ctx.runKey, hooks));
      c.uses++;
      return { uses: c.uses };
    },
  })
  .step({
    id: 'two',
    title: 'Two',
    fields: {},
    run: async (ctx) => {
      const c = await ctx.resource('counter', async (hooks) => new Counter(ctx.runKey, hooks));
      c.uses++;
      ctx.partial({ lines: ['first'] });
      ctx.partial({ lines: ['first', 'second'] });
      await hold.promise;
      return { uses: c.uses };
    },
  })
  .step({
    id: 'three',
    title: 'Three',
    fields: {},
    run: async () => {
      throw new StepFailure('NameError: x is not defined', { traceback: ['line 1'] });
    },
  });

async function setup(idleMs?: number) {
  const tmp = tempDir();
  const engine = await Engine.start(await Store.open(tmp.dir), new Registry([wf]), { resourceIdleMs: idleMs });
  return {
    engine,
    close: async () => {
      await engine.shutdown();
      await engine.store.close();
      tmp.cleanup();
    },
  };
}

async function runStep(engine: Engine, key: string, step: string) {
  const { completion } = await engine.submit(key, step, {});
  return completion;
}

test('a resource is made once per run, on demand, shared by its steps; a revert, a deletion and shutdown dispose it', async () => {
  Counter.made = [];
  const t = await setup();
  try {
    const key = (await t.engine.open('resourceful')).state.key;
    assert.deepEqual(t.engine.resourceStatus(key), [], 'nothing is started before a step needs it');
    const st = await runStep(t.engine, key, 'one');
    assert.deepEqual(st.steps.one!.output, { uses: 1 });
    assert.equal(st.steps.one!.version, 'v1', 'the version the step ran with is recorded');
    hold = deferred();
    const running = t.engine.submit(key, 'two', {});
    gate();
    const st2 = await (await running).completion;
    assert.deepEqual(st2.steps.two!.output, { uses: 2 }, 'the second step used the same resource');
    assert.equal(Counter.made.length, 1);
    assert.deepEqual(t.engine.resourceStatus(key), [{ name: 'counter', status: { label: 'Counter', state: 'idle' }, restartable: false }]);

    const other = (await t.engine.open('resourceful')).state.key;
    await runStep(t.engine, other, 'one');
    assert.equal(Counter.made.length, 2, 'each run has its own');

    await t.engine.revert(key, 'two');
    await new Promise((r) => setImmediate(r));
    assert.equal(Counter.made[0]!.disposed, true, 'a revert disposes a resource that cannot forget later steps itself');
    assert.deepEqual(t.engine.resourceStatus(key), []);
    hold = deferred();
    const again = t.engine.submit(key, 'two', {});
    gate();
    await (await again).completion;
    assert.equal(Counter.made.length, 3, 'the next step made a new one');

    await t.engine.deleteRun(other);
    assert.equal(Counter.made[1]!.disposed, true, 'deleting a run disposes its resources');
  } finally {
    await t.close();
  }
  assert.ok(Counter.made.every((c) => c.disposed), 'shutdown disposes everything left');
});

test('idle resources are swept, but not while a step of the run executes; a failure keeps its output', async () => {
  Counter.made = [];
  const t = await setup(60_000);
  try {
    const key = (await t.engine.open('resourceful')).state.key;
    await runStep(t.engine, key, 'one');
    const c = Counter.made[0]!;
    await t.engine.resources.sweep(Date.now() + 1000);
    assert.equal(c.disposed, false, 'not idle long enough');
    hold = deferred();
    const running = await t.engine.submit(key, 'two', {});
    await t.engine.resources.sweep(Date.now() + 120_000);
    assert.equal(c.disposed, false, 'a step of the run is executing: in use');
    gate();
    await running.completion;
    // Idle is counted from the last time the run was seen busy.
    await t.engine.resources.sweep(Date.now() + 150_000);
    assert.equal(c.disposed, false, 'in use 30 s ago: not idle yet');
    await t.engine.resources.sweep(Date.now() + 240_000);
    assert.equal(c.disposed, true, 'idle past the limit: disposed');

    const key2 = (await t.engine.open('resourceful')).state.key;
    await runStep(t.engine, key2, 'one');
    hold = deferred();
    const running2 = t.engine.submit(key2, 'two', {});
    gate();
    await (await running2).completion;
    // Step three fails with its output kept.
    const failed = await runStep(t.engine, key2, 'three');
    assert.equal(failed.steps.three!.status, 'failed');
    assert.equal(failed.steps.three!.error, 'NameError: x is not defined');
    assert.deepEqual(failed.steps.three!.output, { traceback: ['line 1'] }, 'a StepFailure keeps its output');
  } finally {
    await t.close();
  }
});

test('the output so far reaches watchers and the engine while the step runs; the final output replaces it', async () => {
  const t = await setup();
  try {
    const key = (await t.engine.open('resourceful')).state.key;
    await runStep(t.engine, key, 'one');
    hold = deferred();
    const ac = new AbortController();
    const feed = t.engine.watch(key, { signal: ac.signal });
    const seen: RunUpdate[] = [];
    const reading = (async () => {
      for await (const u of feed) {
        seen.push(u);
        if (u.kind === 'partial' && (u.output as { lines: string[] }).lines.length === 2) break;
      }
    })();
    const { completion } = await t.engine.submit(key, 'two', {});
    await reading;
    assert.deepEqual(t.engine.partial(key, 'two'), { lines: ['first', 'second'] }, 'the newest output so far');
    const partials = seen.filter((u) => u.kind === 'partial');
    assert.ok(partials.length >= 1 && partials.every((u) => u.kind === 'partial' && u.step === 'two'));
    gate();
    const st = await completion;
    assert.deepEqual(st.steps.two!.output, { uses: 2 });
    assert.equal(t.engine.partial(key, 'two'), undefined, 'nothing partial once the step is over');
    ac.abort();
  } finally {
    await t.close();
  }
});

test('finalizing a run disposes its resources', async () => {
  Counter.made = [];
  const lone = workflow({ id: 'lone', title: 'Lone' }).step({
    id: 'only',
    title: 'Only',
    fields: {},
    run: async (ctx) => ((await ctx.resource('counter', async (h) => new Counter(ctx.runKey, h))).uses++, 1),
  });
  const tmp = tempDir();
  const engine = await Engine.start(await Store.open(tmp.dir), new Registry([lone]));
  try {
    const key = (await engine.open('lone')).state.key;
    await (await engine.submit(key, 'only', {})).completion;
    assert.equal(Counter.made[0]!.disposed, false);
    await engine.finalize(key);
    await new Promise((r) => setImmediate(r));
    assert.equal(Counter.made[0]!.disposed, true);
  } finally {
    await engine.shutdown();
    await engine.store.close();
    tmp.cleanup();
  }
});
