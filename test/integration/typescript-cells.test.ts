// TypeScript and JavaScript notebooks run in Node itself: real worker threads, real imports from
// node_modules and from files beside the notebook, the same outputs a Jupyter kernel produces.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunnerState } from '../../src/notebooks/cell-runner.ts';
import { KernelDiedError, KernelError } from '../../src/notebooks/kernel/errors.ts';
import type { KernelOutput } from '../../src/notebooks/kernel/outputs.ts';
import { TypeScriptRunner } from '../../src/notebooks/typescript/ts-runner.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const folder = mkdtempSync(path.join(tmpdir(), 'railbook-ts-cells-'));
after(() => rmSync(folder, { recursive: true, force: true }));

async function run(runner: TypeScriptRunner, code: string, storeHistory?: boolean) {
  const outputs: KernelOutput[] = [];
  const result = await runner.execute(code, { onOutput: (o) => outputs.push(o), storeHistory });
  return { result, outputs };
}

/** The cell's result value as text/plain, or undefined when it had none. */
function resultText(outputs: KernelOutput[]): unknown {
  const r = outputs.find((o) => o.output_type === 'execute_result');
  return r?.output_type === 'execute_result' ? r.data['text/plain'] : undefined;
}

function errorOf(outputs: KernelOutput[]) {
  const e = outputs.find((o) => o.output_type === 'error');
  assert.ok(e?.output_type === 'error', `an error output among ${JSON.stringify(outputs)}`);
  return e;
}

