// A job run on a key that already exists must not silently keep the run's values when the job
// gives other ones: it is refused (exit 2, naming step and field) or, asked to, re-runs from the
// first changed step. Identical inputs resume silently. Also: every bad field is reported at once.
// The runs are the store's: on both backends (the CLI children get RAILBOOK_DATABASE_URL).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkJob, InputsChangedError, JobFileError, type JobFile } from '../../src/engine/job-file.ts';
import { runJob } from '../../src/engine/job-runner.ts';
import { Store } from '../../src/store/store.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { cliData, railbookCli, type CliData } from '../helpers/railbook-cli.ts';
import { FIXTURE_WORKFLOWS_DIR, tempEngine } from '../helpers/temp-engine.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORKFLOWS = [path.join(ROOT, 'workflows'), FIXTURE_WORKFLOWS_DIR].join(path.delimiter);

function writeJob(dir: string, name: string, job: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(job, null, 2));
  return file;
}

/** The run's state and event count, read straight from the store the CLI used. */
async function peek(d: CliData, key: string) {
  const store = await Store.open(d.dir, { databaseUrl: d.databaseUrl });
  try {
    return { state: (await store.runs.get(key))!, events: (await store.events.forRun(key, 1000)).length, runs: (await store.runs.list()).length };
  } finally {
    await store.close();
  }
}

forEachBackend((backend) => {
  describe(`railbook run on an existing key (${backend})`, () => {
    let d: CliData;
    let args: string[] = [];
    let ada = '';
    let bob = '';
    const railbook = (a: string[]) => railbookCli(a, { env: d.env });
    before(async () => {
      d = await cliData(backend, 'railbook-conflict-');
      args = ['--data-dir', d.dir, '--workflows-dir', WORKFLOWS];
      ada = writeJob(d.dir, 'ada.json', { workflow: 'hello', inputs: { name: { name: 'Ada' } } });
      bob = writeJob(d.dir, 'bob.json', { workflow: 'hello', inputs: { name: { name: 'Bob' } } });
    });
    after(() => d?.cleanup());

    it('refuses other inputs with exit 2, naming the step and field, and changes nothing', async () => {
      const first = await railbook(['run', ada, '--key', 'k', ...args]);
      assert.equal(first.code, 0, first.stderr);
      const before = await peek(d, 'k');

      const r = await railbook(['run', bob, '--key', 'k', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /run k already did step "name" \(Your name\) with "Ada"; the job file gives "Bob"/);
      assert.match(r.stderr, /nothing was changed/);
      assert.match(r.stderr, /--rerun-changed/);
      assert.doesNotMatch(r.stderr, /was kept; resume/);
      assert.equal(r.stdout, '', 'no run key is printed for a refused job');
      const now = await peek(d, 'k');
      assert.deepEqual(now.state, before.state);
      assert.equal(now.events, before.events, 'not even an event');
    });

    it('identical inputs resume silently', async () => {
      const r = await railbook(['run', ada, '--key', 'k', ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal(r.stdout, 'k\n');
    });

    it('--rerun-changed reverts to the first changed step and runs on from there', async () => {
      const r = await railbook(['run', bob, '--key', 'k', '--rerun-changed', ...args]);
      assert.equal(r.code, 0, r.stderr);
      const { state } = await peek(d, 'k');
      assert.deepEqual(state.steps.name!.output, { name: 'Bob' });
      // The later step ran again on the new value (its suggestion follows the name).
      assert.deepEqual(state.steps.greeting!.output, { greeting: 'Hello, Bob!', length: 11 });
    });

    it('reports every bad field at once, and a bad "key" in the file as "key"', async () => {
      const bad = writeJob(d.dir, 'bad.json', { workflow: 'hello', key: 'bad key!', inputs: { name: { name: 42 }, greeting: { greeting: 7 }, nope: {} } });
      const r = await railbook(['run', bad, ...args]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /bad job file .*bad\.json: 4 problems:/);
      assert.match(r.stderr, /^\s+key: /m);
      assert.doesNotMatch(r.stderr, /--key/);
      assert.match(r.stderr, /^\s+inputs\.nope: workflow "hello" has no step "nope"/m);
      assert.match(r.stderr, /^\s+inputs\.name\.name: /m);
      assert.match(r.stderr, /^\s+inputs\.greeting\.greeting: /m);
    });

    it('a bad --key is named as --key', async () => {
      const r = await railbook(['run', ada, '--key', 'bad key!', ...args]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--key: /);
    });
  });

  describe(`jobs racing on one new key (${backend})`, () => {
    it('in one process: one wins, the other is told (never silently merged)', async () => {
      const t = await tempEngine({ backend });
      try {
        const job = (name: string): JobFile => ({ workflow: 'hello', key: 'race', inputs: { name: { name } } });
        const results = await Promise.allSettled([runJob(t.engine, job('Ada')), runJob(t.engine, job('Bob'))]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(won.length, 1);
        assert.equal(lost.length, 1);
        assert.ok(lost[0]!.reason instanceof InputsChangedError, String(lost[0]!.reason));
        const winner = ((await t.engine.get('race')).steps.name!.output as { name: string }).name;
        assert.match((lost[0]!.reason as Error).message, new RegExp(`with "${winner}"`));
      } finally {
        await t.close();
      }
    });

    it('in two processes: one exits 0, the other exits 2 after waiting for the step it raced for', { timeout: 60_000 }, async () => {
      const d = await cliData(backend, 'railbook-race-');
      try {
        const job = (steps: number) => writeJob(d.dir, `slow-${steps}.json`, { workflow: 'slow', key: 'race', inputs: { count: { steps, delay: 20 }, check: { word: 'ok' } } });
        const run = (file: string) => railbookCli(['run', file, '--data-dir', d.dir, '--workflows-dir', WORKFLOWS], { env: d.env });
        const [a, b] = await Promise.all([run(job(20)), run(job(30))]);
        const codes = [a.code, b.code].sort();
        assert.deepEqual(codes, [0, 2], `${a.stderr}\n---\n${b.stderr}`);
        const loser = a.code === 2 ? a : b;
        assert.match(loser.stderr, /already did step "count" \(Count slowly\)/);
        const { state } = await peek(d, 'race');
        assert.equal(state.steps.check!.status, 'done');
      } finally {
        await d.cleanup();
      }
    });
  });
});

describe('checkJob', () => {
  it('collects every problem, each naming its field', async () => {
    const t = await tempEngine();
    try {
      const job: JobFile = { workflow: 'slow', profile: 'ghost', inputs: { count: { steps: 0, delay: -1 }, check: { word: 5 }, extra: {} } };
      await assert.rejects(checkJob(t.engine, job), (e: unknown) => {
        assert.ok(e instanceof JobFileError);
        assert.deepEqual(e.problems.map((p) => p.field).sort(), ['inputs.check.word', 'inputs.count.delay', 'inputs.count.steps', 'inputs.extra', 'profile']);
        return true;
      });
      assert.equal((await t.engine.store.runs.list()).length, 0);
    } finally {
      await t.close();
    }
  });
});
