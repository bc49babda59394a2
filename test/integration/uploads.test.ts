// Uploads end to end over real HTTP: streamed to a temp file in the data folder and moved into the
// run's artifacts, so a 1 GB upload leaves the server's memory flat (measured in a real server
// process from /proc); one configurable limit, refused with 413 naming it and leaving no trace;
// multipart refused up front on a step without files; giant text never echoed back whole.
// SQLite only: uploads are the HTTP layer's and the data folder's; the database sees an ordinary
// submit (the web suites that concern stored runs run on both backends).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/engine/engine.ts';
import { BUILTIN_WORKFLOWS_DIR, loadWorkflows } from '../../src/engine/registry.ts';
import type { ArtifactRef } from '../../src/store/artifact-ref.ts';
import { Store } from '../../src/store/store.ts';
import { uploadTempDir, uploadTempName } from '../../src/store/uploaded-file.ts';
import { startServer, type RunningServer } from '../../src/web/server.ts';
import { postMultipart } from '../helpers/multipart-upload.ts';
import { cleanEnv, railbookCli } from '../helpers/railbook-cli.ts';
import { memoryOf, MiB } from '../helpers/rss.ts';
import { FIXTURE_WORKFLOWS_DIR, tempDir } from '../helpers/temp-engine.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHILD = path.join(ROOT, 'test/helpers/serve-child.ts');
const UPLOAD_FIXTURES = path.join(ROOT, 'test/fixtures/upload-workflows');

/** Files under a folder (recursive), or [] if it does not exist. */
function filesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => statSync(path.join(dir, f)).isFile()).sort();
}

/** Waits (bounded) until the request's temp files are gone: they are removed as the response closes. */
async function noTempUploads(dataDir: string): Promise<void> {
  for (let i = 0; i < 100 && filesIn(uploadTempDir(dataDir)).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(filesIn(uploadTempDir(dataDir)), [], 'no temp upload is left in the data folder');
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest('hex');
}

async function csrfOf(base: string): Promise<string> {
  return /<meta name="csrf-token" content="([^"]+)"/.exec(await (await fetch(`${base}/`)).text())![1]!;
}

