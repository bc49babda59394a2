import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../../src/engine/errors.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { tempEngine } from '../helpers/temp-engine.ts';

const isCode = (code: string) => (e: unknown) => e instanceof EngineError && e.code === code;

forEachBackend((backend) => describe(`engine (${backend})`, () => {
  it('open: next free number per profile and workflow; typed keys resume', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      assert.equal(await engine.nextKey('hello'), 'default-hello-01');
      const a = (await engine.open('hello')).state;
      const b = (await engine.open('hello')).state;
      assert.deepEqual([a.key, b.key], ['default-hello-01', 'default-hello-02']);
      assert.equal((await engine.open('slow')).state.key, 'default-slow-01');
      await engine.store.profiles.create('acme');
      assert.equal((await engine.open('hello', { profile: 'acme' })).state.key, 'acme-hello-01');
      // A typed key that collides with the next auto key is skipped over, not overwritten.
      await engine.open('hello', { key: 'default-hello-03' });
      assert.equal((await engine.open('hello')).state.key, 'default-hello-04');
      const again = await engine.open('hello', { key: 'default-hello-01' });
      assert.equal(again.created, false);
      await assert.rejects(engine.open('slow', { key: 'default-hello-01' }), isCode('workflow_mismatch'));
      await assert.rejects(engine.open('nope'), isCode('not_found'));
      await assert.rejects(engine.open('hello', { key: 'bad key' }), isCode('bad_key'));
      // Profile and workflow are columns, not parsed out of the key.
      const typed = (await engine.open('hello', { key: 'my-odd-key-with-dashes', profile: 'acme' })).state;
      const summary = await engine.store.runs.summary(typed.key);
      assert.deepEqual(summary, { ...summary, workflow: 'hello', profile: 'acme', number: null });
    } finally {
      await close();
    }
  });

  it('numbers go on past 99', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      await engine.open('hello', { key: 'default-hello-99' });
      await engine.store.sql.run("UPDATE runs SET number = 99 WHERE key = 'default-hello-99'");
      assert.equal((await engine.open('hello')).state.key, 'default-hello-100');
    } finally {
      await close();
    }
  });

  it('a hello run: submit, suggestion from the earlier step, finalize locks, unfinalize unlocks', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = (await engine.open('hello')).state.key;
      await assert.rejects(engine.finalize(key), isCode('not_complete'));
      await assert.rejects(engine.submit(key, 'greeting', { greeting: 'hi' }), isCode('out_of_order'));
      const r1 = await engine.submit(key, 'name', { name: '  Ada  ' });
      assert.equal(r1.state.steps.name!.status, 'done');
      assert.deepEqual(r1.state.steps.name!.output, { name: 'Ada' });
      assert.deepEqual(engine.formValues(r1.state, 'greeting'), { greeting: 'Hello, Ada!' });
      await assert.rejects(engine.submit(key, 'name', { name: 'Bob' }), isCode('already_done'));
      const r2 = await engine.submit(key, 'greeting', { greeting: 'Hello, Ada!' });
      const done = await r2.completion;
      assert.deepEqual(done.steps.greeting!.output, { greeting: 'Hello, Ada!', length: 11 });
      const fin = await engine.finalize(key);
      assert.ok(fin.finalized);
      await assert.rejects(engine.submit(key, 'greeting', { greeting: 'x' }), isCode('finalized'));
      await assert.rejects(engine.revert(key, 'name'), isCode('finalized'));
      await engine.unfinalize(key);
      await engine.revert(key, 'name');
      const types = (await engine.store.events.forRun(key)).map((e) => e.type).reverse();
      assert.deepEqual(types, ['created', 'submitted', 'submitted', 'completed', 'finalized', 'unfinalized', 'reverted']);
      // The state document has the contract's shape.
      const st = await engine.get(key);
      assert.deepEqual(Object.keys(st).sort(), ['created', 'finalized', 'key', 'profile', 'schema', 'steps', 'updated', 'workflow']);
      assert.equal(st.steps.name!.status, 'pending');
      assert.deepEqual(st.steps.name!.input, { name: 'Ada' }, 'the reverted step keeps its input to pre-fill the form');
      assert.equal(st.steps.greeting!.input, null);
    } finally {
      await close();
    }
  });

  it('invalid input is refused per field and nothing is written', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = (await engine.open('hello')).state.key;
      const before = (await engine.store.events.forRun(key)).length;
      await assert.rejects(engine.submit(key, 'name', { name: '   ' }), (e: unknown) => e instanceof EngineError && e.code === 'invalid_input' && 'name' in e.fieldErrors);
      await assert.rejects(engine.submit(key, 'name', { name: 42 }), isCode('invalid_input'));
      await assert.rejects(engine.submit(key, 'name', { name: 'x'.repeat(81) }), isCode('invalid_input'));
      await assert.rejects(engine.submit(key, 'name', { name: 'Ada', extra: 1 }), (e: unknown) => e instanceof EngineError && /unknown field/.test(e.message));
      assert.equal((await engine.store.events.forRun(key)).length, before);
      assert.equal((await engine.get(key)).steps.name!.status, 'pending');
    } finally {
      await close();
    }
  });

  it('long steps run in the background with progress, and can be cancelled and re-run', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = (await engine.open('slow')).state.key;
      const seen: number[] = [];
      let reported!: () => void;
      const firstReport = new Promise<void>((res) => { reported = res; });
      engine.bus.on('progress', (e) => { if (e.run === key) { seen.push(e.progress.done); reported(); } });
      const r = await engine.submit(key, 'count', { steps: 1000, delay: 5 });
      assert.equal(r.state.steps.count!.status, 'running');
      await firstReport;
      assert.ok(seen.length > 0, 'progress was reported');
      assert.equal((await engine.progress(key, 'count'))!.total, 1000);
      const cancelled = await engine.cancel(key, 'count');
      assert.equal(cancelled.steps.count!.status, 'cancelled');
      const settled = await r.completion;
      assert.equal(settled.steps.count!.status, 'cancelled');
      assert.equal((await engine.store.executions.all()).length, 0);
      // Re-run it to the end.
      const again = await engine.submit(key, 'count', { steps: 3, delay: 1 });
      assert.equal((await again.completion).steps.count!.status, 'done');
      assert.deepEqual((await engine.get(key)).steps.count!.output, { counted: 3 });
    } finally {
      await close();
    }
  });

  it('a failing step records its error; earlier steps are intact; it can be retried', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = (await engine.open('slow')).state.key;
      await (await engine.submit(key, 'count', { steps: 2, delay: 0 })).completion;
      const failed = await (await engine.submit(key, 'check', { word: 'fail' })).completion;
      assert.equal(failed.steps.check!.status, 'failed');
      assert.equal(failed.steps.check!.error, 'asked to fail');
      assert.equal(failed.steps.count!.status, 'done');
      assert.deepEqual(engine.formValues(failed, 'check'), { word: 'fail' });
      const ok = await (await engine.submit(key, 'check', { word: 'fine' })).completion;
      assert.deepEqual(ok.steps.check!.output, { word: 'fine', counted: 2 });
    } finally {
      await close();
    }
  });

  it('revert to a step while a later step runs stops it; revert past the first open step is refused', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = (await engine.open('slow')).state.key;
      await assert.rejects(engine.revert(key, 'check'), isCode('out_of_order'));
      const r = await engine.submit(key, 'count', { steps: 1000, delay: 5 });
      await engine.revert(key, 'count');
      const st = await r.completion;
      assert.equal(st.steps.count!.status, 'pending');
      assert.deepEqual(st.steps.count!.input, { steps: 1000, delay: 5 });
      // The audit log says the work was stopped, then the revert.
      const last = (await engine.store.events.forRun(key)).slice(0, 2).map((e) => [e.type, e.step]);
      assert.deepEqual(last, [['reverted', 'count'], ['cancelled', 'count']]);
    } finally {
      await close();
    }
  });

  it('a step running when its process died is interrupted on restart; completed steps intact', async () => {
    const first = await tempEngine({ backend });
    let second: Awaited<ReturnType<typeof tempEngine>> | undefined;
    try {
      const key = (await first.engine.open('slow')).state.key;
      await (await first.engine.submit(key, 'count', { steps: 1, delay: 0 })).completion;
      await first.engine.submit(key, 'check', { word: 'x' }).then((r) => r.completion);
      await first.engine.revert(key, 'check');
      // Simulate a process that died mid-step: state says running, owned by a process that is
      // gone — on SQLite a pid that is free, on PostgreSQL a lease that ran out.
      await first.engine.store.tx(async (tx) => {
        const st = (await tx.runs.get(key))!;
        st.steps.check = { input: { word: 'x' }, output: null, status: 'running', startedAt: new Date().toISOString(), finishedAt: null };
        await tx.runs.update(st);
        await tx.sql.run('INSERT INTO executions (run, step, id, pid, owner, started, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [key, 'check', 'dead-exec', 2 ** 22 + 12345, 'dead-owner', new Date().toISOString(), backend === 'postgres' ? 0 : null]);
      });
      await first.engine.store.close();
      second = await tempEngine({ dataDir: first.dataDir, databaseUrl: first.databaseUrl });
      const st = await second.engine.get(key);
      assert.equal(st.steps.count!.status, 'done');
      assert.equal(st.steps.check!.status, 'interrupted');
      assert.equal((await second.engine.store.events.forRun(key))[0]!.type, 'interrupted');
      const again = await (await second.engine.submit(key, 'check', { word: 'y' })).completion;
      assert.equal(again.steps.check!.status, 'done');
    } finally {
      await second?.close();
      await first.close();
    }
  });

  it('large outputs must go through artifacts, which are stored with their SHA-256', async () => {
    const { engine, dataDir, close } = await tempEngine({ backend });
    try {
      const key = (await engine.open('hello')).state.key;
      const ref = await engine.store.artifacts.writeBytes(key, '../../evil name.txt', 'hello');
      assert.match(ref.path, /^artifacts\/default-hello-01\/[0-9a-f]{12}-evil_name\.txt$/);
      assert.equal(ref.sha256, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
      assert.equal(readFileSync(path.join(dataDir, ref.path), 'utf8'), 'hello');
      assert.throws(() => engine.store.artifacts.resolve('../outside'), /escapes/);
    } finally {
      await close();
    }
  });

  it('"run again" right after "stop" is accepted while the old code still winds down, and the old result is discarded', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = (await engine.open('slow')).state.key;
      // 300 ms per count: the cancelled execution notices only when its current wait ends.
      const first = await engine.submit(key, 'count', { steps: 1000, delay: 300 });
      await new Promise((res) => setTimeout(res, 30));
      await engine.cancel(key, 'count');
      const second = await engine.submit(key, 'count', { steps: 2, delay: 1 });
      assert.equal(second.state.steps.count!.status, 'running');
      const done = await second.completion;
      assert.deepEqual(done.steps.count!.output, { counted: 2 });
      await first.completion;
      const st = await engine.get(key);
      assert.equal(st.steps.count!.status, 'done');
      assert.deepEqual(st.steps.count!.output, { counted: 2 });
      assert.equal((await engine.store.executions.all()).length, 0, 'no execution row left behind');
    } finally {
      await close();
    }
  });

  it('after a revert, an upload chosen before is kept when the form leaves the file empty', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = (await engine.open('widgets')).state.key;
      const values: Record<string, Record<string, unknown>> = {
        title: { title: 'T' }, notes: { notes: 'n' }, colour: { colour: 'red' }, toppings: { toppings: ['basil'] },
        size: { size: 's' }, level: { level: 1 }, notify: { notify: false },
      };
      for (const [step, input] of Object.entries(values)) await (await engine.submit(key, step, input)).completion;
      const file = new File([new Uint8Array([1, 2, 3])], 'three.bin');
      const first = await (await engine.submit(key, 'upload', { file })).completion;
      const ref = first.steps.upload!.output as { file: { sha256: string; name: string } };
      await engine.revert(key, 'upload');
      const again = await (await engine.submit(key, 'upload', {})).completion;
      assert.equal(again.steps.upload!.status, 'done');
      assert.deepEqual(again.steps.upload!.output, ref);
      // A step with no earlier value still requires a file.
      const other = (await engine.open('widgets')).state.key;
      for (const [step, input] of Object.entries(values)) await (await engine.submit(other, step, input)).completion;
      await assert.rejects(engine.submit(other, 'upload', {}), (e: unknown) => e instanceof EngineError && 'file' in e.fieldErrors);
    } finally {
      await close();
    }
  });
}));
