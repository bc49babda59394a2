// Races between the engine's background execution and its transactions, and (PostgreSQL) between
// a live owner's lease and another engine looking for orphans.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { Engine, type EngineOptions, type SubmitResult } from '../../src/engine/engine.ts';
import { workflow } from '../../src/engine/index.ts';
import { Registry } from '../../src/engine/registry.ts';
import { forEachBackend, type Backend } from '../helpers/backends.ts';
import { tempEngine, type TempEngine } from '../helpers/temp-engine.ts';

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

type Wf = ReturnType<typeof gatedWorkflow>['wf'];

interface Booted {
  engine: Engine;
  place: TempEngine;
  close: () => Promise<void>;
}

/**
 * An engine over `wf` on a fresh store of `backend`, or on the store of `on` (a second process on
 * the same data folder or database). The temp engine owns the store's lifetime.
 */
async function boot(wf: Wf, where: { backend: Backend } | { on: TempEngine }, opts: EngineOptions = {}): Promise<Booted> {
  const place = 'on' in where
    ? await tempEngine({ dataDir: where.on.dataDir, databaseUrl: where.on.databaseUrl })
    : await tempEngine({ backend: where.backend });
  const engine = await Engine.start(place.engine.store, new Registry([wf]), opts);
  return { engine, place, close: async () => { await engine.shutdown(); await place.close(); } };
}

/** Polls `check` until it holds (a generous limit, not a timing claim). */
async function eventually(what: string, check: () => Promise<boolean>, limitMs = 20_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!(await check())) {
    assert.ok(Date.now() < until, `gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

forEachBackend((backend) => describe(`engine races (${backend})`, () => {
  it('a re-run started in the same millisecond as the cancelled run it replaces is not clobbered by the old run\'s late result', async () => {
    const g = gatedWorkflow();
    const booted = await boot(g.wf, { backend });
    const engine = booted.engine;
    try {
      const { state } = await engine.open('gate');
      // A frozen clock: both executions start in the same millisecond, the case that once let the
      // old one's result pass for the new one's.
      mock.timers.enable({ apis: ['Date'], now: Date.now() });
      let a: SubmitResult;
      let b: SubmitResult;
      try {
        a = await engine.submit(state.key, 'work', {});
        await engine.cancel(state.key, 'work');
        b = await engine.submit(state.key, 'work', {});
      } finally {
        mock.timers.reset();
      }
      assert.equal(a.state.steps.work!.startedAt, b.state.steps.work!.startedAt);
      // The OLD (cancelled) execution finishes now; the new one is still working.
      g.gates.shift()!();
      await a.completion;
      const st = await engine.get(state.key);
      assert.equal(st.steps.work!.status, 'running', `the new execution is still working, but the state says ${st.steps.work!.status} (${st.steps.work!.error ?? ''})`);
      assert.ok(await engine.store.executions.get(state.key, 'work'), 'the new execution lost its executions row');
    } finally {
      g.releaseAll();
      await booted.close();
    }
  });

  it('a "change" listener that reads the run (as the SSE route does) does not see a just-submitted step as dead', async () => {
    const g = gatedWorkflow();
    const booted = await boot(g.wf, { backend });
    const engine = booted.engine;
    try {
      const { state } = await engine.open('gate');
      const seen: Promise<string>[] = [];
      engine.bus.on('change', (k) => { if (k === state.key) seen.push(engine.get(k).then((s) => s.steps.work!.status)); });
      await engine.submit(state.key, 'work', {});
      assert.ok(seen.length > 0, 'the change was announced');
      assert.equal(await seen[0], 'running');
      assert.equal((await engine.get(state.key)).steps.work!.status, 'running');
    } finally {
      g.releaseAll();
      await booted.close();
    }
  });

  it('after a crash, a step whose owner is dead is interrupted (not stuck running), and can be reverted', async () => {
    const g = gatedWorkflow();
    const first = await boot(g.wf, { backend });
    let second: Booted | undefined;
    try {
      const { state } = await first.engine.open('gate');
      await first.engine.submit(state.key, 'work', {});
      if (backend === 'sqlite') {
        // That process crashed, and after a reboot its pid went to some other program (here: our
        // parent process, which is alive and is not Railbook).
        await first.engine.store.sql.run('UPDATE executions SET pid = ?, owner = ?', [process.ppid, 'owner-of-a-dead-process']);
      } else {
        // A worker that died stops renewing its lease: it runs out (the owner is no longer ours,
        // so this engine's heartbeat does not renew it either).
        await first.engine.store.sql.run('UPDATE executions SET owner = ?, lease_until = 0', ['owner-of-a-dead-process']);
      }
      second = await boot(g.wf, { on: first.place });
      const st = await second.engine.get(state.key);
      assert.equal(st.steps.work!.status, 'interrupted', 'the step stays "running" forever');
      // and the person has a way out: revert is accepted
      await second.engine.revert(state.key, 'work');
    } finally {
      g.releaseAll();
      await second?.close();
      await first.close();
    }
  });
}));

describe('engine races (postgres leases)', () => {
  /** A step that runs until its AbortSignal fires: it holds its lease only by the heartbeat. */
  const waits = workflow({ id: 'gate', title: 'Waits' }).step({
    id: 'work',
    title: 'Work',
    fields: {},
    run: ({ signal }) => new Promise<{ ok: boolean }>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))),
  });

  it('a step whose owner keeps beating is not an orphan to a second engine, past its lease time; once the beats stop, it is interrupted', { timeout: 60_000 }, async () => {
    const leaseMs = 600;
    const first = await boot(waits, { backend: 'postgres' }, { leaseMs });
    let second: Booted | undefined;
    try {
      const { state } = await first.engine.open('gate');
      await first.engine.submit(state.key, 'work', {});
      const claimed = await first.engine.store.sql.get<{ until: number }>('SELECT lease_until AS until FROM executions WHERE run = ?', [state.key]);
      assert.ok(claimed, 'the step holds a lease');
      // Wait until the lease as first claimed has run out by the database's clock, and the
      // heartbeat has renewed it since.
      await eventually('the first lease ran out and was renewed', async () => {
        const row = await first.engine.store.sql.get<{ until: number; now: number }>(
          'SELECT lease_until AS until, CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now FROM executions WHERE run = ?', [state.key]);
        return !!row && row.now > claimed.until + leaseMs && row.until > claimed.until;
      });

      second = await boot(waits, { on: first.place }, { leaseMs });
      const seen = await second.engine.get(state.key);
      assert.equal(seen.steps.work!.status, 'running', 'a second engine took a step with a live lease for an orphan');
      const ex = await second.engine.store.executions.get(state.key, 'work');
      assert.ok(ex && !ex.expired && ex.owner === first.engine.owner);
      await second.engine.recover();
      assert.equal((await second.engine.get(state.key)).steps.work!.status, 'running', 'recovery leaves it alone too');

      // The first engine's process dies: its beats stop (the row belongs to an owner that beats
      // no more), and the lease runs out.
      await first.engine.store.sql.run('UPDATE executions SET owner = ?, lease_until = 0 WHERE run = ?', ['owner-of-a-dead-process', state.key]);
      const after = await second.engine.get(state.key);
      assert.equal(after.steps.work!.status, 'interrupted');
      const [last] = await second.engine.store.events.forRun(state.key, 1);
      assert.equal(last!.type, 'interrupted');
      assert.equal(last!.step, 'work');
      assert.equal(await second.engine.store.executions.get(state.key, 'work'), undefined, 'the dead owner\'s row is released');
    } finally {
      await second?.close();
      await first.close();
    }
  });
});
