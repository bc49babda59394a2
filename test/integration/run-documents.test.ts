// A run's outputs as memory documents: runDocuments over a real engine (SQLite in a temp folder,
// the built-in `hello` workflow), the text each kind of output becomes, and
// `railbook memory add run:<key>` storing them in the data folder's memory.db.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { outputText, runDocuments } from '../../src/ai/memory/run-documents.ts';
import { VectorMemory } from '../../src/ai/memory/vector-memory.ts';
import { memoryCommand } from '../../src/cli/commands/memory.ts';
import { describeError } from '../../src/cli/errors.ts';
import { EngineError } from '../../src/engine/errors.ts';
import { tempDir, tempEngine, type TempEngine } from '../helpers/temp-engine.ts';

describe('runDocuments', () => {
  const data = tempDir('railbook-rundocs-');
  let t: TempEngine;
  let done: string;
  let half: string;

  before(async () => {
    t = await tempEngine({ dataDir: data.dir });
    done = (await t.engine.open('hello')).state.key;
    await (await t.engine.submit(done, 'name', { name: 'Ada' })).completion;
    await (await t.engine.submit(done, 'greeting', { greeting: 'Hello, Ada!' })).completion;
    half = (await t.engine.open('hello')).state.key;
    await (await t.engine.submit(half, 'name', { name: 'Grace' })).completion;
  });
  after(async () => {
    await t?.close();
    data.cleanup();
  });

  test('one document per done step, named run:<key>/<step>, titled with the workflow and step', async () => {
    const docs = await runDocuments(t.engine, done);
    assert.deepEqual(docs, [
      { source: `run:${done}/name`, kind: 'run', title: `Hello · Your name (${done})`, text: 'name: Ada' },
      { source: `run:${done}/greeting`, kind: 'run', title: `Hello · Greeting (${done})`, text: 'greeting: Hello, Ada!\nlength: 11' },
    ]);
    const capped = await runDocuments(t.engine, done, { maxChars: 8 });
    assert.equal(capped[1]!.text, 'greeting\n… (cut: the output has 32 characters; the first 8 are kept)');
    const partial = await runDocuments(t.engine, half);
    assert.deepEqual(partial.map((d) => d.source), [`run:${half}/name`], 'steps not done are left out');
  });

  test('a run that does not exist is the engine\'s not_found', async () => {
    await assert.rejects(runDocuments(t.engine, 'no-such-run'), (e: unknown) => e instanceof EngineError && e.code === 'not_found');
  });

  test('outputs as readable text: strings as they are, records as lines, deeper values as JSON, files by name, capped', () => {
    assert.equal(outputText('plain words'), 'plain words');
    assert.equal(outputText(42), '42');
    assert.equal(outputText(null), '');
    const file = { artifact: true, path: 'artifacts/k/a.csv', sha256: 'x'.repeat(64), size: 120, name: 'data.csv', mime: 'text/csv' };
    assert.equal(outputText(file), 'file "data.csv" (text/csv, 120 bytes)');
    assert.equal(outputText({ rows: 3, report: file }), 'rows: 3\nreport: file "data.csv" (text/csv, 120 bytes)');
    const nested = outputText({ stats: { mean: 1.5 }, files: [file] });
    assert.equal(nested, JSON.stringify({ stats: { mean: 1.5 }, files: ['file "data.csv" (text/csv, 120 bytes)'] }, null, 2));
    assert.doesNotMatch(nested, /sha256|artifacts\//, 'no hashes or storage paths');
  });

  test('railbook memory add run:<key> stores the run\'s outputs in the data folder\'s memory', async () => {
    let stdout = '';
    let stderr = '';
    const program = new Command('railbook').exitOverride();
    memoryCommand(program, { env: {}, stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; } });
    const run = async (...args: string[]) => {
      stdout = '';
      stderr = '';
      try {
        await program.parseAsync(['node', 'railbook', 'memory', 'add', ...args, '--data-dir', data.dir]);
        return 0;
      } catch (e) {
        if (e instanceof CommanderError) return e.exitCode;
        stderr += describeError(e).message;
        return describeError(e).exitCode;
      }
    };
    assert.equal(await run(`run:${done}`), 0, stderr);
    assert.match(stdout, new RegExp(`added  run:${done}/name  \\(1 chunk\\)`));
    assert.match(stdout, new RegExp(`added  run:${done}/greeting`));
    assert.match(stderr, /will be embedded .* once an embedding model is set/, 'no model: kept, waiting');
    const mem = VectorMemory.open(data.dir);
    try {
      const docs = mem.documents();
      assert.deepEqual(docs.map((d) => [d.source, d.kind, d.title]).sort(), [
        [`run:${done}/greeting`, 'run', `Hello · Greeting (${done})`],
        [`run:${done}/name`, 'run', `Hello · Your name (${done})`],
      ]);
    } finally {
      mem.close();
    }
    // A key that is not a run: bad input, said in words.
    assert.equal(await run('run:nope-01'), 2);
    assert.match(stderr, /no run "nope-01"/);
  });
});