describe('a 1 GB upload to a real server process', () => {
  let proc: ChildProcess;
  let base: string;
  const data = tempDir('railbook-upload-mem-');

  before(async () => {
    const env = cleanEnv();
    proc = spawn(process.execPath, ['--import', 'tsx', CHILD, data.dir, UPLOAD_FIXTURES], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    base = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /RAILBOOK_URL (\S+)/.exec(out);
        if (m) resolve(m[1]!.replace(/\/$/, ''));
      });
      proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
      proc.once('exit', (code) => reject(new Error(`the server exited (${code}): ${err}`)));
    });
  });

  after(async () => {
    if (proc.exitCode === null) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    }
    data.cleanup();
  });

  test('keeps the server\'s memory flat, and the artifact has the size and SHA-256 of what was sent', { timeout: 300_000 }, async (t) => {
    const csrf = await csrfOf(base);
    const opened = await fetch(`${base}/wf/uploads/runs`, { method: 'POST', redirect: 'manual', headers: { Origin: base }, body: new URLSearchParams({ _csrf: csrf, key: '', action: 'new' }) });
    assert.equal(opened.status, 303);
    const key = /^\/wf\/uploads\/runs\/([^/?#]+)$/.exec(opened.headers.get('location') ?? '')?.[1];
    assert.ok(key, `a new run: ${opened.headers.get('location')}`);
    // Warm up the upload path (first-use allocations are not what this measures).
    const warm = await postMultipart(`${base}/wf/uploads/runs/${key}/steps/big`, [{ name: '_csrf', value: csrf }, { name: 'file', filename: 'warm.bin', size: 4 * MiB }], { headers: { Origin: base } });
    assert.equal(warm.status, 303, warm.text);
    const revert = await fetch(`${base}/wf/uploads/runs/${key}/steps/big/revert`, { method: 'POST', redirect: 'manual', headers: { Origin: base, 'X-CSRF-Token': csrf }, body: new URLSearchParams({ confirm: 'yes' }) });
    assert.ok(revert.status < 400, `revert: ${revert.status}`);

    const pid = proc.pid!;
    const baseline = memoryOf(pid);
    let highest = baseline.rss;
    const sampler = setInterval(() => { highest = Math.max(highest, memoryOf(pid).rss); }, 100);
    const size = 1024 * MiB;
    let r;
    try {
      // The token as the first part, as the app's own form sends it (no JavaScript, no header).
      r = await postMultipart(`${base}/wf/uploads/runs/${key}/steps/big`, [{ name: '_csrf', value: csrf }, { name: 'file', filename: 'crawl export.log', type: 'text/plain', size }], { headers: { Origin: base } });
    } finally {
      clearInterval(sampler);
    }
    assert.equal(r.status, 303, r.text.slice(0, 300));
    const peak = Math.max(highest, memoryOf(pid).peak);
    const growth = peak - baseline.rss;
    t.diagnostic(`server RSS ${Math.round(baseline.rss / MiB)} MiB before, peak ${Math.round(peak / MiB)} MiB during a 1 GiB upload`);
    assert.ok(growth < 200 * MiB, `the server grew by ${Math.round(growth / MiB)} MiB during a 1 GiB upload (from ${Math.round(baseline.rss / MiB)} MiB)`);

    const state = await (await fetch(`${base}/api/runs/${key}`)).json() as { steps: Record<string, { status: string; output: { file: ArtifactRef } }> };
    assert.equal(state.steps.big!.status, 'done');
    const ref = state.steps.big!.output.file;
    assert.equal(ref.size, size);
    assert.equal(ref.sha256, r.sent.file);
    assert.equal(ref.name, 'crawl export.log');
    const onDisk = path.join(data.dir, ref.path);
    assert.equal(statSync(onDisk).size, size);
    assert.equal(await sha256File(onDisk), r.sent.file, 'the bytes on disk are the bytes sent');
    await noTempUploads(data.dir);
  });
});

