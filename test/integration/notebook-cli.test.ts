// `railbook run <notebook>` (papermill's interface) and `railbook export <key> --ipynb`, with real
// kernels (Debian's python3 ipykernel, and xpython) on real files: parameters from -p and -f
// reaching the kernel with their types, refusals that write nothing, a failing cell and a timed-out
// one (exit 1 naming the cell), the executed notebook checked by nbformat's own validator, the
// export round trip, and the job-file round trip of a notebook in the notebooks folder.
// Most runs call the command in-process (runNotebook with captured streams): a child process adds
// only start-up time. The few that check what a shell sees use the real `railbook` binary.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { exportIpynb } from '../../src/cli/commands/export.ts';
import { parseParameterValue, runNotebook, type NotebookRunOptions } from '../../src/cli/commands/run-notebook.ts';
import { withEngine } from '../../src/cli/context.ts';
import { describeError } from '../../src/cli/errors.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import { readIpynb } from '../../src/notebooks/ipynb.ts';
import type { Notebook, NotebookCell } from '../../src/notebooks/notebook.ts';
import { railbookCli, ROOT } from '../helpers/railbook-cli.ts';
import { tempDir } from '../helpers/temp-engine.ts';

const FIXTURES = path.join(ROOT, 'test/fixtures/notebooks/run');
const PARAMS = path.join(FIXTURES, 'params.ipynb');
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  key: string;
}

/** One folder per describe: its data folder and an empty notebooks folder (no other notebook loads). */
function workspace(): { dir: string; opts: NotebookRunOptions; args: string[]; cleanup: () => void } {
  const t = tempDir('railbook-nbcli-');
  const notebooks = path.join(t.dir, 'notebooks');
  mkdirSync(notebooks);
  const opts = { dataDir: path.join(t.dir, 'data'), notebooksDir: notebooks, workflowsDir: path.join(ROOT, 'workflows') };
  return { dir: t.dir, opts, args: ['--data-dir', opts.dataDir, '--notebooks-dir', notebooks, '--workflows-dir', opts.workflowsDir], cleanup: t.cleanup };
}

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  return { stream: new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } }), text: () => text };
}

/** `railbook run <file> …` in this process: the exit code and message as main() would give them. */
async function run(file: string, opts: NotebookRunOptions): Promise<Result> {
  const out = sink();
  const err = sink();
  let code = 0;
  let message = '';
  try {
    await runNotebook(file, opts, { stdout: out.stream, stderr: err.stream });
  } catch (e) {
    const d = describeError(e);
    code = d.exitCode;
    message = d.message;
  }
  const stdout = out.text();
  return { code, stdout, stderr: err.text() + message, key: stdout.trim().split('\n').at(-1) ?? '' };
}

function assertValidNotebook(file: string): void {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import nbformat,sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `nbformat says ${file} is not a valid notebook:\n${r.stderr}`);
}

const byId = (nb: Notebook, id: string): NotebookCell => {
  const cell = nb.cells.find((c) => c.id === id);
  assert.ok(cell, `cell "${id}" in ${nb.cells.map((c) => c.id).join(', ')}`);
  return cell;
};
const streamText = (cell: NotebookCell): string =>
  cell.outputs.filter((o) => o.output_type === 'stream').map((o) => (Array.isArray(o.text) ? o.text.join('') : String(o.text))).join('');

async function runState(opts: NotebookRunOptions, key: string): Promise<RunState> {
  return withEngine(opts, async (engine) => engine.get(key), { workflows: false, warn: false });
}

/** What the kernel printed for the cell of step `step`. */
const printed = (state: RunState, step: string): string =>
  ((state.steps[step]?.output as { outputs?: { output_type: string; text?: unknown }[] } | null)?.outputs ?? [])
    .filter((o) => o.output_type === 'stream').map((o) => String(o.text)).join('');

test('-p values are read as papermill reads them', () => {
  assert.equal(parseParameterValue('5'), 5);
  assert.equal(parseParameterValue('-5'), -5);
  assert.equal(parseParameterValue('0.5'), 0.5);
  assert.equal(parseParameterValue('1e3'), 1000);
  assert.equal(parseParameterValue('True'), true);
  assert.equal(parseParameterValue('false'), false);
  assert.equal(parseParameterValue('None'), null);
  assert.equal(parseParameterValue('2024-05'), '2024-05');
  assert.equal(parseParameterValue('hello world'), 'hello world');
});