describe('TypeScript cells', () => {
  let runner: TypeScriptRunner;
  const states: RunnerState[] = [];
  before(async () => {
    runner = await TypeScriptRunner.start({ cwd: REPO, language: 'typescript', onStateChange: (s) => states.push(s) });
  });
  after(() => runner.shutdown());

  test('starts idle and counts executions like Jupyter', async () => {
    assert.equal(runner.state, 'idle');
    assert.equal(runner.label, 'typescript (Node)');
    const first = await run(runner, '1 + 1');
    const replay = await run(runner, '2 + 2', false);
    const second = await run(runner, '3 + 3');
    assert.equal(first.result.executionCount, 1);
    assert.equal(replay.result.executionCount, null);
    assert.equal(second.result.executionCount, 2);
    const r = second.outputs[0];
    assert.ok(r?.output_type === 'execute_result');
    assert.equal(r.execution_count, 2);
    assert.deepEqual(states.slice(-2), ['busy', 'idle']);
  });

  test('declarations persist across cells: const, let, function, class, destructuring', async () => {
    await run(runner, [
      'const base: number = 10;',
      'let counter = 0;',
      'function bump(by: number): number { counter += by; return counter; }',
      'class Point { constructor(public x: number, public y: number) {} norm() { return Math.hypot(this.x, this.y); } }',
      'const { a, nested: [first, ...rest] } = { a: 1, nested: [2, 3, 4] };',
      'interface Unused { q: string }',
    ].join('\n'));
    const { result, outputs } = await run(runner, 'bump(base); bump(a);\n[counter, new Point(3, 4).norm(), first, rest]');
    assert.equal(result.status, 'ok');
    assert.equal(resultText(outputs), '[ 11, 5, 2, [ 3, 4 ] ]');
  });

  test('a later cell may declare a const again, as an injected parameters cell does', async () => {
    await run(runner, 'const n = 5');
    const { result, outputs } = await run(runner, 'const n = 7', false);
    assert.equal(result.status, 'ok');
    assert.deepEqual(outputs, []);
    assert.equal(resultText((await run(runner, 'n * 2')).outputs), '14');
  });

  test('a function is usable above its declaration in the same cell', async () => {
    const { outputs } = await run(runner, 'const early = hoisted();\nfunction hoisted() { return "up"; }\nearly');
    assert.equal(resultText(outputs), "'up'");
  });

  test('top-level await', async () => {
    const { result, outputs } = await run(runner, 'const waited = await new Promise<string>((r) => setTimeout(() => r("done"), 5));\nwaited');
    assert.equal(result.status, 'ok');
    assert.equal(resultText(outputs), "'done'");
  });

  test('imports an installed package from node_modules (default, named, namespace)', async () => {
    await run(runner, 'import { z } from "zod";\nimport * as zns from "zod";\nimport zdefault from "zod";\nimport type { ZodType } from "zod";');
    const { result, outputs } = await run(runner, 'const schema: ZodTypeLike = z.object({ n: z.number() });\ntype ZodTypeLike = unknown;\n[zns.z === z, typeof zdefault, z.number().parse(3)]');
    assert.equal(result.status, 'ok', JSON.stringify(outputs));
    assert.equal(resultText(outputs), "[ true, 'object', 3 ]");
  });

  test('console output keeps its order across stdout and stderr; process.stdout.write too', async () => {
    const { outputs } = await run(runner, 'console.log("one", { k: 1 });\nconsole.error("two");\nconsole.info("three");\nconsole.warn("four");\nprocess.stdout.write("five\\n");');
    const streams = outputs.map((o) => (o.output_type === 'stream' ? `${o.name}:${o.text}` : o.output_type));
    assert.deepEqual(streams, ['stdout:one { k: 1 }\n', 'stderr:two\n', 'stdout:three\n', 'stderr:four\n', 'stdout:five\n', 'execute_result']);
  });

  test('the last expression is the result: numbers as text, plain objects also as JSON, undefined as nothing', async () => {
    const num = await run(runner, '6 * 7;');
    assert.deepEqual(num.outputs, [
      { output_type: 'execute_result', data: { 'text/plain': '42' }, metadata: {}, execution_count: num.result.executionCount },
    ]);
    const obj = await run(runner, '({ name: "x", list: [1, 2] })');
    const r = obj.outputs[0];
    assert.ok(r?.output_type === 'execute_result');
    assert.deepEqual(r.data['application/json'], { name: 'x', list: [1, 2] });
    assert.equal(r.data['text/plain'], "{ name: 'x', list: [ 1, 2 ] }");
    assert.deepEqual((await run(runner, 'undefined')).outputs, []);
    assert.deepEqual((await run(runner, 'const quiet = 1;')).outputs, []);
    const cls = await run(runner, 'new Map([[1, 2]])');
    const m = cls.outputs[0];
    assert.ok(m?.output_type === 'execute_result');
    assert.deepEqual(Object.keys(m.data), ['text/plain'], 'a Map is no plain object: text only');
  });

  test('display helpers give display_data outputs', async () => {
    const { outputs } = await run(runner, [
      'display.html("<b>bold</b>");',
      'display.markdown("# Title");',
      'display.png(new Uint8Array([137, 80, 78, 71]));',
      'display.svg("<svg/>");',
      'display.json({ ok: true });',
      'display("plain text");',
      'display("<i>x</i>", "text/html");',
    ].join('\n'));
    const bundles = outputs.map((o) => (o.output_type === 'display_data' ? o.data : o.output_type));
    assert.deepEqual(bundles, [
      { 'text/html': '<b>bold</b>' },
      { 'text/markdown': '# Title' },
      { 'image/png': Buffer.from([137, 80, 78, 71]).toString('base64') },
      { 'image/svg+xml': '<svg/>' },
      { 'text/plain': '{ ok: true }', 'application/json': { ok: true } },
      { 'text/plain': 'plain text' },
      { 'text/html': '<i>x</i>' },
    ]);
  });

  test('a thrown error is an error output with the cell line; the runner goes on', async () => {
    const { result, outputs } = await run(runner, 'const before = 1;\n\nfunction fail(): never {\n  throw new TypeError("bad input");\n}\nfail();');
    assert.equal(result.status, 'error');
    assert.deepEqual(result.error && { ename: result.error.ename, evalue: result.error.evalue }, { ename: 'TypeError', evalue: 'bad input' });
    const e = errorOf(outputs);
    assert.equal(e.traceback[0], 'TypeError: bad input');
    assert.match(e.traceback.join('\n'), /at fail \(cell-\d+:4:\d+\)/, 'the throw is on line 4 of the cell');
    assert.match(e.traceback.join('\n'), /cell-\d+:6:\d+/, 'called from line 6');
    assert.ok(!e.traceback.join('\n').includes('node:internal'), 'no frames of the runner itself');
    assert.equal(resultText((await run(runner, 'before + 1')).outputs), '2');
  });

  test('a stack printed with console.error names the cell line too', async () => {
    const { outputs } = await run(runner, '\n\nconsole.error(new Error("printed"));');
    const text = outputs.map((o) => (o.output_type === 'stream' ? o.text : '')).join('');
    assert.match(text, /^Error: printed\n\s+at cell-\d+:3:\d+/);
  });

  test('a rejected promise is an error output too', async () => {
    const { result, outputs } = await run(runner, 'await Promise.reject(new RangeError("nope"))');
    assert.equal(result.status, 'error');
    assert.equal(errorOf(outputs).ename, 'RangeError');
    const thrown = await run(runner, 'throw "a string"');
    assert.equal(thrown.result.status, 'error');
    assert.equal(errorOf(thrown.outputs).evalue, "'a string'");
    assert.equal((await run(runner, '1')).result.status, 'ok');
  });

  test('a syntax error reports the line and column in the cell', async () => {
    const { result, outputs } = await run(runner, 'const ok = 1;\nconst broken = 2 +;\n');
    assert.equal(result.status, 'error');
    const e = errorOf(outputs);
    assert.equal(e.ename, 'SyntaxError');
    assert.match(e.evalue, /Expression expected\. \(line 2, column 19\)/);
    assert.ok(e.traceback.includes('const broken = 2 +;'));
    assert.equal((await run(runner, 'typeof ok')).outputs.length, 1, 'the runner still works');
  });

  test('output from a timer a finished cell left running is dropped, and never crashes the worker', async () => {
    await run(runner, 'setTimeout(() => { console.log("late"); throw new Error("late error"); }, 20);');
    const { outputs } = await run(runner, 'await new Promise((r) => setTimeout(r, 60));\n"next"');
    assert.deepEqual(outputs.map((o) => o.output_type), ['execute_result']);
    const caught = await run(runner, 'setTimeout(() => { throw new Error("while running"); }, 1);\nawait new Promise((r) => setTimeout(r, 60));');
    assert.equal(caught.result.status, 'ok', 'an error nobody awaited does not fail the cell');
    assert.match(caught.outputs.map((o) => (o.output_type === 'stream' ? o.text : '')).join(''), /^Uncaught Error: while running\n\s+at Timeout\._onTimeout \(cell-\d+:1:\d+\)/);
    assert.equal(runner.state, 'idle');
  });

  test('a runaway loop is stopped by restarting: variables are gone, the runner works again', async () => {
    await run(runner, 'const kept = "before the loop"');
    const looping = runner.execute('while (true) {}');
    const settled = looping.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    assert.equal(await runner.stop(), 'restarted');
    const err = await settled;
    assert.ok(err instanceof KernelError && !(err instanceof KernelDiedError), `the stopped cell rejects: ${String(err)}`);
    assert.equal(runner.state, 'idle');
    assert.equal(resultText((await run(runner, 'typeof kept')).outputs), "'undefined'");
    assert.equal((await run(runner, '40 + 2')).result.executionCount, 2, 'a fresh counter after the restart');
    assert.equal(await runner.stop(), 'idle', 'stop on an idle runner does nothing');
  });
});

