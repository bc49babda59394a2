// Issue 5, defect 2: a revert can be undone — the cleared steps come back exactly as they were,
// artifacts included — until the run changes again; and a revert can be previewed first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Engine } from '../../src/engine/engine.ts';
import { EngineError } from '../../src/engine/errors.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import { tempEngine } from '../helpers/temp-engine.ts';

const isCode = (code: string, message?: RegExp) => (e: unknown) =>
  e instanceof EngineError && e.code === code && (!message || message.test(e.message));

async function helloDone(engine: Engine): Promise<string> {
  const key = engine.open('hello').state.key;
  await (await engine.submit(key, 'name', { name: 'Ada' })).completion;
  await (await engine.submit(key, 'greeting', { greeting: 'Hello, Ada!' })).completion;
  return key;
}

/** A widgets run up to and including the long `hash` step, which reads the uploaded artifact. */
async function widgetsDone(engine: Engine): Promise<string> {
  const key = engine.open('widgets').state.key;
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

test('undo brings the cleared steps back exactly, and the snapshot it uses is in the event log', async () => {
  const { engine, close } = await tempEngine();
  try {
    const key = await helloDone(engine);
    const before = structuredClone(engine.get(key));
    engine.revert(key, 'name');
    assert.equal(engine.get(key).steps.greeting!.status, 'pending');

    const [rev] = engine.store.events.forRun(key, 1);
    assert.equal(rev!.type, 'reverted');
    const snapshot = rev!.detail!.snapshot as { version: number; steps: { id: string; before: unknown }[] };
    assert.equal(snapshot.version, 1);
    assert.deepEqual(snapshot.steps, [{ id: 'name', before: before.steps.name }, { id: 'greeting', before: before.steps.greeting }]);

    const offer = engine.undoOffer(key);
    assert.equal(offer?.stepId, 'name');
    assert.deepEqual(offer?.restores.map((s) => [s.id, s.kind]), [['greeting', 'work']]);

    const after = engine.undoRevert(key);
    assert.deepEqual(stepsOf(after, ['name', 'greeting']), stepsOf(before, ['name', 'greeting']));
    assert.deepEqual(stepsOf(engine.get(key), ['name', 'greeting']), stepsOf(before, ['name', 'greeting']), 'as stored');
    const [undone] = engine.store.events.forRun(key, 1);
    assert.equal(undone!.type, 'revert_undone');
    assert.equal(undone!.step, 'name');
    assert.deepEqual(undone!.detail, { revert: rev!.id, steps: ['name', 'greeting'] });

    // The run goes on as if the revert never happened: it can be finalized.
    assert.ok(engine.finalize(key).finalized);
  } finally {
    close();
  }
});

test('undo restores artifacts: an uploaded file and the long step that hashed it come back with their files', async () => {
  const { engine, dataDir, close } = await tempEngine();
  try {
    const key = await widgetsDone(engine);
    const before = structuredClone(engine.get(key));
    const upload = before.steps.upload!.output as { file: { path: string; size: number } };
    engine.revert(key, 'upload');
    const reverted = engine.get(key);
    assert.equal(reverted.steps.hash!.status, 'pending');
    assert.equal(reverted.steps.hash!.output, null);

    const restored = engine.undoRevert(key);
    const later = ['upload', 'pick', 'link', 'hash'];
    assert.deepEqual(stepsOf(restored, later), stepsOf(before, later));
    assert.ok(existsSync(path.join(dataDir, upload.file.path)), 'the file the restored output refers to is there');
    assert.equal((restored.steps.hash!.output as { matchesStored: boolean }).matchesStored, true);
  } finally {
    close();
  }
});

test('undo refuses, clearly and changing nothing, when a file the cleared steps refer to is gone', async () => {
  const { engine, dataDir, close } = await tempEngine();
  try {
    const key = await widgetsDone(engine);
    const upload = engine.get(key).steps.upload!.output as { file: { path: string } };
    engine.revert(key, 'title');
    rmSync(path.join(dataDir, upload.file.path));
    const reverted = structuredClone(engine.get(key));
    const eventsBefore = engine.store.events.forRun(key).length;
    assert.throws(() => engine.undoRevert(key), isCode('artifacts_missing', new RegExp(`1 file .*missing.*${upload.file.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*run those steps again`)));
    assert.deepEqual(engine.get(key), reverted);
    assert.equal(engine.store.events.forRun(key).length, eventsBefore, 'no event for a refused undo');
  } finally {
    close();
  }
});

test('undo is possible until the next submit: a refused submit or a profile rename keeps it, an accepted submit ends it', async () => {
  const { engine, close } = await tempEngine();
  try {
    const key = await helloDone(engine);
    engine.revert(key, 'greeting');
    // A submit the engine refuses changes nothing, so undo stays available.
    await assert.rejects(engine.submit(key, 'greeting', { greeting: '' }), isCode('invalid_input'));
    engine.store.profiles.rename('default', 'other');
    assert.ok(engine.undoOffer(key), 'still on offer');

    await (await engine.submit(key, 'greeting', { greeting: 'Hi!' })).completion;
    assert.equal(engine.undoOffer(key), undefined);
    const st = structuredClone(engine.get(key));
    assert.throws(() => engine.undoRevert(key), isCode('undo_unavailable', /step "greeting" was submitted after the revert/));
    assert.deepEqual(engine.get(key), st, 'nothing changed');
    assert.deepEqual((engine.get(key).steps.greeting!.output as { greeting: string }).greeting, 'Hi!');
  } finally {
    close();
  }
});

test('undo is refused once done, after another revert only the latest is undone, and never on a finalized run', async () => {
  const { engine, close } = await tempEngine();
  try {
    const fresh = engine.open('hello').state.key;
    assert.throws(() => engine.undoRevert(fresh), isCode('undo_unavailable', /no revert to undo/));

    const key = await helloDone(engine);
    engine.revert(key, 'greeting');
    engine.revert(key, 'name');
    const afterFirst = engine.undoRevert(key);
    // The second revert is undone: back to what the first left (greeting asks for input again).
    assert.equal(afterFirst.steps.name!.status, 'done');
    assert.equal(afterFirst.steps.greeting!.status, 'pending');
    assert.deepEqual(afterFirst.steps.greeting!.input, { greeting: 'Hello, Ada!' });
    assert.throws(() => engine.undoRevert(key), isCode('undo_unavailable', /already undone/));

    const locked = await helloDone(engine);
    engine.revert(locked, 'greeting');
    engine.undoRevert(locked);
    engine.finalize(locked);
    assert.throws(() => engine.undoRevert(locked), isCode('finalized', /unfinalize/));
    assert.equal(engine.undoOffer(locked), undefined);
    engine.unfinalize(locked);
    assert.throws(() => engine.undoRevert(locked), isCode('undo_unavailable'));
  } finally {
    close();
  }
});

test('a step running when reverted comes back interrupted (ready to re-run), not running', async () => {
  const { engine, close } = await tempEngine();
  try {
    const key = engine.open('slow').state.key;
    const r = await engine.submit(key, 'count', { steps: 10_000, delay: 5 });
    const running = structuredClone(engine.get(key).steps.count!);
    assert.equal(running.status, 'running');
    const preview = engine.revertPreview(key, 'count');
    assert.deepEqual(preview.cleared.map((c) => [c.id, c.kind]), [['count', 'running']]);
    engine.revert(key, 'count');
    await r.completion;

    const back = engine.undoRevert(key).steps.count!;
    assert.equal(back.status, 'interrupted');
    assert.deepEqual(back.input, running.input);
    assert.equal(back.startedAt, running.startedAt);
    assert.match(back.error ?? '', /stopped by a revert/);
    // Its late result (the old execution was stopped) must not bring it back to life.
    assert.equal(engine.get(key).steps.count!.status, 'interrupted');

    const again = await (await engine.submit(key, 'count', { steps: 2, delay: 0 })).completion;
    assert.equal(again.steps.count!.status, 'done');
  } finally {
    close();
  }
});

test('a revert preview names the steps that lose an output and how long their work took, and changes nothing', async () => {
  const { engine, close } = await tempEngine();
  try {
    const key = await helloDone(engine);
    const st = engine.get(key);
    const took = Date.parse(st.steps.greeting!.finishedAt!) - Date.parse(st.steps.greeting!.startedAt!);
    const events = engine.store.events.forRun(key).length;

    const toName = engine.revertPreview(key, 'name');
    assert.deepEqual(toName.cleared, [{ id: 'greeting', number: 2, title: 'Greeting', kind: 'work', ms: took }]);
    assert.equal(toName.totalMs, took);
    assert.equal(toName.updated, st.updated);
    // The step reverted to loses its output when it has work; a step without work keeps its input.
    assert.deepEqual(engine.revertPreview(key, 'greeting').cleared.map((c) => c.id), ['greeting']);
    assert.deepEqual(engine.get(key), st, 'a preview changes nothing');
    assert.equal(engine.store.events.forRun(key).length, events);

    engine.revert(key, 'greeting');
    assert.deepEqual(engine.revertPreview(key, 'name').cleared, [], 'only step 1, which keeps its input: nothing to confirm');
    assert.throws(() => engine.revertPreview(key, 'nope'), isCode('not_found'));
    engine.undoRevert(key);
    engine.finalize(key);
    assert.throws(() => engine.revertPreview(key, 'name'), isCode('finalized'));
  } finally {
    close();
  }
});
