// Races between the engine's background execution and its transactions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import { workflow } from '../../src/engine/index.ts';
import { Registry } from '../../src/engine/registry.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/temp-engine.ts';

/** A step whose work waits until the test lets it finish, and (like slow real code) ignores its AbortSignal. */
function gatedWorkflow() {
  const gates: (() => void)[] = [];
  const wf = workflow({ id: 'gate', title: 'Gate' }).step({
    id: 'work',
    title: 'Work',
    fields: {},
    run: async () => {
      await new Promise<void>((r) => gates.push(r));
      return { ok: true };
    },
  });
  return { wf, gates, releaseAll: () => { while (gates.length) gates.shift()!(); } };
}

function boot(dir: string, wf: ReturnType<typeof gatedWorkflow>['wf']) {
  return new Engine(new Store(dir), new Registry([wf]));
}

test('a re-run started in the same millisecond as the cancelled run it replaces is not clobbered by the old run\'s late result', async () => {
  const t = tempDir();
  const g = gatedWorkflow();
  const engine = boot(t.dir, g.wf);
  try {
    let hit: { key: string; old: Promise<unknown> } | undefined;
    for (let attempt = 0; attempt < 300 && !hit; attempt++) {
      const { state } = engine.open('gate');
      const t0 = Date.now();
      while (Date.now() === t0) { /* start at the beginning of a millisecond */ }
      const a = await engine.submit(state.key, 'work', {});
      engine.cancel(state.key, 'work');
      const b = await engine.submit(state.key, 'work', {});
      if (a.state.steps.work!.startedAt === b.state.steps.work!.startedAt) hit = { key: state.key, old: a.completion };
      else { g.releaseAll(); await a.completion; await b.completion; }
    }
    assert.ok(hit, 'could not start two executions within one millisecond (machine too slow?)');
    // The OLD (cancelled) execution finishes now; the new one is still working.
    g.gates.shift()!();
    await hit.old;
    const st = engine.get(hit.key);
    assert.equal(st.steps.work!.status, 'running', `the new execution is still working, but the state says ${st.steps.work!.status} (${st.steps.work!.error ?? ''})`);
    assert.ok(engine.store.executions.get(hit.key, 'work'), 'the new execution lost its executions row');
  } finally {
    g.releaseAll();
    engine.shutdown();
    engine.store.close();
    t.cleanup();
  }
});

test('a "change" listener that reads the run (as the SSE route does) does not see a just-submitted step as dead', async () => {
  const t = tempDir();
  const g = gatedWorkflow();
  const engine = boot(t.dir, g.wf);
  try {
    const { state } = engine.open('gate');
    const seen: string[] = [];
    engine.bus.on('change', (k) => { if (k === state.key) seen.push(engine.get(k).steps.work!.status); });
    await engine.submit(state.key, 'work', {});
    assert.deepEqual(seen.slice(0, 1), ['running']);
    assert.equal(engine.get(state.key).steps.work!.status, 'running');
  } finally {
    g.releaseAll();
    engine.shutdown();
    engine.store.close();
    t.cleanup();
  }
});

test('after a crash, a step whose dead owner\'s pid now belongs to an unrelated process is interrupted (not stuck running)', async () => {
  const t = tempDir();
  const g = gatedWorkflow();
  const first = boot(t.dir, g.wf);
  const { state } = first.open('gate');
  await first.submit(state.key, 'work', {});
  // Simulate: that process crashed, and after a reboot its pid went to some other program
  // (here: our parent process, which is alive and is not Railbook).
  first.store.db.prepare('UPDATE executions SET pid = ?, owner = ?').run(process.ppid, 'owner-of-a-dead-process');
  const second = boot(t.dir, g.wf);
  try {
    const st = second.get(state.key);
    assert.equal(st.steps.work!.status, 'interrupted', 'the step stays "running" forever');
    // and the person has no way out: stop and revert are both refused
    assert.doesNotThrow(() => second.revert(state.key, 'work'));
  } finally {
    g.releaseAll();
    first.shutdown();
    second.shutdown();
    first.store.close();
    second.store.close();
    t.cleanup();
  }
});