describe('railbook run <notebook>', () => {
  const w = workspace();
  after(() => w.cleanup());

  test('-p values reach the kernel with their types; -o writes the executed notebook, valid nbformat 4.5', async () => {
    const out = path.join(w.dir, 'params-out.ipynb');
    const r = await run(PARAMS, { ...w.opts, parameter: ['name', 'Ada', 'count', '5', 'ratio', '1', 'shout', 'true'], output: out });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.key, /^default-params-\d+$/);
    assertValidNotebook(out);

    const nb = await readIpynb(out);
    assert.equal(streamText(byId(nb, 'show')), "name='Ada' count=5 ratio=1.0 shout=True\nint float bool\n");
    // Every cell of the original in order, the injected cell right after the parameters cell.
    assert.deepEqual(nb.cells.map((c) => c.id), ['title', 'params', 'injected-parameters', 'show', 'pictures', 'picture', 'html', 'rawcell', 'skipped', 'last']);
    assert.deepEqual(nb.cells.map((c) => c.type), ['markdown', 'code', 'code', 'code', 'markdown', 'code', 'code', 'raw', 'code', 'code']);
    const injected = nb.cells[2]!;
    assert.deepEqual(injected.tags, ['injected-parameters']);
    assert.match(injected.source, /name = 'Ada'\ncount = 5\nratio = 1\.0\nshout = True/);
    assert.deepEqual(injected.outputs, []);
    assert.equal(injected.executionCount, null);

    const counts = ['params', 'show', 'picture', 'html', 'last'].map((id) => byId(nb, id).executionCount);
    assert.deepEqual(counts, [1, 2, 3, 4, 5]);
    // The image came back from its artifact as base64, the HTML as text, the result in place.
    const picture = byId(nb, 'picture').outputs[0] as { output_type: string; data: Record<string, unknown> };
    assert.equal(picture.output_type, 'display_data');
    assert.equal(picture.data['image/png'], PNG);
    const html = byId(nb, 'html').outputs as { output_type: string; data: Record<string, unknown> }[];
    assert.deepEqual(html[0]!.data['text/html'], ['<b>bold</b> move']);
    assert.equal(html[1]!.output_type, 'execute_result');
    assert.deepEqual(html[1]!.data['text/plain'], ['2.0']);
    // Skipped cells keep their source and nothing else; markdown and raw cells are as written.
    const skipped = byId(nb, 'skipped');
    assert.match(skipped.source, /this cell is skipped/);
    assert.deepEqual(skipped.outputs, []);
    assert.equal(skipped.executionCount, null);
    assert.equal(byId(nb, 'rawcell').source, 'raw text stays as it is');
    assert.match(byId(nb, 'title').source, /^# Run me/);
    assert.equal(streamText(byId(nb, 'last')), 'done ADA\nshell ZMQInteractiveShell\n');

    // Timing as nbclient and papermill record it.
    const meta = byId(nb, 'show').metadata as { execution: Record<string, string>; papermill: Record<string, unknown> };
    assert.ok(!Number.isNaN(Date.parse(meta.execution['iopub.execute_input']!)));
    assert.ok(Date.parse(meta.execution['shell.execute_reply']!) >= Date.parse(meta.execution['iopub.execute_input']!));
    assert.equal(meta.papermill.status, 'completed');
    assert.equal(meta.papermill.exception, false);
    assert.equal(typeof meta.papermill.duration, 'number');
    assert.deepEqual((nb.metadata.railbook as { run: string; parameters: unknown }).run, r.key);
    assert.deepEqual((nb.metadata.railbook as { parameters: unknown }).parameters, { name: 'Ada', count: 5, ratio: 1, shout: true });
  });

  test('-f reads JSON and YAML; -p wins over the file; a text parameter keeps -p text as typed', async () => {
    const json = path.join(w.dir, 'p.json');
    writeFileSync(json, JSON.stringify({ name: 'from json', count: 7, shout: true }));
    const a = await run(PARAMS, { ...w.opts, parametersFile: json, parameter: ['count', '8'] });
    assert.equal(a.code, 0, a.stderr);
    assert.match(printed(await runState(w.opts, a.key), 'show'), /^name='from json' count=8 ratio=0\.5 shout=True\n/);

    const yaml = path.join(w.dir, 'p.yaml');
    writeFileSync(yaml, 'name: from yaml\nratio: 2.5\n');
    const b = await run(PARAMS, { ...w.opts, parametersFile: yaml, parameter: ['name', '42'] });
    assert.equal(b.code, 0, b.stderr);
    assert.match(printed(await runState(w.opts, b.key), 'show'), /^name='42' count=2 ratio=2\.5 shout=False\n/);
  });

  test('a percent script runs too, each value going to the parameters cell that declares it', async () => {
    const r = await run(path.join(FIXTURES, 'greet_script.py'), { ...w.opts, parameter: ['times', '3', 'greeting', 'hi'] });
    assert.equal(r.code, 0, r.stderr);
    const state = await runState(w.opts, r.key);
    const greet = Object.keys(state.steps).at(-1)!;
    assert.equal(printed(state, greet), 'hi hi hi\n');
  });

  test('--log-output prints what the cells print, on stderr, and the key stays the last line of stdout', async () => {
    const r = await run(path.join(FIXTURES, 'greet_script.py'), { ...w.opts, logOutput: true, parameter: ['times', '2', 'greeting', 'yo'] });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^yo yo\n/m);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'stdout holds only the key');
  });

  test('the kernel, started while Railbook loads, still knows its run: key, artifacts folder, the notebook\'s folder', async () => {
    const r = await run(path.join(FIXTURES, 'env.py'), { ...w.opts });
    assert.equal(r.code, 0, r.stderr);
    const state = await runState(w.opts, r.key);
    assert.equal(printed(state, 'where_am_i'), `${r.key}\n${path.join(w.opts.dataDir!, 'artifacts', r.key)}\n${FIXTURES}\n`);
  });

  test('--kernel xpython runs the notebook in the other kernel', async () => {
    const r = await run(PARAMS, { ...w.opts, kernel: 'xpython', parameter: ['count', '9'] });
    assert.equal(r.code, 0, r.stderr);
    const state = await runState(w.opts, r.key);
    assert.equal(printed(state, 'show'), "name='world' count=9 ratio=0.5 shout=False\nint float bool\n");
    assert.equal(printed(state, 'last'), 'done world\nshell XPythonShell\n');
  });

  test('a failing cell exits 1 naming it and its error; -o is written up to and including it', async () => {
    const out = path.join(w.dir, 'fail-out.ipynb');
    const r = await run(path.join(FIXTURES, 'fail.ipynb'), { ...w.opts, output: out });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cell 3 \("Break"\) failed: ValueError: boom at 3\n/);
    assert.doesNotMatch(r.stderr, /second line/);
    assert.match(r.key, /^default-fail-\d+$/, 'the key is still printed');
    assertValidNotebook(out);
    const nb = await readIpynb(out);
    assert.equal(streamText(byId(nb, 'count')), 'counting to 3\n');
    const broke = byId(nb, 'break');
    assert.equal((broke.outputs[0] as { output_type: string; ename: string }).ename, 'ValueError');
    assert.equal((broke.metadata.papermill as { status: string; exception: boolean }).status, 'failed');
    assert.equal((broke.metadata.papermill as { exception: boolean }).exception, true);
    const never = byId(nb, 'after');
    assert.deepEqual(never.outputs, []);
    assert.equal(never.executionCount, null);
    assert.equal((never.metadata.papermill as { status: string }).status, 'pending');
  });

  test('--timeout stops a cell that runs too long: exit 1 and which cell', async () => {
    const r = await run(path.join(FIXTURES, 'slow.ipynb'), { ...w.opts, timeout: '1' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cell 1 \("Nap"\) timed out after 1 s/);
    const state = await runState(w.opts, r.key);
    assert.equal(state.steps.quick?.status, 'done');
    assert.equal(state.steps.nap?.status, 'cancelled');
  });

  test('export --ipynb gives the same executed notebook; with the notebook gone, the run\'s own code', async () => {
    const copy = path.join(w.dir, 'copy.ipynb');
    copyFileSync(PARAMS, copy);
    const out = path.join(w.dir, 'copy-out.ipynb');
    const r = await run(copy, { ...w.opts, parameter: ['name', 'Eve'], output: out });
    assert.equal(r.code, 0, r.stderr);

    // The real command, in another process: it knows the notebook only from the run.
    const exported = path.join(w.dir, 'exported.ipynb');
    const e = await railbookCli(['export', r.key, '--ipynb', '-o', exported, ...w.args]);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(readFileSync(exported, 'utf8'), readFileSync(out, 'utf8'));
    const again = await readIpynb(exported);
    assert.deepEqual(again.cells.map((c) => c.outputs), (await readIpynb(out)).cells.map((c) => c.outputs));

    const text = await withEngine(w.opts, async (engine) => {
      const { rmSync } = await import('node:fs');
      rmSync(copy);
      return exportIpynb(engine, r.key);
    }, { warn: false });
    const codeOnly = JSON.parse(text) as { cells: { cell_type: string; outputs: unknown[]; source: string[] }[] };
    assert.ok(codeOnly.cells.every((c) => c.cell_type === 'code'));
    assert.equal(codeOnly.cells.length, 7, 'six code cells and the injected one');
    assert.match(codeOnly.cells[1]!.source.join(''), /name = 'Eve'/);
    assert.deepEqual(codeOnly.cells[2]!.outputs, [{ name: 'stdout', output_type: 'stream', text: ["name='Eve' count=2 ratio=0.5 shout=False\n", 'int float bool\n'] }]);
  });

  test('export --ipynb of a run of a workflow that is not a notebook exits 2', async () => {
    const job = path.join(w.dir, 'hello.json');
    writeFileSync(job, JSON.stringify({ workflow: 'hello', inputs: { name: { name: 'x' } } }));
    const ran = await railbookCli(['run', job, ...w.args]);
    if (ran.code !== 0) return assert.fail(ran.stderr);
    const key = ran.stdout.trim();
    const e = await railbookCli(['export', key, '--ipynb', ...w.args]);
    assert.equal(e.code, 2);
    assert.match(e.stderr, new RegExp(`run ${key} is a run of workflow hello, which is not a notebook`));
  });
});

