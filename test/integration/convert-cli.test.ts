// `railbook convert` end to end: the real command writes a workflow file, `railbook run` runs it
// headlessly in a real python3 kernel (Debian's ipykernel, installed by .ci/run), and each step's
// outputs match a run of the notebook itself through the engine with the same inputs.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import { runJob } from '../../src/engine/job-runner.ts';
import { Registry } from '../../src/engine/registry.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import { isCellOutput } from '../../src/notebooks/cell-output.ts';
import { loadNotebookWorkflow } from '../../src/notebooks/notebook-loader.ts';
import { Store } from '../../src/store/store.ts';
import { ROOT, railbookCli } from '../helpers/railbook-cli.ts';

const NOTEBOOK = path.join(ROOT, 'notebooks', 'hello_world.ipynb');
const tmp = mkdtempSync(path.join(tmpdir(), 'railbook-convert-cli-'));
const workflows = path.join(tmp, 'workflows');
const converted = path.join(workflows, 'hello_world.ts');
/** No notebooks folder is read: the notebook and its conversion share the id "hello_world". */
const noNotebooks = path.join(tmp, 'no-notebooks');
mkdirSync(noNotebooks);
after(() => rmSync(tmp, { recursive: true, force: true }));

const dirs = ['--workflows-dir', workflows, '--notebooks-dir', noNotebooks];
const job = { workflow: 'hello_world', inputs: { parameters: { name: 'Ada', greeting: 'Hola', times: 2, shout: true } } };

/** What a person reads of each step: its status, what it printed, and its result as text. */
function seen(state: RunState) {
  return Object.fromEntries(
    Object.entries(state.steps).map(([id, s]) => {
      const out = s.output;
      assert.ok(isCellOutput(out), `step ${id} has a cell output (${s.status}: ${s.error ?? ''})`);
      const text = (mime: string) => out.outputs.flatMap((o) => (o.output_type !== 'stream' && 'data' in o && typeof o.data[mime] === 'string' ? [o.data[mime]] : []));
      return [id, {
        status: s.status,
        cell: out.status,
        stdout: out.outputs.map((o) => (o.output_type === 'stream' && o.name === 'stdout' ? o.text : '')).join(''),
        results: out.outputs.filter((o) => o.output_type === 'execute_result').map((o) => ('data' in o ? o.data['text/plain'] : undefined)),
        markdown: text('text/markdown'),
        values: out.values,
      }];
    }),
  );
}

describe('railbook convert', () => {
  before(async () => {
    const r = await railbookCli(['convert', NOTEBOOK, '-o', converted, ...dirs]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Wrote .*hello_world\.ts\n$/);
  });

  test('writes a workflow file that railbook lists beside the others, with the notebook\'s steps', async () => {
    const source = readFileSync(converted, 'utf8');
    assert.match(source, /^export default workflow\(\{$/m);
    assert.equal(source.match(/^ {2}\.step\(\{$/gm)?.length, 3);
    const r = await railbookCli(['workflows', ...dirs]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello_world/);
    assert.doesNotMatch(r.stderr, /not loaded/);
  });

  test('runs headlessly in python3 and shows what the notebook itself shows', async () => {
    const jobFile = path.join(tmp, 'job.json');
    writeFileSync(jobFile, JSON.stringify(job));
    const dataDir = path.join(tmp, 'data-converted');
    const r = await railbookCli(['run', jobFile, '--data-dir', dataDir, ...dirs]);
    assert.equal(r.code, 0, r.stderr);
    const key = r.stdout.trim().split('\n').at(-1)!;

    // The run, read back from its data folder with the converted file loaded.
    const registry = new Registry();
    await registry.loadDir(workflows);
    assert.deepEqual(registry.errors, []);
    const read = await Engine.start(await Store.open(dataDir), registry);
    let convertedRun: RunState;
    try {
      convertedRun = await read.get(key);
    } finally {
      await read.shutdown();
      await read.store.close();
    }

    // The notebook itself, through the same engine operations, with the same inputs.
    const nbData = path.join(tmp, 'data-notebook');
    const nbRegistry = new Registry();
    nbRegistry.add(await loadNotebookWorkflow(NOTEBOOK));
    const engine = await Engine.start(await Store.open(nbData), nbRegistry);
    let notebookRun: RunState;
    try {
      const res = await runJob(engine, job);
      assert.equal(res.failed, undefined, JSON.stringify(res.failed));
      notebookRun = res.state;
    } finally {
      await engine.shutdown();
      await engine.store.close();
    }

    const ours = seen(convertedRun);
    assert.deepEqual(ours, seen(notebookRun));
    // And what it shows is what the notebook's code does with these values.
    assert.equal(ours.greet?.stdout, 'HOLA, ADA!\nHOLA, ADA!\n');
    assert.match(String(ours.rich?.results[0]), /'characters': 10/);
    assert.deepEqual(ours.parameters?.values, { name: 'Ada', greeting: 'Hola', times: 2, shout: true });
  });

  test('refuses to overwrite the file without --force, and overwrites it with', async () => {
    writeFileSync(converted, readFileSync(converted, 'utf8') + '// my edit\n');
    const r = await railbookCli(['convert', NOTEBOOK, '-o', converted, ...dirs]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /already exists; add --force to overwrite it/);
    assert.match(readFileSync(converted, 'utf8'), /\/\/ my edit\n$/, 'the edited file is untouched');
    const forced = await railbookCli(['convert', NOTEBOOK, '-o', converted, '--force', ...dirs]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.doesNotMatch(readFileSync(converted, 'utf8'), /my edit/);
  });

  test('a bad notebook is exit 2 with the reader\'s message, and nothing is written', async () => {
    const bad = path.join(tmp, 'broken.ipynb');
    writeFileSync(bad, '{ "cells": [');
    const out = path.join(tmp, 'elsewhere', 'broken.ts');
    const r = await railbookCli(['convert', bad, '-o', out, ...dirs]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^railbook: .*broken\.ipynb: not valid JSON/m);
    assert.equal(existsSync(out), false);
    const missing = await railbookCli(['convert', path.join(tmp, 'nope.ipynb'), ...dirs]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.ipynb: cannot be read: no such file/);
  });

  test('-o - prints the file instead of writing it', async () => {
    const r = await railbookCli(['convert', NOTEBOOK, '-o', '-', ...dirs]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^export default workflow\(\{$/m);
    assert.match(r.stdout, /\.\.\.nb\.parameters\('parameters', 'Who to greet', `name = "World"/);
  });

  test('without -o, the file goes into the first workflows folder, named by the notebook\'s id', async () => {
    const first = path.join(tmp, 'first');
    const r = await railbookCli(['convert', NOTEBOOK, '--workflows-dir', first, '--notebooks-dir', noNotebooks]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(path.join(first, 'hello_world.ts')), true);
  });

  test('refuses an id another workflow file of the folders already has', async () => {
    const other = path.join(tmp, 'other');
    const r = await railbookCli(['convert', NOTEBOOK, '--workflows-dir', `${other}${path.delimiter}${workflows}`, '--notebooks-dir', noNotebooks]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /a workflow with the id "hello_world" already exists in another file/);
    assert.equal(existsSync(path.join(other, 'hello_world.ts')), false);
  });
});
