// The notebooks folder, watched like the workflow folders: a notebook saved there appears as a
// workflow on the home page (marked as a notebook) or reloads; a broken one shows its error (file,
// cell, problem) and nothing else is affected; fixing it brings it in. The registry's business, not
// the store's: SQLite alone.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { watchWorkflows } from '../../src/engine/workflow-watcher.ts';
import { notebookLoader } from '../../src/notebooks/notebook-loader.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { tempDir } from '../helpers/temp-engine.ts';

async function until(what: string, ok: () => boolean): Promise<void> {
  const end = Date.now() + 15_000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const GOOD = '# %% [markdown]\n# # Good notebook\n# It loads.\n\n# %%\n# First\nx = 1\n';
const BROKEN = '{"cells": [{"cell_type": "code", "source": "1", "metadata": {}, "outputs": [], "execution_count": null}, {"cell_type": "mystery", "source": "", "metadata": {}}], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}';

describe('the notebooks folder', () => {
  const dir = tempDir('railbook-notebooks-');
  let app: TestApp;
  let watcher: { close(): void };
  before(async () => {
    writeFileSync(path.join(dir.dir, 'good.py'), GOOD);
    writeFileSync(path.join(dir.dir, 'broken.ipynb'), BROKEN);
    app = await startTestApp();
    await app.engine.registry.loadDir(dir.dir, notebookLoader());
    watcher = watchWorkflows(app.engine.registry, [dir.dir], undefined, 20);
  });
  after(async () => {
    watcher?.close();
    await app?.stop();
    dir.cleanup();
  });

  it('a broken notebook is one clear error on the home page; the others load and are marked as notebooks', async () => {
    const errors = app.engine.registry.errors.filter((e) => e.file.startsWith(dir.dir));
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /broken\.ipynb, cell 1: .*mystery/);
    assert.equal(app.engine.workflow('good').title, 'Good notebook');
    const home = await (await fetch(app.base + '/')).text();
    assert.match(home, /A workflow or notebook failed to load/);
    assert.match(home, /broken\.ipynb, cell 1/);
    assert.match(home, /<span class="badge badge-notebook"[^>]*>Notebook · python3<\/span>/);
  });

  it('saving notebooks into the folder adds, reloads and repairs workflows without a restart', async () => {
    writeFileSync(path.join(dir.dir, 'added.py'), '# %%\n# Only\nprint("hi")\n');
    await until('the new notebook to appear', () => app.engine.registry.get('added') !== undefined);
    writeFileSync(path.join(dir.dir, 'good.py'), `${GOOD}\n# %%\n# Second\ny = 2\n`);
    await until('the edited notebook to reload', () => app.engine.registry.get('good')?.steps.length === 2);
    writeFileSync(path.join(dir.dir, 'broken.ipynb'), BROKEN.replace('mystery', 'markdown'));
    await until('the repaired notebook to load', () => app.engine.registry.get('broken') !== undefined);
    assert.equal(app.engine.registry.errors.filter((e) => e.file.startsWith(dir.dir)).length, 0);
  });
});
