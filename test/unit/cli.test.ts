import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Writable } from 'node:stream';
import { EngineError } from '../../src/engine/errors.ts';
import { JobFileError } from '../../src/engine/job-file.ts';
import { newRunState } from '../../src/engine/run-state.ts';
import { ProfileError } from '../../src/store/profiles.ts';
import { workflowDirs, formatLoadError } from '../../src/cli/context.ts';
import { describeError } from '../../src/cli/errors.ts';
import { CliError, EXIT } from '../../src/cli/exit-codes.ts';
import { formatBar, formatDuration, formatProgressLine, JobProgress } from '../../src/cli/progress-bar.ts';
import { formatTable } from '../../src/cli/table.ts';
import { importPath, renderTemplate, titleFromId, validateWorkflowId } from '../../src/cli/commands/new.ts';
import { runStatus } from '../../src/cli/commands/runs.ts';
import { kernelIdleFrom, parsePort, startError } from '../../src/cli/commands/serve.ts';

test('workflowDirs: flag, then env, then the built-in folder; several folders split on path.delimiter', () => {
  const builtin = '/repo/workflows';
  assert.deepEqual(workflowDirs(undefined, builtin, {}), [builtin]);
  assert.deepEqual(workflowDirs(undefined, builtin, { RAILBOOK_WORKFLOWS_DIR: '/a' }), ['/a']);
  assert.deepEqual(workflowDirs('/b', builtin, { RAILBOOK_WORKFLOWS_DIR: '/a' }), ['/b']);
  assert.deepEqual(workflowDirs(['/a', '/b', '', '/a'].join(path.delimiter), builtin, {}), ['/a', '/b']);
  assert.deepEqual(workflowDirs('rel', builtin, {}), [path.resolve('rel')]);
  assert.deepEqual(workflowDirs('  ', builtin, {}), [builtin]);
});

test('describeError: input errors exit 2 in one line; unexpected errors exit 1, stack only with RAILBOOK_DEBUG=1', () => {
  assert.deepEqual(describeError(new JobFileError('inputs.name.name', 'Enter some text')), { message: 'bad job file: inputs.name.name: Enter some text', exitCode: EXIT.usage });
  assert.deepEqual(describeError(new EngineError('not_found', 'no run "x"')), { message: 'no run "x"', exitCode: 2 });
  assert.equal(describeError(new ProfileError('no profile "p"')).exitCode, 2);
  assert.deepEqual(describeError(new CliError('step failed', EXIT.stepFailed)), { message: 'step failed', exitCode: 1 });
  const boom = new Error('boom');
  const plain = describeError(boom, {});
  assert.equal(plain.exitCode, 1);
  assert.match(plain.message, /^unexpected error: boom/);
  assert.doesNotMatch(plain.message, /\n\s+at /);
  assert.match(describeError(boom, { RAILBOOK_DEBUG: '1' }).message, /\n\s+at /);
  assert.equal(describeError('a string', {}).exitCode, 1);
});

test('formatTable pads columns to the widest cell', () => {
  assert.equal(formatTable(['ID', 'TITLE'], [['hello', 'Hello'], ['a', 'Émile']]), 'ID     TITLE\nhello  Hello\na      Émile\n');
});

test('progress lines and bars', () => {
  assert.equal(formatDuration(250), '250 ms');
  assert.equal(formatDuration(2500), '2.5 s');
  assert.equal(formatDuration(42_000), '42 s');
  assert.equal(formatDuration(125_000), '2 min 5 s');
  assert.equal(formatProgressLine('[1/2] Count', { done: 3, total: 4, message: 'counting' }, 2000), '[1/2] Count: 3/4 (75%) counting — 2.0 s');
  assert.equal(formatProgressLine('[1/2] Count', undefined, 4000), '[1/2] Count: running — 4.0 s');
  assert.equal(formatProgressLine('[1/2] Count', { done: 7 }, 4000), '[1/2] Count: 7 done — 4.0 s');
  const bar = formatBar({ label: 'S', progress: { done: 1, total: 4 }, started: 0 }, 80, 1000, 8);
  assert.equal(bar, 'S [██░░░░░░]  25% 1/4');
  assert.equal(formatBar({ label: 'S', progress: { done: 9, total: 4 }, started: 0 }, 80, 0, 4), 'S [████] 100% 9/4');
  assert.equal(formatBar({ label: 'S', started: 0 }, 80, 3000), 'S … 3.0 s');
  const long = formatBar({ label: 'S', progress: { done: 1, total: 2, message: 'x'.repeat(200) }, started: 0 }, 40, 0);
  assert.equal([...long].length, 39);
  assert.ok(long.endsWith('…'));
});

/** A stream that keeps what is written, standing in for a redirected stderr. */
function sink(): { stream: Writable; text: () => string } {
  let out = '';
  const stream = new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } });
  return { stream, text: () => out };
}

const done = (id: string, status: 'done' | 'failed' = 'done') => {
  const st = newRunState('slow', 'k', 'default', [id], 't');
  st.steps[id]!.status = status;
  return st;
};