describe('relative imports and JavaScript mode', () => {
  let runner: TypeScriptRunner;
  before(async () => {
    writeFileSync(path.join(folder, 'helper.mjs'), 'export const greet = (who) => `hello ${who}`;\nexport default 41;\n');
    writeFileSync(path.join(folder, 'typed.ts'), 'export function twice(n: number): number { return n * 2; }\n');
    runner = await TypeScriptRunner.start({ cwd: folder, language: 'javascript', env: { RAILBOOK_TEST_VAR: 'from-env' } });
  });
  after(() => runner.shutdown());

  test('relative .mjs and .ts files resolve from the notebook folder', async () => {
    const { result, outputs } = await run(runner, 'import answer, { greet } from "./helper.mjs";\nimport { twice } from "./typed.ts";\n[greet("you"), answer + 1, twice(21)]');
    assert.equal(result.status, 'ok', JSON.stringify(outputs));
    assert.equal(resultText(outputs), "[ 'hello you', 42, 42 ]");
  });

  test('JavaScript cells keep state, and type annotations are a syntax error there', async () => {
    assert.equal(runner.label, 'javascript (Node)');
    await run(runner, 'let items = [1, 2, 3];\nconst [head] = items;');
    assert.equal(resultText((await run(runner, 'items.map((x) => x * head).join(",")')).outputs), "'1,2,3'");
    const typed = await run(runner, 'const x: number = 1;');
    assert.equal(typed.result.status, 'error');
    assert.equal(errorOf(typed.outputs).ename, 'SyntaxError');
  });

  test('env is the worker process.env; import.meta and dynamic import() see the notebook folder', async () => {
    const { outputs } = await run(runner, '({ env: process.env.RAILBOOK_TEST_VAR, dir: import.meta.dirname, mod: (await import("./helper.mjs")).default })');
    const r = outputs[0];
    assert.ok(r?.output_type === 'execute_result');
    assert.deepEqual(r.data['application/json'], { env: 'from-env', dir: folder, mod: 41 });
  });
});