describe('the upload limit, in a server started with a 1 MB limit', () => {
  const LIMIT = 1_000_000;
  const data = tempDir('railbook-upload-limit-');
  let engine: Engine;
  let server: RunningServer;
  let base: string;
  let csrf: string;
  let leftAtStart: string[] = [];

  before(async () => {
    // A temp upload a killed server left behind, and one of a process that still runs (this one's
    // parent stands in for a live server sharing the folder): only the dead one's is swept.
    const tmp = uploadTempDir(data.dir);
    mkdirSync(tmp, { recursive: true });
    writeFileSync(path.join(tmp, uploadTempName('deadbeef', 2 ** 22 + 12345)), 'left by a dead process');
    writeFileSync(path.join(tmp, uploadTempName('cafe', process.ppid)), 'a live upload');
    const registry = await loadWorkflows([BUILTIN_WORKFLOWS_DIR, FIXTURE_WORKFLOWS_DIR, UPLOAD_FIXTURES]);
    engine = await Engine.start(await Store.open(data.dir), registry, { maxUploadBytes: LIMIT });
    server = await startServer({ engine, port: 0 });
    // What the start-up sweep left; the live one is then removed, so the tests below start clean.
    leftAtStart = filesIn(tmp);
    for (const f of leftAtStart) rmSync(path.join(tmp, f));
    base = `http://127.0.0.1:${server.port}`;
    csrf = await csrfOf(base);
  });

  after(async () => {
    await server?.close();
    await engine?.shutdown();
    await engine?.store.close();
    data.cleanup();
  });

  test('start-up removes temp uploads of dead processes only', () => {
    assert.equal(leftAtStart.length, 1, `left: ${leftAtStart.join(', ')}`);
    assert.match(leftAtStart[0]!, new RegExp(`^${process.ppid}\\.`));
  });

  /** A new run of the uploads fixture with the steps before `stepId` done (small files given by path, as a job file does). */
  const openAt = async (key: string, stepId: 'small' | 'words') => {
    const file = path.join(data.dir, 'tiny.txt');
    writeFileSync(file, 'tiny');
    await engine.open('uploads', { key });
    await (await engine.submit(key, 'big', { file })).completion;
    if (stepId === 'words') await (await engine.submit(key, 'small', { note: 'n', file })).completion;
  };

  /** Everything a refused upload could have touched. */
  const snapshot = async (key: string) => ({
    state: await engine.get(key),
    events: (await engine.store.events.forRun(key)).length,
    artifacts: filesIn(path.join(data.dir, 'artifacts', key)),
  });

  test('a file over the limit: 413 naming the limit, nothing stored, no temp file left, the run unchanged', async () => {
    await engine.open('uploads', { key: 'over-1' });
    const before = await snapshot('over-1');
    const cases = [
      { how: 'with a Content-Length', chunked: false, size: 3 * LIMIT },
      { how: 'chunked (no length declared)', chunked: true, size: 3 * LIMIT },
      // Declared far beyond anything the step takes: refused from the headers alone.
      { how: 'far too large', chunked: false, size: 20 * LIMIT },
    ];
    for (const c of cases) {
      const r = await postMultipart(`${base}/wf/uploads/runs/over-1/steps/big`, [{ name: '_csrf', value: csrf }, { name: 'file', filename: 'big.bin', size: c.size }], { headers: { Origin: base }, chunked: c.chunked });
      assert.equal(r.status, 413, `${c.how}: ${r.status} ${r.text}`);
      assert.match(r.text, /at most 1\.0 MB per file/, c.how);
      assert.match(r.text, /Nothing was saved/, c.how);
      assert.ok(r.text.length < 1000, `${c.how}: a short answer`);
      assert.ok(r.headers['content-security-policy'], `${c.how}: the refusal carries the security headers`);
      await noTempUploads(data.dir);
    }
    // A field's own smaller limit (1000 bytes) is named as such.
            const r = await postMultipart(`${base}/wf/uploads/runs/over-1/steps/small`, [{ name: 'note', value: 'hi' }, { name: 'file', filename: 'small.bin', size: 5000 }], { headers: { Origin: base, 'X-CSRF-Token': csrf, 'HX-Request': 'true' } });
    assert.equal(r.status, 413);
    assert.match(r.text, /at most 1\.0 kB per file/);
    assert.deepEqual(await snapshot('over-1'), before, 'nothing about the run changed');
    await noTempUploads(data.dir);
  });

  test('a file within the limit is stored by its SHA-256, and the form states the limit', async () => {
    await engine.open('uploads', { key: 'ok-1' });
    const page = await (await fetch(`${base}/wf/uploads/runs/ok-1`)).text();
    assert.match(page, /id="f-big-file-limit"[^>]*><small>At most 1\.0 MB per file\.<\/small>/);
    assert.match(page, /aria-describedby="[^"]*f-big-file-limit/);
    const r = await postMultipart(`${base}/wf/uploads/runs/ok-1/steps/big`, [{ name: 'file', filename: 'ok.bin', size: LIMIT }], { headers: { Origin: base, 'X-CSRF-Token': csrf, 'HX-Request': 'true' } });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const ref = ((await engine.get('ok-1')).steps.big!.output as { file: ArtifactRef }).file;
    assert.equal(ref.size, LIMIT);
    assert.equal(ref.sha256, r.sent.file);
    assert.equal(await sha256File(path.join(data.dir, ref.path)), r.sent.file);
    // The next step's field has its own, smaller limit, and says so.
    const small = await (await fetch(`${base}/wf/uploads/runs/ok-1`)).text();
    assert.match(small, /id="f-small-file-limit"[^>]*><small>At most 1\.0 kB per file\.<\/small>/);
    await noTempUploads(data.dir);
  });

  test('temp files go when the request ends: refused input (422), a client that goes away mid-upload', async () => {
    await openAt('gone-1', 'small');
    const before = await snapshot('gone-1');
    // A fine file, but the required note is missing: refused per field, the upload not kept.
    const r = await postMultipart(`${base}/wf/uploads/runs/gone-1/steps/small`, [{ name: 'file', filename: 'ok.txt', size: 500 }], { headers: { Origin: base, 'X-CSRF-Token': csrf, 'HX-Request': 'true' } });
    assert.equal(r.status, 422, r.text.slice(0, 200));
    await noTempUploads(data.dir);
    // Half a file, then the connection drops.
    const boundary = 'XyZgone';
    await new Promise<void>((resolve) => {
      const req = request(`${base}/wf/uploads/runs/gone-1/steps/big`, {
        method: 'POST',
        headers: { Origin: base, 'X-CSRF-Token': csrf, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(900_000) },
      });
      req.on('error', () => resolve());
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.bin"\r\n\r\n`);
      req.write(Buffer.alloc(400_000, 7), () => {
        // Give the server a moment to start writing its temp file, then drop the connection.
        const waitForTemp = async () => {
          for (let i = 0; i < 100 && filesIn(uploadTempDir(data.dir)).length === 0; i++) await new Promise((w) => setTimeout(w, 20));
          req.destroy();
          resolve();
        };
        void waitForTemp();
      });
    });
    await noTempUploads(data.dir);
    assert.deepEqual(await snapshot('gone-1'), before);
  });

  test('multipart to a step without file fields is refused at once, before its body is sent', async () => {
    await openAt('words-1', 'words');
    const before = await snapshot('words-1');
    // Headers promising 100 MB, and not one byte of body: the answer must come anyway.
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${base}/wf/uploads/runs/words-1/steps/words`, {
        method: 'POST',
        headers: { Origin: base, 'X-CSRF-Token': csrf, 'Content-Type': 'multipart/form-data; boundary=XyZ', 'Content-Length': String(100 * 1024 * 1024) },
      }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => { text += d.toString(); });
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, text }); req.destroy(); });
      });
      req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
      req.flushHeaders();
    });
    assert.equal(answer.status, 415);
    assert.match(answer.text, /takes no files/);
    assert.deepEqual(await snapshot('words-1'), before);
  });

  test('a 10 MB text value: a short answer that says why, never the value echoed back', async () => {
    await openAt('text-1', 'small');
    const before = await snapshot('text-1');
    const tenMB = 'x'.repeat(10 * 1024 * 1024);
    // In a multipart form (beside a file field): text is held to the 2 MB a form without files gets.
    for (const chunked of [true, false]) {
      const m = await postMultipart(`${base}/wf/uploads/runs/text-1/steps/small`, [{ name: 'note', value: tenMB }, { name: 'file', filename: 'a.txt', size: 10 }], { headers: { Origin: base, 'X-CSRF-Token': csrf, 'HX-Request': 'true' }, chunked });
      assert.equal(m.status, 413);
      assert.ok(m.text.length < 1000, `a short answer (${m.text.length} characters)`);
      // Counted as it arrives (chunked), or refused from its declared length.
      assert.match(m.text, /too large.*: this form takes at most 1\.0 kB per file and 2\.1 MB of text/);
      await noTempUploads(data.dir);
    }

    // A value under the body limit but far beyond the field: refused per field, shown only in part.
    for (const hx of [true, false]) {
      const big = 'y'.repeat(1_500_000);
      const r = await fetch(`${base}/wf/uploads/runs/text-1/steps/small`, {
        method: 'POST', redirect: 'manual',
        headers: { Origin: base, ...(hx ? { 'X-CSRF-Token': csrf, 'HX-Request': 'true' } : {}) },
        body: (() => {
          const f = new FormData();
          if (!hx) f.set('_csrf', csrf);
          f.set('note', big);
          f.set('file', new File(['x'.repeat(5000)], 'too-big.txt'));
          return f;
        })(),
      });
      const text = await r.text();
      assert.equal(r.status, 413, text.slice(0, 200));
      // The words step: urlencoded, a 1.5 MB word for a 20-character field.
      await openAt(`text-${hx}`, 'words');
      const w = await fetch(`${base}/wf/uploads/runs/text-${hx}/steps/words`, {
        method: 'POST', redirect: 'manual',
        headers: { Origin: base, ...(hx ? { 'X-CSRF-Token': csrf, 'HX-Request': 'true' } : {}) },
        body: new URLSearchParams({ word: big, ...(hx ? {} : { _csrf: csrf }) }),
      });
      const page = await w.text();
      assert.equal(w.status, 422, page.slice(0, 200));
      assert.ok(page.length < 200_000, `hx ${hx}: the page is small (${page.length} characters), not the 1.5 MB value echoed`);
      assert.match(page, /Enter at most 20 characters/);
      assert.match(page, /The value sent was 1\.5 MB; only its start is shown here/);
      assert.equal((await engine.get(`text-${hx}`)).steps.words!.status, 'pending');
    }
    assert.deepEqual(await snapshot('text-1'), before);
  });
});

describe('railbook run and the upload limit', () => {
  const data = tempDir('railbook-upload-cli-');
  after(() => data.cleanup());

  const railbook = (args: string[], env: NodeJS.ProcessEnv = {}) => railbookCli(args, { env });
  const dirs = ['--data-dir', data.dir, '--workflows-dir', [BUILTIN_WORKFLOWS_DIR, UPLOAD_FIXTURES].join(path.delimiter)];

  test('a job file naming a file over the limit exits 2 naming the limit, and writes nothing', { timeout: 60_000 }, async () => {
    writeFileSync(path.join(data.dir, 'log.txt'), 'z'.repeat(5000));
    writeFileSync(path.join(data.dir, 'tiny.txt'), 'tiny');
    const job = path.join(data.dir, 'job.json');
    writeFileSync(job, JSON.stringify({ workflow: 'uploads', key: 'cli-big', inputs: { big: { file: 'log.txt' }, small: { note: 'n', file: 'tiny.txt' }, words: { word: 'w' } } }));
    for (const [how, args, env] of [
      ['--max-upload', ['--max-upload', '2kB'], {}],
      ['$RAILBOOK_MAX_UPLOAD', [], { RAILBOOK_MAX_UPLOAD: '2kB' }],
    ] as [string, string[], NodeJS.ProcessEnv][]) {
      const r = await railbook(['run', job, ...args, ...dirs], env);
      assert.equal(r.code, 2, `${how}: ${r.stderr}`);
      assert.match(r.stderr, /inputs\.big\.file: Choose a file of at most 2\.0 kB \(this one is 5\.0 kB\)/, how);
      assert.match(r.stderr, /--max-upload/, `${how}: says how to raise it`);
      assert.ok(!existsSync(path.join(data.dir, 'artifacts', 'cli-big')), `${how}: nothing stored`);
    }
    // Within the limit it runs (the flag wins over the environment).
    const ok = await railbook(['run', job, '--max-upload', '1MB', ...dirs], { RAILBOOK_MAX_UPLOAD: '2kB' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(filesIn(path.join(data.dir, 'artifacts', 'cli-big')).length, 2);
  });

  test('a bad limit is bad usage (exit 2) that says what is accepted; --help states the limit', { timeout: 60_000 }, async () => {
    for (const [args, env, source] of [
      [['serve', '--max-upload', 'lots', '--port', '0', '--no-open'], {}, '--max-upload'],
      [['serve', '--port', '0', '--no-open'], { RAILBOOK_MAX_UPLOAD: '-5GB' }, '\\$RAILBOOK_MAX_UPLOAD'],
      [['run', 'nothing.json', '--max-upload', '0'], {}, '--max-upload'],
    ] as [string[], NodeJS.ProcessEnv, string][]) {
      const r = await railbook([...args, ...dirs], env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${source}: .*(500MB|above zero)`), r.stderr);
    }
    for (const cmd of ['serve', 'run']) {
      const help = await railbook([cmd, '--help']);
      assert.match(help.stdout, /--max-upload <size>/, cmd);
      assert.match(help.stdout, /RAILBOOK_MAX_UPLOAD/, cmd);
      assert.match(help.stdout, /10 GB/, cmd);
    }
  });
});