test('JobProgress without a terminal: silent for quick steps, a line at most every interval for long ones', async () => {
  const quiet = sink();
  const p = new JobProgress({ stream: quiet.stream, tty: false, lineIntervalMs: 100 });
  const step = { id: 'count', title: 'Count' };
  p.onStepStart(step, 0, 2);
  p.onProgress({ run: 'k', step: 'count', progress: { done: 1, total: 2 } });
  p.onStepEnd(step, done('count'));
  assert.equal(quiet.text(), '');

  const loud = sink();
  const q = new JobProgress({ stream: loud.stream, tty: false, lineIntervalMs: 100 });
  q.onStepStart(step, 0, 2);
  q.onProgress({ run: 'k', step: 'count', progress: { done: 1, total: 4, message: 'one' } });
  await new Promise((r) => setTimeout(r, 350));
  q.onProgress({ run: 'k', step: 'other', progress: { done: 3, total: 4 } }); // another step's progress is ignored
  q.onStepEnd(step, done('count'));
  const lines = loud.text().trim().split('\n');
  assert.ok(lines.length >= 2 && lines.length <= 5, loud.text());
  assert.match(lines[0]!, /^\[1\/2\] Count: 1\/4 \(25%\) one — /);
  assert.match(lines.at(-1)!, /^\[1\/2\] Count: done after /);
  assert.doesNotMatch(loud.text(), /\x1b\[/, 'no escape codes in logs');
});

test('JobProgress on a terminal: no bar for a quick step, a ✓/✗ line per step', () => {
  const out = sink();
  const p = new JobProgress({ stream: out.stream, tty: true, barDelayMs: 10_000 });
  const step = { id: 'check', title: 'Check' };
  p.onStepStart(step, 1, 2);
  p.onStepEnd(step, done('check', 'failed'));
  assert.equal(out.text(), '✗ 2/2 Check (failed)\n');
});

test('new: ids, titles, import paths, template', () => {
  assert.equal(validateWorkflowId('weekly_report2'), 'weekly_report2');
  for (const bad of ['Weekly', 'my-flow', '2fast', '', '_x', 'a'.repeat(41), 'über']) {
    assert.throws(() => validateWorkflowId(bad), (e: unknown) => e instanceof CliError && e.exitCode === 2, bad);
  }
  assert.throws(() => validateWorkflowId('my-flow'), /try "my_flow"/);
  assert.equal(titleFromId('weekly_report'), 'Weekly report');
  assert.equal(importPath('/repo/workflows', '/repo/src/engine/index.ts'), '../src/engine/index.ts');
  assert.equal(importPath('/repo', '/repo/src/engine/index.ts'), './src/engine/index.ts');
  const src = renderTemplate("id: '{{id}}', title: {{titleJson}} /* {{titleComment}} */ {{unknown}}", { id: 'x', title: 'A */ "b"\nc', dir: '/tmp' });
  assert.equal(src, `id: 'x', title: "A */ \\"b\\"\\nc" /* A * / "b" c */ {{unknown}}`);
});

test('runs: status words', () => {
  const st = newRunState('slow', 'k', 'default', ['count', 'check'], 't');
  assert.equal(runStatus(undefined, st), '0/2 done');
  st.steps.count!.status = 'done';
  assert.equal(runStatus(undefined, st), '1/2 done');
  st.steps.check!.status = 'failed';
  assert.equal(runStatus(undefined, st), 'failed check');
  st.steps.check!.status = 'running';
  assert.equal(runStatus(undefined, st), 'running check');
  st.steps.check!.status = 'done';
  assert.equal(runStatus(undefined, st), '2/2 done');
  st.finalized = 't';
  assert.equal(runStatus(undefined, st), 'finalized');
});

test('serve: --kernel-idle is minutes (fractions allowed); nonsense is a usage error', () => {
  assert.equal(kernelIdleFrom(undefined), undefined);
  assert.equal(kernelIdleFrom('10'), 600_000);
  assert.equal(kernelIdleFrom('0.5'), 30_000);
  for (const bad of ['0', '-3', 'soon', 'Infinity']) assert.throws(() => kernelIdleFrom(bad), CliError, bad);
});

test('serve: port parsing; listen errors are usage errors', () => {
  assert.equal(parsePort('0'), 0);
  assert.equal(parsePort('8765'), 8765);
  for (const bad of ['-1', '65536', 'abc', '1.5', '']) assert.throws(() => parsePort(bad), CliError, bad);
  const inUse = startError(new Error('port 1 is already in use on 127.0.0.1 — choose another', { cause: Object.assign(new Error('x'), { code: 'EADDRINUSE' }) }), '127.0.0.1', 1);
  assert.ok(inUse instanceof CliError && inUse.exitCode === 2 && /already in use/.test(inUse.message));
  const raw = startError(Object.assign(new Error('listen EADDRINUSE: address already in use'), { code: 'EADDRINUSE' }), '127.0.0.1', 1);
  assert.ok(raw instanceof CliError && /^port 1 is already in use on 127\.0\.0\.1 — .*--port/.test(raw.message), String(raw));
  const bug = new TypeError('x is not a function');
  assert.equal(startError(bug, 'h', 1), bug);
});

test('load errors: Node\'s CommonJS complaint gets a hint', () => {
  const msg = formatLoadError({ file: '/x/w.ts', message: 'Cannot require() ES Module /x/w.ts in a cycle.\nmore' });
  assert.match(msg, /^\/x\/w\.ts: Cannot require\(\) ES Module .* "type": "module"\)$/);
});
