// The `railbook` command as a person or a script uses it: real processes (`node bin/railbook.js`),
// a real data folder in a temp dir, the real server. No mocks. The tests of runs and profiles run
// on both backends (PostgreSQL given with --database); the others concern the command alone.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobFile } from '../../src/engine/job-file.ts';
import { runJob } from '../../src/engine/job-runner.ts';
import type { RunState } from '../../src/engine/run-state.ts';
import { importPath } from '../../src/cli/commands/new.ts';
import { FIXTURE_WORKFLOWS_DIR, tempEngine } from '../helpers/temp-engine.ts';
import { forEachBackend, type Backend } from '../helpers/backends.ts';
import { BIN, cleanEnv, cliData, ROOT } from '../helpers/railbook-cli.ts';

const BUILTIN = path.join(ROOT, 'workflows');
const WITH_FIXTURES = [BUILTIN, FIXTURE_WORKFLOWS_DIR].join(path.delimiter);

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: cleanEnv(opts.env) });
}

function finish(child: ChildProcessWithoutNullStreams): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function railbook(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return finish(start(args, opts));
}

interface DataDir {
  dir: string;
  /** The PostgreSQL database, on that backend. */
  databaseUrl: string | undefined;
  /** The arguments that point the CLI at the store: `--data-dir`, and `--database` on PostgreSQL. */
  at: string[];
  /** `at` plus the fixture workflows. */
  args: string[];
  cleanup: () => Promise<void>;
}

/** A fresh data folder (and, on PostgreSQL, a fresh database), and the arguments that point the CLI at them. */
async function dataDir(backend: Backend = 'sqlite'): Promise<DataDir> {
  const d = await cliData(backend);
  const at = ['--data-dir', d.dir, ...(d.databaseUrl ? ['--database', d.databaseUrl] : [])];
  return { dir: d.dir, databaseUrl: d.databaseUrl, at, args: [...at, '--workflows-dir', WITH_FIXTURES], cleanup: d.cleanup };
}

function writeJob(dir: string, name: string, job: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof job === 'string' ? job : JSON.stringify(job, null, 2));
  return file;
}

function lastLine(s: string): string {
  return s.trimEnd().split('\n').at(-1) ?? '';
}

