// Job files end to end with real `railbook` processes on a temp data folder, and uploads over
// real HTTP: large values are artifact files referenced by relative path and SHA-256 (checked
// against the bytes on disk); `export` then `run --key` reproduces a widgets run with an upload;
// a bad job file exits 2 naming the field, and writes nothing at all — no run, no event, no file.
// On both backends (the runs are the store's; the artifacts stay in the data folder either way).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { JobFile } from '../../src/engine/job-file.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import type { ArtifactRef } from '../../src/store/artifact-ref.ts';
import { Store } from '../../src/store/store.ts';
import { startServer } from '../../src/web/server.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { cliData, railbookCli } from '../helpers/railbook-cli.ts';
import { tempEngine } from '../helpers/temp-engine.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The reference is a relative path inside the data folder, and the file there has exactly the recorded hash and size. */
function assertArtifact(dataDir: string, ref: ArtifactRef, key: string, bytes: Buffer, what: string): void {
  assert.equal(ref.artifact, true, what);
  assert.ok(!path.isAbsolute(ref.path) && !ref.path.split('/').includes('..'), `${what}: a relative path inside the data folder (${ref.path})`);
  assert.ok(ref.path.startsWith(`artifacts/${key}/`), `${what}: in the run's own folder (${ref.path})`);
  const onDisk = readFileSync(path.join(dataDir, ref.path));
  assert.equal(ref.sha256, sha256(onDisk), `${what}: the recorded SHA-256 is the file's`);
  assert.equal(ref.sha256, sha256(bytes), `${what}: and the bytes are the ones given`);
  assert.equal(ref.size, bytes.length, what);
}

/** A widgets job touching every step, with `upload` naming a local file. */
function widgetsJob(upload: string): JobFile {
  return {
    workflow: 'widgets',
    inputs: {
      title: { title: 'Round trip' },
      notes: { notes: '## Notes\n\n- *one*\n- **two**' },
      colour: { colour: 'green' },
      toppings: { toppings: ['olives', 'basil'] },
      size: { size: 'l' },
      level: { level: 7 },
      notify: { notify: true },
      upload: { file: upload },
      pick: { files: ['hello.txt', 'keywords.csv'] },
      link: { url: 'https://example.org/x' },
      hash: { chunkKb: 16, pauseMs: 0 },
    },
  };
}

/**
 * Replaces each artifact reference by what identifies its content (the path differs per run by
 * design). The file's name is compared separately (see the todo below).
 */
function byContent(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(byContent);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o.artifact === true) return { artifact: true, sha256: o.sha256, size: o.size };
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, byContent(x)]));
  }
  return v;
}

/** Every row and every file a job could have written. */
async function everything(dataDir: string, databaseUrl: string | undefined): Promise<unknown> {
  if (!databaseUrl && !existsSync(path.join(dataDir, 'railbook.db'))) return { db: 'none', files: [] };
  const store = await Store.open(dataDir, { databaseUrl });
  try {
    const files = existsSync(path.join(dataDir, 'artifacts')) ? readdirSync(path.join(dataDir, 'artifacts'), { recursive: true }).map(String).sort() : [];
    return {
      runs: await store.sql.all('SELECT * FROM runs ORDER BY key'),
      events: await store.sql.all('SELECT * FROM events ORDER BY id'),
      executions: await store.sql.all('SELECT * FROM executions'),
      files,
    };
  } finally {
    await store.close();
  }
}

