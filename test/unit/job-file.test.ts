import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Engine } from '../../src/engine/engine.ts';
import { checkJob, exportJob, JobFileError, parseJobText, readJobFile, type JobFile } from '../../src/engine/job-file.ts';
import { runJob } from '../../src/engine/job-runner.ts';
import { Registry } from '../../src/engine/registry.ts';
import { workflow } from '../../src/engine/workflow.ts';
import { fileUpload, text } from '../../src/widgets/index.ts';
import { forEachBackend, type Backend } from '../helpers/backends.ts';
import { tempDir, tempEngine } from '../helpers/temp-engine.ts';

/** Asserts `fn` throws a JobFileError about `field`, whose message names it first. */
function throwsField(fn: () => unknown, field: string, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof JobFileError, `expected JobFileError, got ${String(e)}`);
    assert.equal(e.field, field);
    if (field) assert.ok(e.message.startsWith(`${field}: `), e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

async function rejectsField(p: Promise<unknown>, field: string, re?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof JobFileError, `expected JobFileError, got ${String(e)}`);
    assert.equal(e.field, field);
    assert.ok(e.message.startsWith(`${field}: `), e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

test('parseJobText: a good file, with and without key and profile', () => {
  assert.deepEqual(parseJobText('{"workflow":"hello","inputs":{"name":{"name":"Ada"}}}'), { workflow: 'hello', inputs: { name: { name: 'Ada' } } });
  const full = parseJobText(JSON.stringify({ workflow: 'hello', key: 'k1', profile: 'acme', inputs: {} }));
  assert.deepEqual(full, { workflow: 'hello', key: 'k1', profile: 'acme', inputs: {} });
});

test('parseJobText: errors name the field', () => {
  throwsField(() => parseJobText('{"inputs":{}}'), 'workflow');
  throwsField(() => parseJobText('{"workflow":"","inputs":{}}'), 'workflow', /empty/);
  throwsField(() => parseJobText('{"workflow":42,"inputs":{}}'), 'workflow', /string/);
  throwsField(() => parseJobText('{"workflow":"hello"}'), 'inputs');
  throwsField(() => parseJobText('{"workflow":"hello","inputs":[]}'), 'inputs', /object/);
  throwsField(() => parseJobText('{"workflow":"hello","inputs":"x"}'), 'inputs', /object/);
  throwsField(() => parseJobText('{"workflow":"hello","inputs":{"name":"Ada"}}'), 'inputs.name', /object/);
  throwsField(() => parseJobText('{"workflow":"hello","inputs":{},"key":7}'), 'key', /string/);
  throwsField(() => parseJobText('{"workflow":"hello","inputs":{},"profle":"x"}'), '', /unknown field "profle"/);
  throwsField(() => parseJobText('{"workflow":"hello","inputs":{},"a":1,"b":2}'), '', /unknown fields "a", "b"/);
});

test('parseJobText: not JSON, or not an object', () => {
  throwsField(() => parseJobText('{"workflow": "hello",', 'job.json'), '', /job\.json is not valid JSON/);
  throwsField(() => parseJobText(''), '', /not valid JSON/);
  throwsField(() => parseJobText('[1,2]'), '', /must hold a JSON object/);
  throwsField(() => parseJobText('null'), '', /must hold a JSON object/);
});

test('readJobFile: baseDir is the job file\'s folder; a missing file is a JobFileError', async () => {
  const tmp = tempDir();
  try {
    mkdirSync(path.join(tmp.dir, 'jobs'));
    const file = path.join(tmp.dir, 'jobs', 'j.json');
    writeFileSync(file, '{"workflow":"hello","inputs":{}}');
    const { job, baseDir } = await readJobFile(file);
    assert.equal(job.workflow, 'hello');
    assert.equal(baseDir, path.join(tmp.dir, 'jobs'));
    await assert.rejects(readJobFile(path.join(tmp.dir, 'nope.json')), (e: unknown) => e instanceof JobFileError && /no such file/.test(e.message));
  } finally {
    tmp.cleanup();
  }
});

const uploadWorkflow = workflow({ id: 'files', title: 'Files (test)' })
  .step({ id: 'upload', title: 'Upload', fields: { file: fileUpload({ label: 'A file', accept: '.txt' }), note: text({ label: 'Note', required: false }) } });

/** An engine over the upload workflow; `dir` is a folder for job files beside its data folder. */
async function uploadEngine(backend: Backend): Promise<{ engine: Engine; dir: string; close: () => Promise<void> }> {
  const tmp = tempDir();
  const t = await tempEngine({ dataDir: path.join(tmp.dir, 'data'), backend });
  const engine = await Engine.start(t.engine.store, new Registry([uploadWorkflow]));
  return { engine, dir: tmp.dir, close: async () => { await engine.shutdown(); await t.close(); tmp.cleanup(); } };
}

forEachBackend((backend) => describe(`job files on an engine (${backend})`, () => {
  it('checkJob: unknown workflow or step, invalid values, bad key, unknown profile — nothing written', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      const job = (inputs: JobFile['inputs'], extra: Partial<JobFile> = {}): JobFile => ({ workflow: 'hello', inputs, ...extra });
      await checkJob(engine, job({ name: { name: 'Ada' } }));
      // A step left out with no suggestion and no valid default would stop the run half-way: refused up front.
      await rejectsField(checkJob(engine, job({})), 'inputs.name.name', /gives no input for step "name"/);
      // A step with a suggestion may be left out (it is computed from earlier outputs when it runs).
      await checkJob(engine, job({ name: { name: 'Ada' } }));
      await rejectsField(checkJob(engine, job({}, { workflow: 'nope' })), 'workflow', /no workflow "nope".*hello/);
      await rejectsField(checkJob(engine, job({ nmae: { name: 'Ada' } })), 'inputs.nmae', /no step "nmae".*name, greeting/);
      await rejectsField(checkJob(engine, job({ name: { name: 'x'.repeat(81) } })), 'inputs.name.name', /at most 80/);
      await rejectsField(checkJob(engine, job({ name: { name: 42 } })), 'inputs.name.name');
      await rejectsField(checkJob(engine, job({ name: { name: 'Ada', age: 3 } })), 'inputs.name', /unknown field: age/);
      await rejectsField(checkJob(engine, job({ name: { name: 'Ada' } }, { key: 'bad key' })), 'key', /may use only/);
      await rejectsField(checkJob(engine, job({ name: { name: 'Ada' } }), { key: '-x' }), '--key', /may use only/);
      await rejectsField(checkJob(engine, job({ name: { name: 'Ada' } }, { profile: 'ghost' })), 'profile', /no profile "ghost"/);
      // The slow fixture's range field: out of range names the step and field.
      await rejectsField(checkJob(engine, { workflow: 'slow', inputs: { count: { steps: 0 } } }), 'inputs.count.steps', /at least 1/);
      assert.equal((await engine.store.runs.list()).length, 0, 'checkJob writes nothing');
    } finally {
      await close();
    }
  });

  it('checkJob: a missing upload file names the field; relative paths resolve against baseDir', async () => {
    const { engine, dir, close } = await uploadEngine(backend);
    try {
      mkdirSync(path.join(dir, 'jobs'));
      writeFileSync(path.join(dir, 'jobs', 'notes.txt'), 'hello file');
      const job: JobFile = { workflow: 'files', inputs: { upload: { file: 'notes.txt' } } };
      await rejectsField(checkJob(engine, job, { baseDir: dir }), 'inputs.upload.file', /file not found/);
      await checkJob(engine, job, { baseDir: path.join(dir, 'jobs') });
      mkdirSync(path.join(dir, 'folder.txt'));
      await rejectsField(checkJob(engine, { workflow: 'files', inputs: { upload: { file: 'folder.txt' } } }, { baseDir: dir }), 'inputs.upload.file', /not a regular file/);
      await rejectsField(checkJob(engine, { workflow: 'files', inputs: { upload: { file: 'jobs/notes.csv' } } }, { baseDir: dir }), 'inputs.upload.file', /type: \.txt/);
      await rejectsField(checkJob(engine, { workflow: 'files', inputs: { upload: {} } }, { baseDir: dir }), 'inputs.upload.file', /Choose a file/);
      assert.equal((await engine.store.runs.list()).length, 0);
      // Run it for real: the file becomes an artifact; export gives back a local path that replays.
      const r = await runJob(engine, job, { baseDir: path.join(dir, 'jobs') });
      assert.equal(r.failed, undefined);
      const out = r.state.steps.upload!.output as { file: { path: string; sha256: string } };
      assert.match(out.file.path, /^artifacts\/default-files-01\//);
      const exported = await exportJob(engine, r.state.key);
      const p = (exported.inputs.upload!.file as { path: string }).path;
      assert.ok(path.isAbsolute(p));
      const again = await runJob(engine, exported, { key: 'replayed' });
      const out2 = again.state.steps.upload!.output as { file: { path: string; sha256: string } };
      assert.equal(out2.file.sha256, out.file.sha256);
      assert.match(out2.file.path, /^artifacts\/replayed\//);
    } finally {
      await close();
    }
  });

  it('runJob: a bad job creates no run', async () => {
    const { engine, close } = await tempEngine({ backend });
    try {
      await assert.rejects(runJob(engine, { workflow: 'hello', inputs: { name: { name: 'Ada' }, greeting: { greeting: 7 } } }), JobFileError);
      assert.equal((await engine.store.runs.list()).length, 0);
    } finally {
      await close();
    }
  });
}));