describe('refusals write nothing', () => {
  const w = workspace();
  after(() => w.cleanup());
  const out = () => path.join(w.dir, 'never.ipynb');

  test('an unknown parameter exits 2 naming it and the notebook\'s parameters', async () => {
    const r = await run(PARAMS, { ...w.opts, parameter: ['nmae', 'x', 'count', '3'], output: out() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /params\.ipynb has no parameter "nmae" \(its parameters: name, count, ratio, shout\)/);
  });

  test('a value the field refuses exits 2 naming the parameter', async () => {
    const r = await run(PARAMS, { ...w.opts, parameter: ['count', '0.5'], output: out() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /parameter count: /);
  });

  test('-p on a job file is bad usage, and a broken notebook is the reader\'s message', async () => {
    const job = path.join(w.dir, 'job.json');
    writeFileSync(job, JSON.stringify({ workflow: 'hello', inputs: {} }));
    const r = await railbookCli(['run', job, '-p', 'a', '1', ...w.args]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /-p: only for notebooks/);
    const bad = await run(path.join(ROOT, 'test/fixtures/notebooks/ipynb/truncated.ipynb'), w.opts);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /truncated\.ipynb/);
  });

  test('no run, no output file', async () => {
    assert.equal(existsSync(out()), false);
    const runs = await railbookCli(['runs', '--json', '--all', ...w.args]);
    assert.equal(runs.code, 0, runs.stderr);
    assert.deepEqual(JSON.parse(runs.stdout), []);
  });
});

describe('a notebook in the notebooks folder round-trips through a job file', () => {
  const w = workspace();
  before(() => copyFileSync(PARAMS, path.join(w.opts.notebooksDir!, 'params.ipynb')));
  after(() => w.cleanup());

  test('railbook export <key> then railbook run job.json replays the parameters', async () => {
    const r = await run(path.join(w.opts.notebooksDir!, 'params.ipynb'), { ...w.opts, parameter: ['name', 'Job', 'count', '4'] });
    assert.equal(r.code, 0, r.stderr);
    const exported = await railbookCli(['export', r.key, ...w.args]);
    assert.equal(exported.code, 0, exported.stderr);
    const job = JSON.parse(exported.stdout) as { workflow: string; inputs: Record<string, Record<string, unknown>> };
    assert.equal(job.workflow, 'params');
    assert.deepEqual(job.inputs.params, { name: 'Job', count: 4, ratio: 0.5, shout: false });
    const file = path.join(w.dir, 'job.json');
    writeFileSync(file, exported.stdout);
    const replay = await railbookCli(['run', file, '--key', 'default-params-again', ...w.args]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.equal(replay.stdout.trim(), 'default-params-again');
    const state = await runState(w.opts, 'default-params-again');
    assert.equal(printed(state, 'show'), "name='Job' count=4 ratio=0.5 shout=False\nint float bool\n");
  });
});
