// engine.watch(key): one feed of a run's changes and progress, from this process at once and from
// another process (a second engine on the same data folder or PostgreSQL database, as the CLI
// beside the server) by reading the database.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunUpdate } from '../../src/engine/watch.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { tempEngine } from '../helpers/temp-engine.ts';

/** Collects updates until `until` says stop (or the feed ends). */
async function collect(feed: AsyncGenerator<RunUpdate>, until: (u: RunUpdate, all: RunUpdate[]) => boolean): Promise<RunUpdate[]> {
  const all: RunUpdate[] = [];
  for await (const u of feed) {
    all.push(u);
    if (until(u, all)) break;
  }
  return all;
}

forEachBackend((backend) => describe(`watch (${backend})`, () => {
  it('the first update is the current state; then each change and each progress report', { timeout: 60_000 }, async () => {
    const t = await tempEngine({ backend });
    try {
      const key = (await t.engine.open('slow')).state.key;
      const feed = t.engine.watch(key);
      const first = await feed.next();
      assert.equal(first.value?.kind, 'state');
      const got = collect(feed, (u) => u.kind === 'state' && u.state.steps.count!.status === 'done');
      const { completion } = await t.engine.submit(key, 'count', { steps: 5, delay: 5 });
      await completion;
      const updates = await got;
      const progress = updates.filter((u): u is Extract<RunUpdate, { kind: 'progress' }> => u.kind === 'progress');
      assert.ok(progress.length >= 1, 'progress reached the feed');
      assert.ok(progress.every((p) => p.step === 'count'));
      const states = updates.filter((u): u is Extract<RunUpdate, { kind: 'state' }> => u.kind === 'state').map((u) => u.state.steps.count!.status);
      assert.equal(states.at(-1), 'done');
    } finally {
      await t.close();
    }
  });

  it('changes made by another process arrive by polling; a deleted run ends the feed; abort ends it too', { timeout: 60_000 }, async () => {
    const t = await tempEngine({ backend });
    // Another process: its own connection to the same store, its own engine and bus.
    const second = await tempEngine({ dataDir: t.dataDir, databaseUrl: t.databaseUrl });
    const other = second.engine;
    try {
      const key = (await t.engine.open('hello')).state.key;
      const ac = new AbortController();
      const feed = t.engine.watch(key, { pollMs: 20, signal: ac.signal });
      assert.equal((await feed.next()).value?.kind, 'state');
      // The other engine writes; this one hears nothing on its bus, only the database knows.
      await (await other.submit(key, 'name', { name: 'Ada' })).completion;
      const next = await feed.next();
      assert.ok(next.value?.kind === 'state' && next.value.state.steps.name!.status === 'done');
      ac.abort();
      assert.equal((await feed.next()).done, true, 'abort ends the feed');

      const again = t.engine.watch(key, { pollMs: 20 });
      assert.equal((await again.next()).value?.kind, 'state');
      await other.deleteRun(key);
      assert.deepEqual((await again.next()).value, { kind: 'gone' });
      assert.equal((await again.next()).done, true);
    } finally {
      await second.close();
      await t.close();
    }
  });

  it('a slow reader is given only the newest progress of a step, not every report', { timeout: 60_000 }, async () => {
    const t = await tempEngine({ backend });
    try {
      const key = (await t.engine.open('slow')).state.key;
      const ac = new AbortController();
      const feed = t.engine.watch(key, { signal: ac.signal });
      await feed.next();
      const { completion } = await t.engine.submit(key, 'count', { steps: 200, delay: 0 });
      await completion;
      // Nobody read while 200 reports were made: what waits is one state and one progress.
      const waiting: RunUpdate[] = [];
      let next = feed.next();
      for (;;) {
        const r = await Promise.race([next, new Promise<'empty'>((res) => setImmediate(() => res('empty')))]);
        if (r === 'empty' || r.done) break;
        waiting.push(r.value);
        next = feed.next();
      }
      assert.ok(waiting.filter((u) => u.kind === 'progress').length <= 1, `progress waiting: ${waiting.map((u) => u.kind).join(', ')}`);
      assert.ok(waiting.some((u) => u.kind === 'state'));
      // A reader waiting for the next update is released by the abort.
      ac.abort();
      assert.equal((await next).done, true);
    } finally {
      await t.close();
    }
  });
}));
