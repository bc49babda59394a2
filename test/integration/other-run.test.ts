// A step that reads another run (the link graph reads a crawl's file): the run picker lists that
// workflow's runs on the form, `ctx.otherRun` gives the run's outputs and folder, and on
// PostgreSQL a file a step rewrote in its folder reaches another machine in its newest version.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import { Registry } from '../../src/engine/registry.ts';
import { workflow } from '../../src/engine/workflow.ts';
import { startServer } from '../../src/web/server.ts';
import { runPicker, text } from '../../src/widgets/index.ts';
import { forEachBackend, type Backend } from '../helpers/backends.ts';
import { tempEngine } from '../helpers/temp-engine.ts';

/** Writes `data.db` into its folder itself (as a crawl does), plus a stray SQLite WAL file. */
const maker = workflow({ id: 'maker', title: 'Maker' }).step({
  id: 'make',
  title: 'Make',
  fields: { word: text({ label: 'Word' }) },
  run: ({ input, artifacts }) => {
    mkdirSync(artifacts.dir, { recursive: true });
    writeFileSync(path.join(artifacts.dir, 'data.db'), `made ${input.word}`);
    writeFileSync(path.join(artifacts.dir, 'data.db-wal'), 'half a transaction');
    return { word: input.word };
  },
});

const reader = workflow({ id: 'reader', title: 'Reader' }).step({
  id: 'pick',
  title: 'Pick',
  fields: { source: runPicker({ label: 'Made by', workflow: 'maker' }) },
  run: async ({ input, otherRun }) => {
    const other = await otherRun(input.source);
    if (other.workflowId !== 'maker') throw new Error(`"${other.key}" is a ${other.workflowId} run, not a maker run`);
    return { word: (other.outputs.make as { word: string }).word, file: readFileSync(path.join(other.artifactsDir, 'data.db'), 'utf8') };
  },
});

async function engineOn(backend: Backend, databaseUrl?: string): Promise<{ engine: Engine; dataDir: string; databaseUrl: string | undefined; close: () => Promise<void> }> {
  const t = await tempEngine({ backend, ...(databaseUrl ? { databaseUrl } : {}) });
  const engine = await Engine.start(t.engine.store, new Registry([maker, reader]));
  return { engine, dataDir: t.dataDir, databaseUrl: t.databaseUrl, close: async () => { await engine.shutdown(); await t.close(); } };
}

async function made(engine: Engine, word: string): Promise<string> {
  const { state } = await engine.open('maker');
  const done = await (await engine.submit(state.key, 'make', { word })).completion;
  assert.equal(done.steps.make?.status, 'done', done.steps.make?.error);
  return state.key;
}

forEachBackend((backend) => {
  describe(`reading another run (${backend})`, () => {
    it('the picker lists the runs; the step reads the chosen run; a key that names no run fails clearly', async () => {
      const a = await engineOn(backend);
      const server = await startServer({ engine: a.engine, port: 0 });
      try {
        const first = await made(a.engine, 'one');
        const second = await made(a.engine, 'two');
        const { state } = await a.engine.open('reader');

        const page = await (await fetch(`http://127.0.0.1:${server.port}/wf/reader/runs/${state.key}`)).text();
        const options = [...page.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]);
        assert.deepEqual(options.filter((o) => o !== ''), [second, first], 'newest first');

        const done = await (await a.engine.submit(state.key, 'pick', { source: first })).completion;
        assert.deepEqual(done.steps.pick?.output, { word: 'one', file: 'made one' });

        await a.engine.revert(state.key, 'pick');
        const gone = await (await a.engine.submit(state.key, 'pick', { source: 'nobody-maker-99' })).completion;
        assert.equal(gone.steps.pick?.status, 'failed');
        assert.match(gone.steps.pick?.error ?? '', /There is no run "nobody-maker-99"/);
      } finally {
        await server.close();
        await a.close();
      }
    });
  });
});

describe('a rewritten file on PostgreSQL', () => {
  it('reaches another data folder in its newest version; SQLite companions are not stored', async () => {
    const a = await engineOn('postgres');
    const b = await engineOn('postgres', a.databaseUrl);
    try {
      const key = await made(a.engine, 'one');
      const { state } = await b.engine.open('reader');
      let done = await (await b.engine.submit(state.key, 'pick', { source: key })).completion;
      assert.deepEqual(done.steps.pick?.output, { word: 'one', file: 'made one' });

      // The same file rewritten by a second run of the step (a crawl that went on).
      await a.engine.revert(key, 'make');
      await made2(a.engine, key, 'and two, longer');
      await b.engine.revert(state.key, 'pick');
      done = await (await b.engine.submit(state.key, 'pick', { source: key })).completion;
      assert.deepEqual(done.steps.pick?.output, { word: 'and two, longer', file: 'made and two, longer' });

      const stored = (await a.engine.store.artifacts.remote!.listRun(key)).map((f) => path.basename(f.path));
      assert.deepEqual(stored, ['data.db']);
      assert.equal(existsSync(path.join(b.dataDir, 'artifacts', key, 'data.db-wal')), false);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

async function made2(engine: Engine, key: string, word: string): Promise<void> {
  const done = await (await engine.submit(key, 'make', { word })).completion;
  assert.equal(done.steps.make?.status, 'done', done.steps.make?.error);
}
