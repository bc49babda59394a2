import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runJob } from '../../src/engine/job-runner.ts';
import { exportJob } from '../../src/engine/job-file.ts';
import { tempEngine } from '../helpers/temp-engine.ts';

test('widgets workflow runs headlessly end to end; the long step hashes the upload in chunks', async () => {
  const { engine, dataDir, close } = await tempEngine();
  try {
    const upload = path.join(dataDir, 'input.bin');
    const bytes = Buffer.alloc(300_000, 7);
    writeFileSync(upload, bytes);
    const progress: number[] = [];
    const res = await runJob(engine, {
      workflow: 'widgets',
      inputs: {
        title: { title: 'Demo' },
        notes: { notes: '# Hi' },
        colour: { colour: 'green' },
        toppings: { toppings: ['olives', 'cheese'] },
        size: { size: 'm' },
        level: { level: 7 },
        notify: { notify: true },
        upload: { file: upload },
        pick: { files: ['keywords.csv', 'hello.txt'] },
        link: { url: 'https://example.org/' },
        hash: { chunkKb: 64, pauseMs: 0 },
      },
    }, { observer: { onProgress: (e) => progress.push(e.progress.done) } });
    assert.equal(res.failed, undefined);
    const st = res.state;
    const sha = createHash('sha256').update(bytes).digest('hex');
    assert.deepEqual(st.steps.hash!.output, { sha256: sha, bytes: 300_000, chunks: 5, matchesStored: true });
    assert.ok(progress.length >= 5, 'progress reported per chunk');
    assert.deepEqual(st.steps.toppings!.output, { toppings: ['olives', 'cheese'] });
    assert.deepEqual((st.steps.pick!.output as { files: { name: string; lines: number }[] }).files.map((f) => [f.name, f.lines]), [['keywords.csv', 4], ['hello.txt', 3]]);
    // The upload is an artifact referenced by path and hash, not bytes in the state.
    const ref = st.steps.upload!.input!.file as { path: string; sha256: string };
    assert.equal(ref.sha256, sha);
    assert.ok(!JSON.stringify(st).includes('\u0007'));
    // Export names the upload by its local path (and keeps the person's file name), so the job re-runs.
    const job = await exportJob(engine, st.key);
    assert.deepEqual(job.inputs.upload!.file, { path: path.join(dataDir, ref.path), name: 'input.bin' });
    const again = await runJob(engine, job, { key: 'replay' });
    assert.equal(again.failed, undefined);
    assert.deepEqual(again.state.steps.hash!.output, st.steps.hash!.output);
    assert.equal((again.state.steps.upload!.input!.file as { name: string }).name, 'input.bin');
  } finally {
    await close();
  }
});