forEachBackend((backend) => describe(`job files (${backend})`, () => {
  test('widgets with an upload: artifacts by relative path and SHA-256; export then run with a new key reproduces every input and output', { timeout: 60_000 }, async (t) => {
    const d = await cliData(backend, 'railbook-jobs-');
    const railbook = (args: string[]) => railbookCli(args, { env: d.env });
    try {
      const args = ['--data-dir', path.join(d.dir, 'data')];
      const dataDir = path.join(d.dir, 'data');
      const bytes = randomBytes(300_000);
      writeFileSync(path.join(d.dir, 'data.bin'), bytes);
      writeFileSync(path.join(d.dir, 'job.json'), JSON.stringify(widgetsJob('data.bin')));

      const first = await railbook(['run', path.join(d.dir, 'job.json'), ...args]);
      assert.equal(first.code, 0, first.stderr);
      const key = first.stdout.trim().split('\n').at(-1)!;
      assert.equal(key, 'default-widgets-01');
      const st = JSON.parse((await railbook(['state', key, ...args])).stdout) as RunState;
      assert.ok(Object.values(st.steps).every((s) => s.status === 'done'), JSON.stringify(Object.entries(st.steps).map(([k, s]) => [k, s.status])));
      const ref = (st.steps.upload!.output as { file: ArtifactRef }).file;
      assertArtifact(dataDir, ref, key, bytes, 'the upload');
      assert.equal(ref.name, 'data.bin');
      assert.deepEqual(st.steps.hash!.output, { sha256: sha256(bytes), bytes: bytes.length, chunks: Math.ceil(bytes.length / (16 * 1024)), matchesStored: true });
      assert.ok(JSON.stringify(st).length < 20_000, 'the state holds a reference, not the 300 kB');

      const exp = await railbook(['export', key, ...args]);
      assert.equal(exp.code, 0, exp.stderr);
      const exported = JSON.parse(exp.stdout) as JobFile;
      assert.deepEqual(exported.inputs.upload!.file, { path: path.join(dataDir, ref.path), name: ref.name }, 'the upload is exported as the artifact\'s local path and the person\'s file name');
      assert.deepEqual({ ...exported.inputs, upload: undefined }, { ...widgetsJob('').inputs, upload: undefined });
      writeFileSync(path.join(d.dir, 'exported.json'), exp.stdout);

      const replay = await railbook(['run', path.join(d.dir, 'exported.json'), '--key', 'widgets-again', ...args]);
      assert.equal(replay.code, 0, replay.stderr);
      assert.equal(replay.stdout.trim().split('\n').at(-1), 'widgets-again');
      const st2 = JSON.parse((await railbook(['state', 'widgets-again', ...args])).stdout) as RunState;
      assert.deepEqual(Object.keys(st2.steps), Object.keys(st.steps));
      for (const id of Object.keys(st.steps)) {
        assert.equal(st2.steps[id]!.status, 'done', id);
        assert.deepEqual(byContent(st2.steps[id]!.input), byContent(st.steps[id]!.input), `input of ${id}`);
        assert.deepEqual(byContent(st2.steps[id]!.output), byContent(st.steps[id]!.output), `output of ${id}`);
      }
      const ref2 = (st2.steps.upload!.output as { file: ArtifactRef }).file;
      assertArtifact(dataDir, ref2, 'widgets-again', bytes, 'the replayed upload');
      assert.notEqual(ref2.path, ref.path, 'the replay has its own copy');
      await t.test('the replayed upload keeps the name the person gave it', () => {
        assert.equal(ref2.name, ref.name);
        assert.deepEqual(st2.steps.upload!.input, { file: { ...ref, path: ref2.path } });
      });
      // …and the replay exports to the same job again, for its own key.
      const exp2 = JSON.parse((await railbook(['export', 'widgets-again', ...args])).stdout) as JobFile;
      assert.deepEqual({ ...exp2, key: undefined, inputs: { ...exp2.inputs, upload: undefined } }, { ...exported, key: undefined, inputs: { ...exported.inputs, upload: undefined } });
    } finally {
      await d.cleanup();
    }
  });

  test('bad job files exit 2, name the field, and write nothing: no run, no event, no artifact (not even the good upload)', { timeout: 60_000 }, async () => {
    const d = await cliData(backend, 'railbook-badjobs-');
    const railbook = (args: string[]) => railbookCli(args, { env: d.env });
    try {
      const dataDir = path.join(d.dir, 'data');
      const args = ['--data-dir', dataDir];
      writeFileSync(path.join(d.dir, 'data.bin'), randomBytes(1000));
      // One good run already there: a bad job must not touch it either.
      const hello = path.join(d.dir, 'hello.json');
      writeFileSync(hello, JSON.stringify({ workflow: 'hello', key: 'existing-hello', inputs: { name: { name: 'Ada' } } }));
      assert.equal((await railbook(['run', hello, ...args])).code, 0);
      const before = await everything(dataDir, d.databaseUrl);

      const good = widgetsJob('data.bin');
      const cases: { name: string; job: unknown; field: RegExp }[] = [
        // The upload is fine and comes first; the bad value is in a later step.
        { name: 'a bad later step', job: { ...good, inputs: { ...good.inputs, link: { url: 'not a url' } } }, field: /bad job file .*: inputs\.link\.url: Enter an address starting with http/ },
        { name: 'a list where text is expected', job: { ...good, inputs: { ...good.inputs, title: { title: ['a', 'b'] } } }, field: /inputs\.title\.title: Enter text, not a number or a list/ },
        { name: 'text where a list is expected', job: { ...good, inputs: { ...good.inputs, toppings: { toppings: 'olives' } } }, field: /inputs\.toppings\.toppings: / },
        { name: 'a number where a file path is expected', job: { ...good, inputs: { ...good.inputs, upload: { file: 42 } } }, field: /inputs\.upload\.file: / },
        { name: 'an option that does not exist', job: { ...good, inputs: { ...good.inputs, colour: { colour: 'purple' } } }, field: /inputs\.colour\.colour: / },
        { name: 'a number out of range', job: { ...good, inputs: { ...good.inputs, level: { level: 11 } } }, field: /inputs\.level\.level: / },
        { name: 'a file outside the samples folder', job: { ...good, inputs: { ...good.inputs, pick: { files: ['../package.json'] } } }, field: /inputs\.pick\.files: / },
        { name: 'a missing upload', job: { ...good, inputs: { ...good.inputs, upload: { file: 'nope.bin' } } }, field: /inputs\.upload\.file: file not found/ },
        { name: 'a key of another workflow\'s run', job: { ...good, key: 'existing-hello' }, field: /existing-hello.*belongs to workflow "hello"|key: / },
      ];
      for (const c of cases) {
        const file = path.join(d.dir, `bad-${c.name.replace(/\W+/g, '-')}.json`);
        writeFileSync(file, JSON.stringify(c.job));
        const r = await railbook(['run', file, ...args]);
        assert.equal(r.code, 2, `${c.name}: exit ${r.code}: ${r.stderr}`);
        assert.match(r.stderr, c.field, c.name);
        assert.equal(r.stdout, '', `${c.name}: no key printed`);
        assert.deepEqual(await everything(dataDir, d.databaseUrl), before, `${c.name}: nothing was written`);
      }
    } finally {
      await d.cleanup();
    }
  });

  test('an upload over HTTP is stored as an artifact whose SHA-256 and size match the bytes sent, served back byte for byte', async () => {
    const t = await tempEngine({ backend });
    const server = await startServer({ engine: t.engine, port: 0 });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(await (await fetch(`${base}/wf/widgets`)).text())![1]!;
      const key = 'upload-sha';
      await t.engine.open('widgets', { key });
      for (const [step, input] of Object.entries(widgetsJob('').inputs).slice(0, 7)) await (await t.engine.submit(key, step, input)).completion;
      const bytes = randomBytes(2 * 1024 * 1024 + 3);
      const form = new FormData();
      form.set('_csrf', csrf);
      form.set('file', new File([bytes], 'big upload (1).bin', { type: 'application/octet-stream' }));
      const r = await fetch(`${base}/wf/widgets/runs/${key}/steps/upload`, { method: 'POST', body: form, headers: { Origin: base }, redirect: 'manual' });
      assert.equal(r.status, 303, await r.text());
      const st = await t.engine.get(key);
      const ref = (st.steps.upload!.output as { file: ArtifactRef }).file;
      assertArtifact(t.dataDir, ref, key, bytes, 'the HTTP upload');
      assert.equal(ref.name, 'big upload (1).bin');
      assert.deepEqual(st.steps.upload!.input, st.steps.upload!.output, 'input and output hold the same reference');
      assert.ok((await t.engine.store.sql.get<{ n: number }>('SELECT CAST(LENGTH(state) AS INTEGER) AS n FROM runs WHERE key = ?', [key]))!.n < 20_000, 'the 2 MB are not in the state');
      const served = Buffer.from(await (await fetch(`${base}/files/${ref.path}`)).arrayBuffer());
      assert.ok(served.equals(bytes), 'served back byte for byte');
    } finally {
      await server.close();
      await t.close();
    }
  });
}));
