// The queue's bookkeeping (store/run-queue.ts) on a real PostgreSQL: what keeps a run from being
// run twice (an exclusive claim; settling only by the claimant) and a dead worker from being
// dealt with twice (dead by the database's clock; buried once). PostgreSQL only: queued runs
// and workers exist for workers on several machines, which share only a PostgreSQL database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RunQueue, Workers } from '../../src/store/run-queue.ts';
import { Store } from '../../src/store/store.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/temp-engine.ts';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';

describe('run queue and workers (PostgreSQL)', () => {
  let store: Store;
  let queue: RunQueue;
  let workers: Workers;
  let cleanup: () => Promise<void>;

  before(async () => {
    const tmp = tempDir('railbook-run-queue-');
    const db = await freshDatabase();
    store = await Store.open(tmp.dir, { databaseUrl: db.url });
    queue = store.queue;
    workers = store.workers;
    cleanup = async () => {
      await store.close();
      await db.drop();
      tmp.cleanup();
    };
  });
  after(() => cleanup());

  const add = (key: string, o: { maxAttempts?: number; queue?: string } = {}) =>
    queue.add({ key, queue: o.queue ?? 'default', job: JSON.stringify({ job: { workflow: 'hello', inputs: {} } }), maxAttempts: o.maxAttempts ?? 3, backoffMs: 1000, enqueued: T0 });

  /** The database's own clock, in ms since the epoch (what heartbeats are stamped with). */
  const dbNow = async () => Number((await store.sql.get<{ ms: string }>('SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS ms'))!.ms);

  it('a new run waits queued, with no attempt yet', async () => {
    await add('q-new', { queue: 'crawl' });
    const q = await queue.get('q-new');
    assert.deepEqual(
      { status: q?.status, queue: q?.queue, attempts: q?.attempts, maxAttempts: q?.maxAttempts, backoffMs: q?.backoffMs, worker: q?.worker, error: q?.error },
      { status: 'queued', queue: 'crawl', attempts: 0, maxAttempts: 3, backoffMs: 1000, worker: null, error: null });
    assert.equal(await queue.get('q-none'), undefined);
  });

  it('10 concurrent claims of one queued run: exactly one wins', async () => {
    await add('q-race');
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => queue.claim('q-race', `w${i}`, `job-${i}`, T1)));
    const winners = claims.flatMap((c, i) => (c ? [{ c, i }] : []));
    assert.equal(winners.length, 1, `one winner, got ${winners.length}`);
    const { c, i } = winners[0]!;
    assert.equal(c.worker, `w${i}`);
    assert.equal(c.status, 'running');
    assert.equal(c.attempts, 1);
    const row = await queue.get('q-race');
    assert.deepEqual({ status: row?.status, attempts: row?.attempts, worker: row?.worker, jobId: row?.jobId, started: row?.started },
      { status: 'running', attempts: 1, worker: `w${i}`, jobId: `job-${i}`, started: T1 });
    // A late delivery of the same run finds it taken: stale.
    assert.equal(await queue.claim('q-race', 'w-late', 'job-late', T1), undefined);
  });

  it('only the claiming worker settles an attempt, and only once', async () => {
    await add('q-settle');
    assert.ok(await queue.claim('q-settle', 'owner', 'job-1', T0));
    assert.equal(await queue.settle('q-settle', 'someone-else', 'done', T1, null), false);
    assert.equal((await queue.get('q-settle'))?.status, 'running');
    assert.equal(await queue.settle('q-settle', 'owner', 'done', T1, null), true);
    const done = await queue.get('q-settle');
    assert.deepEqual({ status: done?.status, finished: done?.finished, attempts: done?.attempts }, { status: 'done', finished: T1, attempts: 1 });
    // Done is final: neither the owner again nor anyone else changes it.
    assert.equal(await queue.settle('q-settle', 'owner', 'failed', T1, 'late'), false);
    assert.equal((await queue.get('q-settle'))?.status, 'done');
  });

  it('a retry goes back to queued counting the attempt; a hand-back does not count it', async () => {
    await add('q-retry');
    await queue.claim('q-retry', 'w', 'job-1', T0);
    assert.ok(await queue.settle('q-retry', 'w', 'queued', T1, 'boom'));
    let q = await queue.get('q-retry');
    assert.deepEqual({ status: q?.status, attempts: q?.attempts, error: q?.error, finished: q?.finished }, { status: 'queued', attempts: 1, error: 'boom', finished: null });
    await queue.claim('q-retry', 'w2', 'job-2', T1);
    assert.ok(await queue.settle('q-retry', 'w2', 'queued', T1, null, { uncount: true }));
    q = await queue.get('q-retry');
    assert.deepEqual({ status: q?.status, attempts: q?.attempts }, { status: 'queued', attempts: 1 });
    await queue.claim('q-retry', 'w3', 'job-3', T1);
    assert.ok(await queue.settle('q-retry', 'w3', 'failed', T1, 'boom again'));
    q = await queue.get('q-retry');
    assert.deepEqual({ status: q?.status, attempts: q?.attempts, error: q?.error, finished: q?.finished }, { status: 'failed', attempts: 2, error: 'boom again', finished: T1 });
  });

  it('queuing a run again starts it afresh', async () => {
    await add('q-again', { maxAttempts: 2 });
    await queue.claim('q-again', 'w', 'job-1', T0);
    await queue.settle('q-again', 'w', 'failed', T1, 'gave up');
    await add('q-again', { maxAttempts: 5 });
    const q = await queue.get('q-again');
    assert.deepEqual({ status: q?.status, attempts: q?.attempts, maxAttempts: q?.maxAttempts, error: q?.error, finished: q?.finished, started: q?.started },
      { status: 'queued', attempts: 0, maxAttempts: 5, error: null, finished: null, started: null });
  });

  it('failQueued fails only a run still waiting', async () => {
    await add('q-unsent');
    await queue.failQueued('q-unsent', T1, 'could not be queued');
    assert.deepEqual(await queue.get('q-unsent').then((q) => [q?.status, q?.error]), ['failed', 'could not be queued']);
    await add('q-taken');
    await queue.claim('q-taken', 'w', 'job', T0);
    await queue.failQueued('q-taken', T1, 'too late');
    assert.equal((await queue.get('q-taken'))?.status, 'running');
  });

  it('runningBy, many and counts', async () => {
    await add('q-by-1');
    await add('q-by-2');
    await queue.claim('q-by-1', 'ghost', 'j1', T0);
    await queue.claim('q-by-2', 'other', 'j2', T0);
    assert.deepEqual((await queue.runningBy(['ghost'])).map((q) => q.key), ['q-by-1']);
    assert.deepEqual(await queue.runningBy([]), []);
    const many = await queue.many(['q-by-1', 'q-by-2', 'q-none']);
    assert.deepEqual([...many.keys()].sort(), ['q-by-1', 'q-by-2']);
    const counts = await queue.counts();
    const rows = await store.sql.all<{ status: string }>('SELECT status FROM run_queue');
    for (const s of ['queued', 'running', 'done', 'failed'] as const) assert.equal(counts[s], rows.filter((r) => r.status === s).length, s);
  });

  it('a worker is stamped with the database clock and is dead once silent longer than the lease', async () => {
    const before = await dbNow();
    // The caller's own clock (`started`) plays no part: a worker started "long ago" is alive.
    await workers.register('w-clock', 'host:1:ab', ['default', 'crawl'], '2000-01-01T00:00:00.000Z');
    const afterReg = await dbNow();
    const w = (await workers.all()).find((x) => x.id === 'w-clock')!;
    assert.ok(w.seenMs >= before && w.seenMs <= afterReg, `seen ${w.seenMs} between ${before} and ${afterReg}`);
    assert.equal(w.queues, 'default,crawl');
    assert.ok(!(await workers.dead(60_000)).some((x) => x.id === 'w-clock'));

    // Silent for two minutes by the database's clock: dead for a one-minute lease, not a ten-minute one.
    await store.sql.run('UPDATE workers SET seen_ms = seen_ms - 120000 WHERE id = ?', ['w-clock']);
    assert.ok((await workers.dead(60_000)).some((x) => x.id === 'w-clock'));
    assert.ok(!(await workers.dead(600_000)).some((x) => x.id === 'w-clock'));

    // A beat brings it back.
    await workers.beat('w-clock');
    assert.ok(!(await workers.dead(60_000)).some((x) => x.id === 'w-clock'));
  });

  it('a worker that stopped cleanly is never taken for dead', async () => {
    await workers.register('w-stopped', 'host:2:cd', ['default'], T0);
    await workers.stopped('w-stopped', T1);
    await store.sql.run('UPDATE workers SET seen_ms = seen_ms - 120000 WHERE id = ?', ['w-stopped']);
    assert.ok(!(await workers.dead(60_000)).some((x) => x.id === 'w-stopped'));
    assert.equal((await workers.all()).find((x) => x.id === 'w-stopped')?.stopped, T1);
  });

  it('a dead worker is buried once, by exactly one of many sweepers', async () => {
    await workers.register('w-dead', 'host:3:ef', ['default'], T0);
    await store.sql.run('UPDATE workers SET seen_ms = seen_ms - 120000 WHERE id = ?', ['w-dead']);
    assert.ok((await workers.dead(60_000)).some((x) => x.id === 'w-dead'));
    const results = await Promise.all(Array.from({ length: 10 }, () => workers.buried('w-dead', T1)));
    assert.equal(results.filter(Boolean).length, 1, JSON.stringify(results));
    assert.equal(await workers.buried('w-dead', T1), false);
    assert.ok(!(await workers.dead(60_000)).some((x) => x.id === 'w-dead'));
    assert.equal((await workers.all()).find((x) => x.id === 'w-dead')?.stopped, `dead ${T1}`);
  });
});
