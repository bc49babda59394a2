import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/engine/engine.ts';
import { loadWorkflows, type LoadError } from '../../src/engine/registry.ts';
import { watchWorkflows } from '../../src/engine/workflow-watcher.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/temp-engine.ts';

const ENGINE_API = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/engine/index.ts');
const WIDGETS_API = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/widgets/index.ts');

/** A workflow file whose one step returns `version`; `extra` adds a second step. */
function source(version: number, extra = false): string {
  return `import { workflow } from ${JSON.stringify(ENGINE_API)};
import { text } from ${JSON.stringify(WIDGETS_API)};
export default workflow({ id: 'reloady', title: 'Reloady' })
  .step({ id: 'a', title: 'A', fields: { x: text({ label: 'X' }) }, run: () => ({ version: ${version} }) })
  ${extra ? `.step({ id: 'b', title: 'B', fields: { y: text({ label: 'Y' }) } })` : ''};
`;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a saved workflow file is reloaded: reverting and running forward uses the code as it is now', async () => {
  const wfDir = tempDir('railbook-wf-');
  const data = tempDir();
  // Workflow files are ES modules; a folder outside the repository says so in its package.json.
  writeFileSync(path.join(wfDir.dir, 'package.json'), '{"type":"module"}');
  const file = path.join(wfDir.dir, 'reloady.ts');
  writeFileSync(file, source(1));
  const registry = await loadWorkflows([wfDir.dir]);
  assert.deepEqual(registry.errors, []);
  const engine = await Engine.start(await Store.open(data.dir), registry);
  try {
    const key = (await engine.open('reloady')).state.key;
    assert.deepEqual((await (await engine.submit(key, 'a', { x: 'go' })).completion).steps.a!.output, { version: 1 });

    writeFileSync(file, source(2, true));
    await registry.loadFile(file);
    assert.equal((await engine.get(key)).steps.b!.status, 'pending', 'a step added to the file shows up as pending in the existing run');
    await engine.revert(key, 'a');
    assert.deepEqual((await (await engine.submit(key, 'a', { x: 'go' })).completion).steps.a!.output, { version: 2 });

    // A broken save is reported and the last good version stays in service.
    writeFileSync(file, 'export default {{{');
    await registry.loadFile(file);
    const errors: LoadError[] = registry.errors;
    assert.deepEqual(errors.map((e) => e.file), [file]);
    assert.ok(registry.get('reloady'), 'previous version still loaded');

    // The watcher picks up the next save by itself, and clears the error.
    const reloaded: string[] = [];
    const watcher = watchWorkflows(registry, [wfDir.dir], (f) => reloaded.push(f), 20);
    try {
      writeFileSync(file, source(3, true));
      await until(() => reloaded.includes(file) && registry.errors.length === 0, 'the watcher to reload the file');
      await engine.revert(key, 'a');
      assert.deepEqual((await (await engine.submit(key, 'a', { x: 'go' })).completion).steps.a!.output, { version: 3 });
    } finally {
      watcher.close();
    }

    // A deleted file takes its workflow away; the run's data stays.
    rmSync(file);
    await registry.loadFile(file);
    assert.equal(registry.get('reloady'), undefined);
    assert.deepEqual((await engine.store.runs.get(key))!.steps.a!.output, { version: 3 });
  } finally {
    await engine.shutdown();
    await engine.store.close();
    wfDir.cleanup();
    data.cleanup();
  }
});

test('two files with one workflow id: the second is a load error, not a crash', async () => {
  const wfDir = tempDir('railbook-wf-');
  try {
    writeFileSync(path.join(wfDir.dir, 'package.json'), '{"type":"module"}');
    writeFileSync(path.join(wfDir.dir, 'one.ts'), source(1));
    writeFileSync(path.join(wfDir.dir, 'two.ts'), source(2));
    writeFileSync(path.join(wfDir.dir, '_helper.ts'), 'export const x = 1;');
    const registry = await loadWorkflows([wfDir.dir, path.join(wfDir.dir, 'missing')]);
    assert.deepEqual(registry.list().map((w) => w.id), ['reloady']);
    assert.equal(registry.errors.length, 2);
    assert.match(registry.errors[0]!.message, /two workflows have the id "reloady" \(the other is .*one\.ts\)/);
    assert.match(registry.errors[1]!.message, /no such workflows folder/);
  } finally {
    wfDir.cleanup();
  }
});

test('a file that failed on its first load loads once it is fixed', async () => {
  const wfDir = tempDir('railbook-wf-');
  try {
    writeFileSync(path.join(wfDir.dir, 'package.json'), '{"type":"module"}');
    const file = path.join(wfDir.dir, 'late.ts');
    writeFileSync(file, 'export default {{{');
    const registry = await loadWorkflows([wfDir.dir]);
    assert.equal(registry.errors.length, 1);
    writeFileSync(file, source(1));
    await registry.loadFile(file);
    assert.deepEqual(registry.errors, []);
    assert.ok(registry.get('reloady'));
  } finally {
    wfDir.cleanup();
  }
});

test('a folder can be read by another loader (notebooks): it picks its files, reloads them, and reports broken ones', async () => {
  const dir = tempDir('railbook-loader-');
  try {
    const { Registry } = await import('../../src/engine/registry.ts');
    const { workflow } = await import('../../src/engine/workflow.ts');
    // A toy format: a .steps file lists step titles, one per line.
    const loader = {
      kind: 'step list',
      accepts: (name: string) => name.endsWith('.steps'),
      async load(file: string) {
        const { readFileSync } = await import('node:fs');
        const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
        if (lines.length === 0) throw new Error('no steps in it');
        let wf = workflow({ id: path.basename(file, '.steps'), title: 'Listed' }) as ReturnType<typeof workflow>;
        lines.forEach((title, i) => (wf = wf.step({ id: `s${i + 1}`, title, fields: {} }) as unknown as typeof wf));
        return wf;
      },
    };
    writeFileSync(path.join(dir.dir, 'listed.steps'), 'One\nTwo\n');
    writeFileSync(path.join(dir.dir, 'empty.steps'), '');
    writeFileSync(path.join(dir.dir, 'ignored.ts'), 'this is not for this loader');
    const reg = new Registry();
    await reg.loadDir(dir.dir, loader);
    assert.deepEqual(reg.get('listed')?.steps.map((s) => s.title), ['One', 'Two']);
    assert.equal(reg.get('ignored'), undefined, 'files the loader does not accept are left alone');
    assert.match(reg.errors.find((e) => e.file.endsWith('empty.steps'))?.message ?? '', /no steps in it/);
    assert.equal(reg.accepts(path.join(dir.dir, 'new.steps')), true);
    assert.equal(reg.accepts(path.join(dir.dir, 'new.ts')), false, 'the folder is read by its own loader only');
    // A reload of one file goes through the same loader.
    writeFileSync(path.join(dir.dir, 'listed.steps'), 'One\nTwo\nThree\n');
    await reg.loadFile(path.join(dir.dir, 'listed.steps'));
    assert.equal(reg.get('listed')?.steps.length, 3);
  } finally {
    dir.cleanup();
  }
});
