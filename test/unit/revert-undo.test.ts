// Issue 5, defect 2: a revert can be undone — the cleared steps come back exactly as they were,
// artifacts included — until the run changes again; and a revert can be previewed first.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Engine } from '../../src/engine/engine.ts';
import { EngineError } from '../../src/engine/errors.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { tempEngine } from '../helpers/temp-engine.ts';

const isCode = (code: string, message?: RegExp) => (e: unknown) =>
  e instanceof EngineError && e.code === code && (!message || message.test(e.message));

async function helloDone(engine: Engine): Promise<string> {
  const key = (await engine.open('hello')).state.key;
  await (await engine.submit(key, 'name', { name: 'Ada' })).completion;
  await (await engine.submit(key, 'greeting', { greeting: 'Hello, Ada!' })).completion;
  return key;
}

/** A widgets run up to and including the long `hash` step, which reads the uploaded artifact. */
async function widgetsDone(engine: Engine): Promise<string> {
  const key = (await engine.open('widgets')).state.key;
  const inputs: [string, Record<string, unknown>][] = [
    ['title', { title: 'T' }], ['notes', { notes: 'n' }], ['colour', { colour: 'red' }], ['toppings', { toppings: ['basil'] }],
    ['size', { size: 'l' }], ['level', { level: 3 }], ['notify', { notify: true }],
    ['upload', { file: new File([new Uint8Array(5000).fill(7)], 'été ☃.bin') }],
    ['pick', { files: ['notes.md'] }], ['link', { url: 'https://example.org/' }], ['hash', { chunkKb: 1, pauseMs: 0 }],
  ];
  for (const [step, input] of inputs) {
    const done = await (await engine.submit(key, step, input)).completion;
    assert.equal(done.steps[step]!.status, 'done', `${step}: ${done.steps[step]!.error ?? ''}`);
  }
  return key;
}

const stepsOf = (st: RunState, ids: string[]) => Object.fromEntries(ids.map((id) => [id, st.steps[id]]));