async function runCount(args: string[]): Promise<number> {
  const r = await railbook(['runs', '--json', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as unknown[]).length;
}

async function state(key: string, args: string[]): Promise<RunState> {
  const r = await railbook(['state', key, ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as RunState;
}

test('workflows lists hello (and the fixtures when their folder is added); load errors go to stderr', async () => {
  const d = await dataDir();
  try {
    const plain = await railbook(['workflows', '--data-dir', d.dir]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^ID\s+TITLE\s+STEPS$/m);
    assert.match(plain.stdout, /^hello\s+Hello\s+2$/m);
    assert.doesNotMatch(plain.stdout, /^slow /m);

    const both = await railbook(['workflows', '--json', ...d.args]);
    const list = JSON.parse(both.stdout) as { id: string; title: string; steps: number }[];
    assert.deepEqual(list.find((w) => w.id === 'slow'), { id: 'slow', title: 'Slow (test fixture)', steps: 2 });

    // The env var works like the flag.
    const env = await railbook(['workflows', '--json', '--data-dir', d.dir], { env: { RAILBOOK_WORKFLOWS_DIR: WITH_FIXTURES } });
    assert.ok((JSON.parse(env.stdout) as { id: string }[]).some((w) => w.id === 'slow'));

    // A broken file is reported on stderr; the others still load.
    const broken = path.join(d.dir, 'broken-workflows');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'package.json'), '{"type":"module"}');
    writeFileSync(path.join(broken, 'oops.ts'), 'export default 42;\n');
    const r = await railbook(['workflows', '--data-dir', d.dir, '--workflows-dir', [BUILTIN, broken].join(path.delimiter)]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^hello /m);
    assert.match(r.stderr, /oops\.ts: its default export is not a workflow/);
  } finally {
    await d.cleanup();
  }
});

test('--help on every command, with examples', async () => {
  for (const cmd of [[], ['serve'], ['workflows'], ['runs'], ['run'], ['export'], ['state'], ['new'], ['profiles'], ['convert'], ['backup'], ['restore']]) {
    const r = await railbook([...cmd, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: railbook/);
    assert.match(r.stdout, /Examples:/, cmd.join(' '));
  }
  const v = await railbook(['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
});

test('new writes a workflow that loads and runs; refuses to overwrite or a bad id', async () => {
  const d = await dataDir();
  try {
    const wfDir = path.join(d.dir, 'my-workflows');
    // No notebooks either: the list below is exactly what `new` added.
    const nbDir = path.join(d.dir, 'my-notebooks');
    mkdirSync(nbDir);
    const args = ['--data-dir', d.dir, '--workflows-dir', wfDir, '--notebooks-dir', nbDir];
    const r = await railbook(['new', 'weekly_report', '--title', 'Weekly "report"', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const file = path.join(wfDir, 'weekly_report.ts');
    assert.match(r.stdout, /Created .*weekly_report\.ts/);
    const source = readFileSync(file, 'utf8');
    assert.match(source, /id: 'weekly_report'/);
    assert.match(source, /title: "Weekly \\"report\\""/);
    // A folder outside the repository gets told its .ts files are ES modules.
    assert.deepEqual(JSON.parse(readFileSync(path.join(wfDir, 'package.json'), 'utf8')), { private: true, type: 'module' });

    const list = await railbook(['workflows', '--json', ...args]);
    assert.equal(list.stderr, '');
    assert.deepEqual(JSON.parse(list.stdout), [{ id: 'weekly_report', title: 'Weekly "report"', steps: 3 }]);

    // With the defaults only, and with given inputs.
    const job = writeJob(d.dir, 'weekly.json', { workflow: 'weekly_report', inputs: { topic: { topic: 'tea', count: 4 }, items: { pause: 0 } } });
    const run = await railbook(['run', job, ...args]);
    assert.equal(run.code, 0, run.stderr);
    const st = await state(lastLine(run.stdout), args);
    assert.deepEqual(Object.values(st.steps).map((s) => s.status), ['done', 'done', 'done']);
    assert.equal((st.steps.items!.output as { rows: unknown[] }).rows.length, 4);
    assert.deepEqual(st.steps.summary!.output, { summary: 'Made 4 items about tea.' });
    const defaults = await railbook(['run', writeJob(d.dir, 'defaults.json', { workflow: 'weekly_report', inputs: {} }), ...args]);
    assert.equal(defaults.code, 0, defaults.stderr);

    // The template type-checks under the project's strict settings, and its typed `outputs`
    // turn a typo into a compile error (as its comments promise).
    writeFileSync(path.join(d.dir, 'tsconfig.json'), JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.json'),
      compilerOptions: { typeRoots: [path.join(ROOT, 'node_modules', '@types')] },
      include: [file],
    }));
    const tsc = (): Promise<Result> => finish(spawn(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', path.join(d.dir, 'tsconfig.json')], { cwd: d.dir, env: cleanEnv() }));
    const clean = await tsc();
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    writeFileSync(file, source.replace('outputs.topic.topic}.', 'outputs.topic.topc}.'));
    const typo = await tsc();
    assert.notEqual(typo.code, 0);
    assert.match(typo.stdout, /Property 'topc' does not exist/);
    writeFileSync(file, source);

    const again = await railbook(['new', 'weekly_report', ...args]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; add --force/);
    assert.equal(readFileSync(file, 'utf8'), source, 'not overwritten');
    writeFileSync(file, '// edited\n');
    const forced = await railbook(['new', 'weekly_report', '--force', ...args]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(readFileSync(file, 'utf8'), /id: 'weekly_report'/);

    for (const bad of ['Weekly', 'weekly-report', '9lives']) {
      const b = await railbook(['new', bad, ...args]);
      assert.equal(b.code, 2, bad);
      assert.match(b.stderr, /must be lower-case letters, digits or "_"/);
      assert.equal(existsSync(path.join(wfDir, `${bad}.ts`)), false);
    }
    // An id another file already uses.
    const dup = await railbook(['new', 'hello', '--data-dir', d.dir, '--workflows-dir', [wfDir, BUILTIN].join(path.delimiter)]);
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /"hello" already exists in another file/);
  } finally {
    await d.cleanup();
  }
});

test('a job\'s upload paths are relative to the job file\'s folder; export then run copies the file again', async () => {
  const d = await dataDir();
  try {
    const wfDir = path.join(d.dir, 'wf');
    mkdirSync(wfDir);
    writeFileSync(path.join(wfDir, 'package.json'), '{"type":"module"}');
    writeFileSync(path.join(wfDir, 'files.ts'), `
import { workflow } from '${importPath(wfDir, path.join(ROOT, 'src/engine/index.ts'))}';
import { fileUpload } from '${importPath(wfDir, path.join(ROOT, 'src/widgets/index.ts'))}';
import { readFile } from 'node:fs/promises';
export default workflow({ id: 'files', title: 'Files' })
  .step({ id: 'upload', title: 'Upload', fields: { file: fileUpload({ label: 'File' }) } })
  .step({ id: 'read', title: 'Read', fields: {}, run: async ({ outputs, artifacts }) => ({ text: await readFile(artifacts.resolve(outputs.upload.file), 'utf8') }) });
`);
    const jobs = path.join(d.dir, 'jobs');
    mkdirSync(path.join(jobs, 'in'), { recursive: true });
    writeFileSync(path.join(jobs, 'in', 'notes.txt'), 'hello from a file');
    const job = writeJob(jobs, 'job.json', { workflow: 'files', inputs: { upload: { file: 'in/notes.txt' } } });
    const args = ['--data-dir', d.dir, '--workflows-dir', wfDir];
    // Run from another folder: the path still resolves against the job file's folder.
    const r = await railbook(['run', job, ...args], { cwd: wfDir });
    assert.equal(r.code, 0, r.stderr);
    const st = await state('default-files-01', args);
    assert.deepEqual(st.steps.read!.output, { text: 'hello from a file' });

    const exp = await railbook(['export', 'default-files-01', ...args]);
    const exported = JSON.parse(exp.stdout) as JobFile;
    assert.ok(path.isAbsolute((exported.inputs.upload!.file as { path: string }).path));
    const replay = await railbook(['run', writeJob(d.dir, 'exported.json', exported), '--key', 'files-again', ...args]);
    assert.equal(replay.code, 0, replay.stderr);
    const st2 = await state('files-again', args);
    assert.deepEqual(st2.steps.read!.output, st.steps.read!.output);
    const [ref1, ref2] = [st.steps.upload!.output, st2.steps.upload!.output] as { file: { sha256: string; path: string } }[];
    assert.equal(ref2!.file.sha256, ref1!.file.sha256);
    assert.match(ref2!.file.path, /^artifacts\/files-again\//);

    const gone = writeJob(jobs, 'gone.json', { workflow: 'files', inputs: { upload: { file: 'in/missing.txt' } } });
    const bad = await railbook(['run', gone, ...args]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /inputs\.upload\.file: file not found: .*in\/missing\.txt/);
  } finally {
    await d.cleanup();
  }
});

test('on a terminal, a long step draws a live progress bar (cli-progress) on stderr', async () => {
  const d = await dataDir();
  try {
    const job = writeJob(d.dir, 'slow.json', { workflow: 'slow', inputs: { count: { steps: 20, delay: 60 }, check: { word: 'ok' } } });
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const cmd = [process.execPath, BIN, 'run', job, ...d.args].map(quote).join(' ');
    // script(1) gives the command a pseudo-terminal; stdout and stderr both arrive on its stdout.
    const r = await finish(spawn('/usr/bin/script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, env: cleanEnv({ COLUMNS: '100' }) }));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\[1\/2\] Count slowly \[[█░]+\]\s+\d+% \d+\/20/, 'a bar');
    assert.match(r.stdout, /\x1b\[/, 'drawn in place with escape codes');
    assert.match(r.stdout, /✓ 1\/2 Count slowly/);
    assert.match(r.stdout, /✓ 2\/2 Maybe fail/);
    assert.match(r.stdout, /default-slow-01\r?\n?$/);
  } finally {
    await d.cleanup();
  }
});

async function serve(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; url: string; line: string; done: Promise<Result> }> {
  const child = start(['serve', ...args]);
  const done = finish(child);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in time: ${out}`)), 20_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) { clearTimeout(timer); resolve(out.split('\n')[0]!); }
    });
    void done.then((r) => { clearTimeout(timer); reject(new Error(`serve exited early (${r.code}): ${r.stderr}`)); });
  });
  const url = /(http:\/\/\S+)/.exec(line)?.[1] ?? '';
  return { child, url, line, done };
}

test('serve on a non-loopback host prints the URL with its token', async () => {
  const d = await dataDir();
  try {
    const s = await serve(['--host', '0.0.0.0', '--port', '0', '--no-open', '--token', 'secret-token-123', ...d.args]);
    try {
      assert.match(s.line, /^Railbook is running at http:\/\/\S+\?token=secret-token-123$/);
    } finally {
      s.child.kill('SIGINT');
    }
    assert.equal((await s.done).code, 0);
    const bad = await railbook(['serve', '--port', '70000', '--no-open', ...d.args]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--port must be a whole number/);
  } finally {
    await d.cleanup();
  }
});

forEachBackend((backend) => describe(`the CLI on runs and profiles (${backend})`, () => {
  test('run a hello job: exit 0, the key on stdout, nothing on stderr; state shows the done steps', async () => {
    const d = await dataDir(backend);
    try {
      const job = writeJob(d.dir, 'hello.json', { workflow: 'hello', inputs: { name: { name: 'Ada' } } });
      const r = await railbook(['run', job, ...d.args]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'default-hello-01\n');
      assert.equal(r.stderr, '', 'quick steps print nothing when stderr is not a terminal');

      const st = await state('default-hello-01', d.args);
      assert.equal(st.workflow, 'hello');
      assert.equal(st.steps.name!.status, 'done');
      assert.deepEqual(st.steps.name!.output, { name: 'Ada' });
      assert.equal(st.steps.greeting!.status, 'done');
      // Left out of the file, the greeting took its suggested value.
      assert.deepEqual(st.steps.greeting!.output, { greeting: 'Hello, Ada!', length: 11 });

      const runs = await railbook(['runs', ...d.args]);
      assert.match(runs.stdout, /^default-hello-01\s+hello\s+default\s+2\/2 done\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);

      // Running the same key again resumes: everything is done, nothing changes.
      const again = await railbook(['run', job, '--key', 'default-hello-01', ...d.args]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(lastLine(again.stdout), 'default-hello-01');
      assert.equal(await runCount(d.args), 1);
    } finally {
      await d.cleanup();
    }
  });

  test('export then run with --key reproduces the same inputs and outputs', async () => {
    const d = await dataDir(backend);
    try {
      const job = writeJob(d.dir, 'job.json', { workflow: 'hello', inputs: { name: { name: 'Grace' }, greeting: { greeting: 'Hi there, Grace' } } });
      const first = await railbook(['run', job, ...d.args]);
      assert.equal(first.code, 0, first.stderr);
      const key = lastLine(first.stdout);

      const exp = await railbook(['export', key, ...d.args]);
      assert.equal(exp.code, 0, exp.stderr);
      const exported = JSON.parse(exp.stdout) as JobFile;
      assert.deepEqual(exported, {
        workflow: 'hello',
        key,
        profile: 'default',
        inputs: { name: { name: 'Grace' }, greeting: { greeting: 'Hi there, Grace' } },
      });
      const file = writeJob(d.dir, 'exported.json', exp.stdout);
      const second = await railbook(['run', file, '--key', 'another', ...d.args]);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(lastLine(second.stdout), 'another');

      const [a, b] = [await state(key, d.args), await state('another', d.args)];
      for (const id of Object.keys(a.steps)) {
        assert.deepEqual(b.steps[id]!.input, a.steps[id]!.input, `input of ${id}`);
        assert.deepEqual(b.steps[id]!.output, a.steps[id]!.output, `output of ${id}`);
        assert.equal(b.steps[id]!.status, 'done');
      }
      // …and the replay exports to the same job, but for its own key.
      const exp2 = JSON.parse((await railbook(['export', 'another', ...d.args])).stdout) as JobFile;
      assert.deepEqual(exp2, { ...exported, key: 'another' });

      const unknown = await railbook(['export', 'no-such-run', ...d.args]);
      assert.equal(unknown.code, 2);
      assert.equal(unknown.stdout, '');
      assert.match(unknown.stderr, /no run "no-such-run"/);
      assert.doesNotMatch(unknown.stderr, /\n\s+at /, 'no stack trace');
      const st = await railbook(['state', 'no-such-run', ...d.args]);
      assert.equal(st.code, 2);
      assert.match(st.stderr, /no run "no-such-run"/);
    } finally {
      await d.cleanup();
    }
  });

  test('a failing step: exit 1, stderr names the step and why; progress lines for the long step', async () => {
    const d = await dataDir(backend);
    try {
      const job = writeJob(d.dir, 'slow.json', { workflow: 'slow', inputs: { count: { steps: 25, delay: 100 }, check: { word: 'fail' } } });
      const r = await railbook(['run', job, ...d.args]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(lastLine(r.stdout), 'default-slow-01', 'the key of the kept run is still printed');
      assert.match(r.stderr, /step "check" \(Maybe fail\) failed: asked to fail/);
      assert.match(r.stderr, /resume with: railbook run .*--key default-slow-01/);
      // About 2.5 s of counting: at least one plain progress line, no terminal escape codes.
      assert.match(r.stderr, /\[1\/2\] Count slowly: \d+\/25 \(\d+%\) counting \d+ of 25 — \d/);
      assert.doesNotMatch(r.stderr, /\x1b\[/);

      const st = await state('default-slow-01', d.args);
      assert.equal(st.steps.count!.status, 'done');
      assert.deepEqual(st.steps.count!.output, { counted: 25 });
      assert.equal(st.steps.check!.status, 'failed');
      assert.equal(st.steps.check!.error, 'asked to fail');
      const runs = await railbook(['runs', '--workflow', 'slow', ...d.args]);
      assert.match(runs.stdout, /^default-slow-01\s+slow\s+default\s+failed check/m);

      // Fix the cause and resume the same key: the done step is not run again.
      const fixed = writeJob(d.dir, 'fixed.json', { workflow: 'slow', inputs: { count: { steps: 25, delay: 100 }, check: { word: 'fine' } } });
      const resumed = await railbook(['run', fixed, '--key', 'default-slow-01', ...d.args]);
      assert.equal(resumed.code, 0, resumed.stderr);
      const st2 = await state('default-slow-01', d.args);
      assert.deepEqual(st2.steps.check!.output, { word: 'fine', counted: 25 });
      assert.equal(st2.steps.count!.finishedAt, st.steps.count!.finishedAt, 'the counting step was not run again');
    } finally {
      await d.cleanup();
    }
  });

  test('bad job files and bad usage: exit 2, stderr names the field, and no run is created', async () => {
    const d = await dataDir(backend);
    try {
      const cases: { name: string; job: unknown; extra?: string[]; err: RegExp }[] = [
        { name: 'invalid value', job: { workflow: 'hello', inputs: { name: { name: 'x'.repeat(81) } } }, err: /bad job file .*: inputs\.name\.name: Enter at most 80 characters/ },
        { name: 'wrong type', job: { workflow: 'slow', inputs: { count: { steps: 'many' } } }, err: /inputs\.count\.steps: Enter a number/ },
        { name: 'unknown step', job: { workflow: 'hello', inputs: { nmae: { name: 'Ada' } } }, err: /inputs\.nmae: workflow "hello" has no step "nmae"/ },
        { name: 'unknown field', job: { workflow: 'hello', inputs: { name: { name: 'Ada', age: 3 } } }, err: /inputs\.name: .*unknown field: age/ },
        { name: 'unknown workflow', job: { workflow: 'nope', inputs: {} }, err: /workflow: no workflow "nope" \(known: .*hello/ },
        { name: 'missing workflow', job: { inputs: {} }, err: /bad job file .*: workflow: / },
        { name: 'inputs not an object', job: { workflow: 'hello', inputs: [] }, err: /inputs: must be an object/ },
        { name: 'unknown top-level field', job: { workflow: 'hello', inputs: {}, keys: 'x' }, err: /unknown field "keys"/ },
        { name: 'not JSON', job: '{"workflow": "hello",', err: /is not valid JSON/ },
        { name: 'bad key in file', job: { workflow: 'hello', key: 'no spaces please', inputs: { name: { name: 'Ada' } } }, err: /key: run key "no spaces please" may use only/ },
        { name: 'bad --key', job: { workflow: 'hello', inputs: { name: { name: 'Ada' } } }, extra: ['--key', '../etc'], err: /--key: run key "\.\.\/etc" may use only/ },
        { name: 'unknown profile', job: { workflow: 'hello', profile: 'ghost', inputs: { name: { name: 'Ada' } } }, err: /profile: no profile "ghost"/ },
        { name: 'required input left out', job: { workflow: 'hello', inputs: {} }, err: /inputs\.name\.name: Enter some text \(the job file gives no input for step "name"/ },
        // The greeting is checked too, before step 1 runs and creates the run.
        { name: 'bad later step', job: { workflow: 'hello', inputs: { name: { name: 'Ada' }, greeting: { greeting: '' } } }, err: /inputs\.greeting\.greeting: / },
      ];
      for (const c of cases) {
        const file = writeJob(d.dir, `bad-${c.name.replace(/\W+/g, '-')}.json`, c.job);
        const r = await railbook(['run', file, ...(c.extra ?? []), ...d.args]);
        assert.equal(r.code, 2, `${c.name}: ${r.stderr}`);
        assert.match(r.stderr, c.err, c.name);
        assert.equal(r.stdout, '', `${c.name}: nothing on stdout`);
        // One line, or (several problems) one line and the problems indented below it: never a stack.
        const [head, ...rest] = r.stderr.trim().split('\n');
        assert.match(head!, /^railbook: /, c.name);
        assert.ok(rest.every((l) => /^  \S/.test(l) && !/^\s+at /.test(l)), `${c.name}: clean lines, no stack: ${r.stderr}`);
      }
      const missing = await railbook(['run', path.join(d.dir, 'nope.json'), ...d.args]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /cannot read .*nope\.json: no such file/);

      for (const args of [['run'], ['run', 'a.json', '--bogus'], ['frobnicate'], ['export'], ['runs', '--limit', 'x'], []]) {
        const r = await railbook([...args, '--data-dir', d.dir]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.notEqual(r.stderr, '');
      }
      // A data folder that is a file.
      const notADir = await railbook(['runs', '--data-dir', path.join(d.dir, 'bad-invalid-value.json')]);
      assert.equal(notADir.code, 2);
      assert.match(notADir.stderr, /cannot use .* as the data folder: it is a file, not a folder/);
      assert.equal(await runCount(d.args), 0, 'nothing was written');
    } finally {
      await d.cleanup();
    }
  });

  test('profiles: list, create, switch, rename; new runs take the current profile', async () => {
    const d = await dataDir(backend);
    try {
      const list = await railbook(['profiles', ...d.at]);
      assert.equal(list.code, 0, list.stderr);
      assert.equal(list.stdout, '* default\n');
      assert.equal((await railbook(['profiles', 'create', 'acme', ...d.at])).code, 0);
      assert.equal((await railbook(['profiles', 'switch', 'acme', ...d.at])).code, 0);
      assert.equal((await railbook(['profiles', 'list', ...d.at])).stdout, '* acme\n  default\n');

      const job = writeJob(d.dir, 'hello.json', { workflow: 'hello', inputs: { name: { name: 'Ada' } } });
      const r = await railbook(['run', job, ...d.args]);
      assert.equal(lastLine(r.stdout), 'acme-hello-01');
      const other = await railbook(['run', job, '--profile', 'default', ...d.args]);
      assert.equal(lastLine(other.stdout), 'default-hello-01');

      assert.equal((await railbook(['profiles', 'rename', 'acme', 'acme_corp', ...d.at])).code, 0);
      const runs = JSON.parse((await railbook(['runs', '--json', '--profile', 'acme_corp', ...d.args])).stdout) as { key: string }[];
      assert.deepEqual(runs.map((x) => x.key), ['acme-hello-01'], 'keys are kept, the run moves with its profile');

      for (const args of [['create', 'has-dash'], ['create', 'default'], ['switch', 'ghost'], ['rename', 'ghost', 'x']]) {
        const bad = await railbook(['profiles', ...args, ...d.at]);
        assert.equal(bad.code, 2, args.join(' '));
        assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      }
    } finally {
      await d.cleanup();
    }
  });

  test('Ctrl-C during a long step cancels it: exit 1, the run says cancelled', async () => {
    const d = await dataDir(backend);
    try {
      const job = writeJob(d.dir, 'slow.json', { workflow: 'slow', inputs: { count: { steps: 200, delay: 50 }, check: { word: 'x' } } });
      const child = start(['run', job, ...d.args]);
      const done = finish(child);
      // Wait until the step runs (its progress is in the database), then interrupt.
      const { engine, close } = await tempEngine({ dataDir: d.dir, databaseUrl: d.databaseUrl });
      try {
        for (let i = 0; i < 100 && !(await engine.store.executions.all()).length; i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok((await engine.store.executions.all()).length > 0, 'the step started');
      } finally {
        await close();
      }
      child.kill('SIGINT');
      const r = await done;
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /step "count" \(Count slowly\) was cancelled/);
      const st = await state(lastLine(r.stdout), d.args);
      assert.equal(st.steps.count!.status, 'cancelled');
      assert.equal(st.steps.check!.status, 'pending');
    } finally {
      await d.cleanup();
    }
  });

  test('three CLI jobs and an in-process engine on one data folder at once: nothing lost, distinct keys', async () => {
    const d = await dataDir(backend);
    const inProcess = await tempEngine({ dataDir: d.dir, databaseUrl: d.databaseUrl });
    try {
      const job = writeJob(d.dir, 'slow.json', { workflow: 'slow', inputs: { count: { steps: 15, delay: 20 }, check: { word: 'ok' } } });
      let cliDone = false;
      const cli = Promise.all([0, 1, 2].map(() => railbook(['run', job, ...d.args]))).finally(() => { cliDone = true; });
      // Meanwhile this process keeps writing runs of its own to the same database, until the CLI
      // jobs are over (and at least three times).
      const local = (async () => {
        const keys: string[] = [];
        while (!cliDone || keys.length < 3) {
          const r = await runJob(inProcess.engine, { workflow: 'hello', inputs: { name: { name: `local ${keys.length}` } } });
          assert.equal(r.failed, undefined);
          keys.push(r.state.key);
          await new Promise((res) => setTimeout(res, 5));
        }
        return keys;
      })();
      const results = await cli;
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const keys = results.map((r) => lastLine(r.stdout));
      assert.deepEqual([...keys].sort(), ['default-slow-01', 'default-slow-02', 'default-slow-03']);
      const localKeys = await local;
      assert.deepEqual(localKeys, localKeys.map((_k, i) => `default-hello-${String(i + 1).padStart(2, '0')}`));
      for (const key of keys) {
        const st = await inProcess.engine.get(key);
        assert.deepEqual(Object.values(st.steps).map((s) => s.status), ['done', 'done'], key);
        assert.deepEqual(st.steps.check!.output, { word: 'ok', counted: 15 });
      }
      for (const key of localKeys) assert.equal((await inProcess.engine.get(key)).steps.greeting!.status, 'done', key);
      assert.equal((await inProcess.engine.store.runs.list()).length, 3 + localKeys.length);
      // Every run has its full event history: created, then per step submitted (+ completed).
      for (const key of keys) {
        const types = (await inProcess.engine.store.events.forRun(key)).map((e) => e.type).reverse();
        assert.deepEqual(types, ['created', 'submitted', 'completed', 'submitted', 'completed'], key);
      }
    } finally {
      await inProcess.close();
      await d.cleanup();
    }
  });

  test('serve: one URL line, answers GET /, a second serve on the same port exits 2, SIGTERM stops it cleanly', async () => {
    const d = await dataDir(backend);
    try {
      const s = await serve(['--port', '0', '--no-open', ...d.args]);
      try {
        assert.match(s.line, /^Railbook is running at http:\/\/127\.0\.0\.1:\d+\/$/);
        const res = await fetch(s.url);
        assert.equal(res.status, 200);
        await res.arrayBuffer();

        const port = new URL(s.url).port;
        const second = await railbook(['serve', '--port', port, '--no-open', ...d.args]);
        assert.equal(second.code, 2, second.stderr);
        assert.match(second.stderr, new RegExp(`port ${port} is already in use`));
        assert.equal(second.stdout, '');
        assert.equal(second.stderr.trim().split('\n').length, 1, second.stderr);

        // The CLI can run a job against the same data folder while the server is up.
        const job = writeJob(d.dir, 'hello.json', { workflow: 'hello', inputs: { name: { name: 'Ada' } } });
        const r = await railbook(['run', job, ...d.args]);
        assert.equal(r.code, 0, r.stderr);
        // …and the server sees that run at once, complete.
        const api = await fetch(new URL(`/api/runs/${lastLine(r.stdout)}`, s.url));
        assert.equal(api.status, 200);
        const st = (await api.json()) as RunState;
        assert.equal(st.steps.greeting!.status, 'done');
        assert.deepEqual(st.steps.name!.output, { name: 'Ada' });
      } finally {
        s.child.kill('SIGTERM');
      }
      const end = await s.done;
      assert.equal(end.code, 0, end.stderr);
      assert.equal(end.stdout.trim().split('\n').length, 1, 'exactly one line on stdout');
    } finally {
      await d.cleanup();
    }
  });
}));
