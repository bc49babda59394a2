// With PostgreSQL, artifacts live in the database too: a process with another data folder (a worker
// on another machine) gets a file another process wrote, needing nothing but the database URL.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import { Registry } from '../../src/engine/registry.ts';
import { workflow } from '../../src/engine/workflow.ts';
import type { ArtifactRef } from '../../src/store/artifact-ref.ts';
import { text } from '../../src/widgets/index.ts';
import { startServer } from '../../src/web/server.ts';
import { tempEngine } from '../helpers/temp-engine.ts';

/** Writes an artifact through the API and one file straight into the run's folder (as a notebook cell does). */
const files = workflow({ id: 'files', title: 'Files' })
  .step({
    id: 'make',
    title: 'Make files',
    fields: { word: text({ label: 'Word' }) },
    run: async ({ input, artifacts }) => {
      mkdirSync(artifacts.dir, { recursive: true });
      writeFileSync(path.join(artifacts.dir, 'direct.txt'), `direct ${input.word}\n`);
      return { ref: await artifacts.write('report.txt', `report ${input.word}\n`.repeat(300_000), 'text/plain') };
    },
  })
  .step({
    id: 'read',
    title: 'Read them',
    fields: {},
    run: ({ outputs, artifacts }) => {
      const ref = (outputs.make as { ref: ArtifactRef }).ref;
      return { bytes: readFileSync(artifacts.resolve(ref)).length, direct: readFileSync(path.join(artifacts.dir, 'direct.txt'), 'utf8') };
    },
  });

async function engineOn(databaseUrl: string | undefined, dataDir?: string): Promise<{ engine: Engine; dataDir: string; databaseUrl: string; close: () => Promise<void> }> {
  const t = await tempEngine({ backend: 'postgres', ...(databaseUrl ? { databaseUrl } : {}), ...(dataDir ? { dataDir } : {}) });
  const engine = await Engine.start(t.engine.store, new Registry([files]));
  return { engine, dataDir: t.dataDir, databaseUrl: t.databaseUrl!, close: async () => { await engine.shutdown(); await t.close(); } };
}

describe('artifacts in PostgreSQL', () => {
  it('a process with its own data folder reads, serves and re-runs from files another process wrote; deleting the run removes them', async () => {
    const a = await engineOn(undefined);
    // Another machine: same database, a data folder of its own.
    const b = await engineOn(a.databaseUrl);
    try {
      assert.notEqual(a.dataDir, b.dataDir);
      const { state } = await a.engine.open('files');
      const done = await (await a.engine.submit(state.key, 'make', { word: 'hi' })).completion;
      assert.equal(done.steps.make?.status, 'done', done.steps.make?.error);
      const ref = (done.steps.make!.output as { ref: ArtifactRef }).ref;
      const original = readFileSync(path.join(a.dataDir, ref.path));
      assert.ok(original.length > 2 * (1 << 20), 'the file spans several 1 MB pieces');
      assert.equal(existsSync(path.join(b.dataDir, ref.path)), false, 'not in the other folder yet');

      // The other process runs the next step: the files come to its folder first.
      await b.engine.store.artifacts.pullRun(state.key);
      const copied = readFileSync(path.join(b.dataDir, ref.path));
      assert.equal(createHash('sha256').update(copied).digest('hex'), ref.sha256);
      const after = await (await b.engine.submit(state.key, 'read', {})).completion;
      assert.deepEqual(after.steps.read?.output, { bytes: original.length, direct: 'direct hi\n' });

      // A third folder's web server fetches the file on first download.
      const c = await engineOn(a.databaseUrl);
      const server = await startServer({ engine: c.engine, port: 0 });
      try {
        const res = await fetch(`http://127.0.0.1:${server.port}/files/${ref.path}`);
        assert.equal(res.status, 200);
        assert.equal(createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex'), ref.sha256);
      } finally {
        await server.close();
        await c.close();
      }

      await a.engine.deleteRun(state.key);
      const left = await a.engine.store.sql.get<{ n: number }>('SELECT CAST(COUNT(*) AS INTEGER) AS n FROM artifact_chunks');
      const rows = await a.engine.store.sql.get<{ n: number }>('SELECT CAST(COUNT(*) AS INTEGER) AS n FROM artifact_files');
      assert.deepEqual([left?.n, rows?.n], [0, 0]);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
