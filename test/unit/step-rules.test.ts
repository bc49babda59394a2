// Engine rules the issue names that had no test: "keep my value when an earlier step is reverted",
// and "large outputs are artifact files referenced by relative path and SHA-256" (a step that
// returns megabytes inline fails clearly; one that writes an artifact stores a checked reference).
// Real engine on a real database (a SQLite file, or PostgreSQL) and an artifacts folder in a temp dir.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import { Registry } from '../../src/engine/registry.ts';
import { workflow } from '../../src/engine/workflow.ts';
import type { ArtifactRef } from '../../src/store/artifact-ref.ts';
import { range, text } from '../../src/widgets/index.ts';
import { forEachBackend, type Backend } from '../helpers/backends.ts';
import { tempEngine } from '../helpers/temp-engine.ts';

const keeps = workflow({ id: 'keeps', title: 'Keeps' })
  .step({ id: 'topic', title: 'Topic', fields: { topic: text({ label: 'Topic' }) } })
  .step({
    id: 'style',
    title: 'Style',
    fields: { style: text({ label: 'Style' }) },
    suggest: ({ outputs }) => ({ style: `plain, about ${outputs.topic.topic}` }),
    keepOnRevert: true,
  })
  .step({
    id: 'draft',
    title: 'Draft',
    fields: { words: range({ label: 'Words', min: 1, max: 100, initial: 10 }) },
    run: ({ input, outputs }) => ({ text: `${outputs.style.style}: ${input.words} words on ${outputs.topic.topic}` }),
  });

const big = workflow({ id: 'big', title: 'Big outputs' })
  .step({
    id: 'inline',
    title: 'Inline',
    fields: { kb: range({ label: 'KiB', min: 1, max: 5000, initial: 1 }) },
    run: ({ input }) => ({ data: 'x'.repeat(input.kb * 1024) }),
  })
  .step({
    id: 'stored',
    title: 'Stored',
    fields: { kb: range({ label: 'KiB', min: 1, max: 5000, initial: 1 }) },
    run: async ({ input, artifacts }) => ({ table: await artifacts.write('table.csv', 'a,b\n'.repeat(input.kb * 256), 'text/csv') }),
  })
  .step({ id: 'odd', title: 'Not JSON', fields: {}, run: () => ({ n: 10n }) });

/** An engine over just these workflows, on a fresh store (the temp engine owns the store). */
async function engineWith(backend: Backend, wfs: ConstructorParameters<typeof Registry>[0]): Promise<{ engine: Engine; dataDir: string; close: () => Promise<void> }> {
  const t = await tempEngine({ backend });
  const engine = await Engine.start(t.engine.store, new Registry(wfs));
  return { engine, dataDir: t.dataDir, close: async () => { await engine.shutdown(); await t.close(); } };
}

forEachBackend((backend) => describe(`step rules (${backend})`, () => {
  it('revert clears every later step, but a keep-on-revert step keeps its input (pre-filled instead of the suggestion)', async () => {
    const { engine, close } = await engineWith(backend, [keeps]);
    try {
      const key = (await engine.open('keeps')).state.key;
      await (await engine.submit(key, 'topic', { topic: 'tea' })).completion;
      assert.deepEqual(engine.formValues(await engine.get(key), 'style'), { style: 'plain, about tea' });
      await (await engine.submit(key, 'style', { style: 'my own style' })).completion;
      await (await engine.submit(key, 'draft', { words: 42 })).completion;
      assert.deepEqual((await engine.get(key)).steps.draft!.output, { text: 'my own style: 42 words on tea' });

      const st = await engine.revert(key, 'topic');
      for (const id of ['topic', 'style', 'draft']) {
        assert.equal(st.steps[id]!.status, 'pending', id);
        assert.equal(st.steps[id]!.output, null, `${id}: its output is cleared`);
      }
      assert.deepEqual(st.steps.topic!.input, { topic: 'tea' }, 'the step reverted to keeps its input to edit');
      assert.deepEqual(st.steps.style!.input, { style: 'my own style' }, 'keep-on-revert keeps the value');
      assert.equal(st.steps.draft!.input, null, 'an ordinary later step is cleared');

      // Going forward again: the kept value is offered, not the suggestion from the new topic.
      await (await engine.submit(key, 'topic', { topic: 'coffee' })).completion;
      assert.deepEqual(engine.formValues(await engine.get(key), 'style'), { style: 'my own style' });
      assert.deepEqual(engine.formValues(await engine.get(key), 'draft'), { words: 10 }, 'the cleared step is back to its defaults');
      await (await engine.submit(key, 'style', engine.formValues(await engine.get(key), 'style'))).completion;
      await (await engine.submit(key, 'draft', { words: 5 })).completion;
      assert.deepEqual((await engine.get(key)).steps.draft!.output, { text: 'my own style: 5 words on coffee' }, 'later steps run on the new values');
    } finally {
      await close();
    }
  });

  it('a step returning megabytes inline fails with a message that says to use an artifact; nothing else is lost', async () => {
    const { engine, close } = await engineWith(backend, [big]);
    try {
      const key = (await engine.open('big')).state.key;
      const small = await (await engine.submit(key, 'inline', { kb: 4 })).completion;
      assert.equal(small.steps.inline!.status, 'done');
      await engine.revert(key, 'inline');
      const st = await (await engine.submit(key, 'inline', { kb: 2000 })).completion;
      assert.equal(st.steps.inline!.status, 'failed');
      assert.match(st.steps.inline!.error!, /step "inline" returned \d+ bytes of output; write large data with ctx\.artifacts\.write\(\)/);
      const stored = (await engine.store.sql.get<{ n: number }>('SELECT CAST(length(state) AS INTEGER) AS n FROM runs WHERE key = ?', [key]))!.n;
      assert.ok(stored < 10_000, `the state stays small (${stored} bytes)`);
      // Retry with less: fine.
      assert.equal((await (await engine.submit(key, 'inline', { kb: 1 })).completion).steps.inline!.status, 'done');
    } finally {
      await close();
    }
  });

  it('a step that writes an artifact returns a reference: relative path in the run\'s folder, SHA-256 and size of the file on disk', async () => {
    const { engine, dataDir, close } = await engineWith(backend, [big]);
    try {
      const key = (await engine.open('big')).state.key;
      await (await engine.submit(key, 'inline', { kb: 1 })).completion;
      const st = await (await engine.submit(key, 'stored', { kb: 3000 })).completion;
      assert.equal(st.steps.stored!.status, 'done', st.steps.stored!.error);
      const ref = (st.steps.stored!.output as { table: ArtifactRef }).table;
      assert.equal(ref.artifact, true);
      assert.match(ref.path, new RegExp(`^artifacts/${key}/[0-9a-f]{12}-table\\.csv$`));
      const bytes = readFileSync(path.join(dataDir, ref.path));
      assert.equal(bytes.length, 3000 * 1024);
      assert.equal(ref.size, bytes.length);
      assert.equal(ref.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.equal(ref.sha256.slice(0, 12), path.basename(ref.path).slice(0, 12));
      assert.equal(ref.mime, 'text/csv');
      assert.ok(JSON.stringify(await engine.get(key)).length < 10_000, 'the 3 MB are in the file, not the state');

      const odd = await (await engine.submit(key, 'odd', {})).completion;
      assert.equal(odd.steps.odd!.status, 'failed');
      assert.match(odd.steps.odd!.error!, /returned a value that is not JSON/);
      assert.equal((await engine.get(key)).steps.stored!.status, 'done', 'earlier steps are intact');
    } finally {
      await close();
    }
  });
}));