forEachBackend((backend) => describe(`revert and undo (${backend})`, () => {
  it('undo brings the cleared steps back exactly, and the snapshot it uses is in the event log', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = await helloDone(engine);
      const before = structuredClone(await engine.get(key));
      await engine.revert(key, 'name');
      assert.equal((await engine.get(key)).steps.greeting!.status, 'pending');

      const [rev] = await engine.store.events.forRun(key, 1);
      assert.equal(rev!.type, 'reverted');
      const snapshot = rev!.detail!.snapshot as { version: number; steps: { id: string; before: unknown }[] };
      assert.equal(snapshot.version, 1);
      assert.deepEqual(snapshot.steps, [{ id: 'name', before: before.steps.name }, { id: 'greeting', before: before.steps.greeting }]);

      const offer = await engine.undoOffer(key);
      assert.equal(offer?.stepId, 'name');
      assert.deepEqual(offer?.restores.map((s) => [s.id, s.kind]), [['greeting', 'work']]);

      const after = await engine.undoRevert(key);
      assert.deepEqual(stepsOf(after, ['name', 'greeting']), stepsOf(before, ['name', 'greeting']));
      assert.deepEqual(stepsOf(await engine.get(key), ['name', 'greeting']), stepsOf(before, ['name', 'greeting']), 'as stored');
      const [undone] = await engine.store.events.forRun(key, 1);
      assert.equal(undone!.type, 'revert_undone');
      assert.equal(undone!.step, 'name');
      assert.deepEqual(undone!.detail, { revert: rev!.id, steps: ['name', 'greeting'] });

      // The run goes on as if the revert never happened: it can be finalized.
      assert.ok((await engine.finalize(key)).finalized);
    } finally {
      await close();
    }
  });

  it('undo restores artifacts: an uploaded file and the long step that hashed it come back with their files', async () => {
    const { engine, dataDir, close } = await tempEngine({ backend });
    try {
      const key = await widgetsDone(engine);
      const before = structuredClone(await engine.get(key));
      const upload = before.steps.upload!.output as { file: { path: string; size: number } };
      await engine.revert(key, 'upload');
      const reverted = await engine.get(key);
      assert.equal(reverted.steps.hash!.status, 'pending');
      assert.equal(reverted.steps.hash!.output, null);

      const restored = await engine.undoRevert(key);
      const later = ['upload', 'pick', 'link', 'hash'];
      assert.deepEqual(stepsOf(restored, later), stepsOf(before, later));
      assert.ok(existsSync(path.join(dataDir, upload.file.path)), 'the file the restored output refers to is there');
      assert.equal((restored.steps.hash!.output as { matchesStored: boolean }).matchesStored, true);
    } finally {
      await close();
    }
  });

  it('undo refuses, clearly and changing nothing, when a file the cleared steps refer to is gone', async () => {
    const { engine, dataDir, close } = await tempEngine({ backend });
    try {
      const key = await widgetsDone(engine);
      const upload = (await engine.get(key)).steps.upload!.output as { file: { path: string } };
      await engine.revert(key, 'title');
      rmSync(path.join(dataDir, upload.file.path));
      // On PostgreSQL the database keeps every artifact (a missing local copy is fetched again):
      // gone means gone from there too.
      if (backend === 'postgres') await engine.store.sql.run('DELETE FROM artifact_files WHERE path = ?', [upload.file.path]);
      const reverted = structuredClone(await engine.get(key));
      const eventsBefore = (await engine.store.events.forRun(key)).length;
      await assert.rejects(engine.undoRevert(key), isCode('artifacts_missing', new RegExp(`1 file .*missing.*${upload.file.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*run those steps again`)));
      assert.deepEqual(await engine.get(key), reverted);
      assert.equal((await engine.store.events.forRun(key)).length, eventsBefore, 'no event for a refused undo');
    } finally {
      await close();
    }
  });

  it('undo is possible until the next submit: a refused submit or a profile rename keeps it, an accepted submit ends it', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = await helloDone(engine);
      await engine.revert(key, 'greeting');
      // A submit the engine refuses changes nothing, so undo stays available.
      await assert.rejects(engine.submit(key, 'greeting', { greeting: '' }), isCode('invalid_input'));
      await engine.store.profiles.rename('default', 'other');
      assert.ok(await engine.undoOffer(key), 'still on offer');

      await (await engine.submit(key, 'greeting', { greeting: 'Hi!' })).completion;
      assert.equal(await engine.undoOffer(key), undefined);
      const st = structuredClone(await engine.get(key));
      await assert.rejects(engine.undoRevert(key), isCode('undo_unavailable', /step "greeting" was submitted after the revert/));
      assert.deepEqual(await engine.get(key), st, 'nothing changed');
      assert.deepEqual(((await engine.get(key)).steps.greeting!.output as { greeting: string }).greeting, 'Hi!');
    } finally {
      await close();
    }
  });

  it('undo is refused once done, after another revert only the latest is undone, and never on a finalized run', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const fresh = (await engine.open('hello')).state.key;
      await assert.rejects(engine.undoRevert(fresh), isCode('undo_unavailable', /no revert to undo/));

      const key = await helloDone(engine);
      await engine.revert(key, 'greeting');
      await engine.revert(key, 'name');
      const afterFirst = await engine.undoRevert(key);
      // The second revert is undone: back to what the first left (greeting asks for input again).
      assert.equal(afterFirst.steps.name!.status, 'done');
      assert.equal(afterFirst.steps.greeting!.status, 'pending');
      assert.deepEqual(afterFirst.steps.greeting!.input, { greeting: 'Hello, Ada!' });
      await assert.rejects(engine.undoRevert(key), isCode('undo_unavailable', /already undone/));

      const locked = await helloDone(engine);
      await engine.revert(locked, 'greeting');
      await engine.undoRevert(locked);
      await engine.finalize(locked);
      await assert.rejects(engine.undoRevert(locked), isCode('finalized', /unfinalize/));
      assert.equal(await engine.undoOffer(locked), undefined);
      await engine.unfinalize(locked);
      await assert.rejects(engine.undoRevert(locked), isCode('undo_unavailable'));
    } finally {
      await close();
    }
  });

  it('a step running when reverted comes back interrupted (ready to re-run), not running', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = (await engine.open('slow')).state.key;
      const r = await engine.submit(key, 'count', { steps: 10_000, delay: 5 });
      const running = structuredClone((await engine.get(key)).steps.count!);
      assert.equal(running.status, 'running');
      const preview = await engine.revertPreview(key, 'count');
      assert.deepEqual(preview.cleared.map((c) => [c.id, c.kind]), [['count', 'running']]);
      await engine.revert(key, 'count');
      await r.completion;

      const back = (await engine.undoRevert(key)).steps.count!;
      assert.equal(back.status, 'interrupted');
      assert.deepEqual(back.input, running.input);
      assert.equal(back.startedAt, running.startedAt);
      assert.match(back.error ?? '', /stopped by a revert/);
      // Its late result (the old execution was stopped) must not bring it back to life.
      assert.equal((await engine.get(key)).steps.count!.status, 'interrupted');

      const again = await (await engine.submit(key, 'count', { steps: 2, delay: 0 })).completion;
      assert.equal(again.steps.count!.status, 'done');
    } finally {
      await close();
    }
  });

  it('a revert preview names the steps that lose an output and how long their work took, and changes nothing', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const key = await helloDone(engine);
      const st = await engine.get(key);
      const took = Date.parse(st.steps.greeting!.finishedAt!) - Date.parse(st.steps.greeting!.startedAt!);
      const events = (await engine.store.events.forRun(key)).length;

      const toName = await engine.revertPreview(key, 'name');
      assert.deepEqual(toName.cleared, [{ id: 'greeting', number: 2, title: 'Greeting', kind: 'work', ms: took }]);
      assert.equal(toName.totalMs, took);
      assert.equal(toName.updated, st.updated);
      // The step reverted to loses its output when it has work; a step without work keeps its input.
      assert.deepEqual((await engine.revertPreview(key, 'greeting')).cleared.map((c) => c.id), ['greeting']);
      assert.deepEqual(await engine.get(key), st, 'a preview changes nothing');
      assert.equal((await engine.store.events.forRun(key)).length, events);

      await engine.revert(key, 'greeting');
      assert.deepEqual((await engine.revertPreview(key, 'name')).cleared, [], 'only step 1, which keeps its input: nothing to confirm');
      await assert.rejects(engine.revertPreview(key, 'nope'), isCode('not_found'));
      await engine.undoRevert(key);
      await engine.finalize(key);
      await assert.rejects(engine.revertPreview(key, 'name'), isCode('finalized'));
    } finally {
      await close();
    }
  });
}));