describe('the worker dies or is shut down', () => {
  test('process.exit() in a cell rejects with KernelDiedError and the runner is dead', async () => {
    const states: RunnerState[] = [];
    const runner = await TypeScriptRunner.start({ cwd: folder, language: 'typescript', onStateChange: (s) => states.push(s) });
    await assert.rejects(runner.execute('console.log("bye"); process.exit(3)'), (err: unknown) => {
      assert.ok(err instanceof KernelDiedError);
      assert.equal(err.kernelName, 'typescript (Node)');
      assert.deepEqual(err.exit, { code: 3, signal: null });
      return true;
    });
    assert.equal(runner.state, 'dead');
    await assert.rejects(runner.execute('1'), KernelDiedError);
    await runner.restart();
    assert.equal((await run(runner, '1 + 1')).result.status, 'ok', 'a restart brings it back');
    await runner.shutdown();
    assert.equal(runner.state, 'shutdown');
    assert.deepEqual(states.slice(0, 4), ['idle', 'busy', 'dead', 'starting']);
  });

  test('running out of memory kills the worker: KernelDiedError saying so', async () => {
    const runner = await TypeScriptRunner.start({ cwd: folder, language: 'typescript', memoryLimitMb: 64 });
    await assert.rejects(runner.execute('const hog: number[][] = [];\nwhile (true) hog.push(new Array(100_000).fill(1));'), (err: unknown) => {
      assert.ok(err instanceof KernelDiedError);
      assert.match(err.message, /memory/);
      return true;
    });
    assert.equal(runner.state, 'dead');
    await runner.shutdown();
    assert.equal(runner.state, 'shutdown');
  });

  test('shutdown() leaves no worker: the runner refuses work (and this file can exit)', async () => {
    const runner = await TypeScriptRunner.start({ cwd: folder, language: 'javascript' });
    await runner.shutdown();
    assert.equal(runner.state, 'shutdown');
    await assert.rejects(runner.execute('1'), KernelError);
    await runner.shutdown();
  });
});
