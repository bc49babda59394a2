// `railbook memory add | search | documents | reembed` in this process, on a command of their own
// (main.ts registers it), against a real HTTP server speaking Ollama's protocol
// (test/helpers/fake-ollama.ts, its /api/embed answering with the hashing embedder) and a test
// web server for URLs; real memory.db files in temp folders.
import { runInProcess } from '../helpers/in-process-cli.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readSource, SourceError } from '../../src/ai/memory/sources.ts';
import { memoryCommand } from '../../src/cli/commands/memory.ts';
import { FakeOllama } from '../helpers/fake-ollama.ts';
import { hashingEmbedder } from '../helpers/hashing-embedder.ts';
import { tempDir } from '../helpers/temp-engine.ts';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  progress: string;
}

let ollama: FakeOllama;
let web: Server;
let webUrl: string;
const files = tempDir('railbook-memcli-files-');
const data = tempDir('railbook-memcli-');
const bare = tempDir('railbook-memcli-bare-');
const hashing = hashingEmbedder('nomic-embed-text', 96);

before(async () => {
  ollama = await FakeOllama.start();
  ollama.embed = (inputs) => inputs.map((t) => hashing.vector(t));
  web = createServer((req, res) => {
    if (req.url === '/article.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><head><title>Lighthouses</title><script>alert(1)</script></head><body><h1>Lighthouses</h1><p>A lighthouse keeper trims the lamp wick &amp; watches for ships.</p></body></html>');
    } else if (req.url === '/big.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('word '.repeat(1000));
    } else if (req.url === '/slow.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('the start');
      // …and nothing more until the client gives up.
    } else if (req.url === '/image.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not here');
    }
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;

  const folder = path.join(files.dir, 'notes');
  mkdirSync(path.join(folder, 'sub'), { recursive: true });
  mkdirSync(path.join(folder, '.git'));
  writeFileSync(path.join(folder, 'volcanoes.md'), '# Volcanoes\n\nMagma rises and erupts as lava from the volcano crater.');
  writeFileSync(path.join(folder, 'sub', 'bread.txt'), 'Knead the dough, let the yeast rise, bake the bread in a hot oven.');
  writeFileSync(path.join(folder, 'sub', 'garden.html'), '<title>Garden</title><p>Tomatoes need sun, water and rich soil.</p>');
  writeFileSync(path.join(folder, 'analysis.ipynb'), JSON.stringify({ cells: [{ cell_type: 'markdown', source: ['# Comet orbits\n', 'Telescope observations of the comet.'] }, { cell_type: 'code', source: 'orbit = fit(observations)' }], metadata: {}, nbformat: 4, nbformat_minor: 5 }));
  writeFileSync(path.join(folder, '.secret.md'), 'hidden');
  writeFileSync(path.join(folder, '.git', 'HEAD'), 'ref: refs/heads/main');
  writeFileSync(path.join(folder, 'photo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
  writeFileSync(path.join(folder, 'sub', 'dump.txt'), Buffer.from([0x41, 0x00, 0x42]));
  writeFileSync(path.join(files.dir, 'binary.txt'), Buffer.from([0xff, 0x00, 0x10, 0x20]));
  writeFileSync(path.join(files.dir, 'slides.pdf'), '%PDF-1.4');
});

after(async () => {
  await ollama.close();
  await new Promise<void>((resolve) => web.close(() => resolve()));
  for (const t of [files, data, bare]) t.cleanup();
});

const ENV = () => ({ RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: ollama.url, RAILBOOK_AI_EMBED_MODEL: 'nomic-embed-text' });

async function memory(args: string[], opts: { env?: NodeJS.ProcessEnv; dir?: string } = {}): Promise<Result> {
  return runInProcess(['memory', ...args, '--data-dir', opts.dir ?? data.dir], (program, io) => memoryCommand(program, { env: opts.env ?? ENV(), ...io }));
}

describe('railbook memory', () => {
  test('add a folder and a URL: each document named, skipped files counted with why, embedded', async () => {
    const r = await memory(['add', path.join(files.dir, 'notes'), `${webUrl}/article.html`]);
    assert.equal(r.code, 0, r.stderr);
    const added = r.stdout.trim().split('\n');
    assert.deepEqual(added.map((l) => l.split(/\s+/)[0]), ['added', 'added', 'added', 'added', 'added']);
    for (const name of ['analysis.ipynb', 'sub/bread.txt', 'sub/garden.html', 'volcanoes.md']) assert.ok(added.some((l) => l.includes(path.join(files.dir, 'notes', name))), name);
    assert.match(r.stdout, new RegExp(`added  ${webUrl}/article\\.html  \\(1 chunk\\)`));
    assert.match(r.stderr, /skipped 4 files: 2 hidden, 1 not a type Railbook reads \(\.png\), 1 looks binary/);
    assert.match(r.stderr, /embedded \d+ chunks with nomic-embed-text/);
    assert.ok(ollama.requests.some((q) => q.path === '/api/embed'));

    const again = await memory(['add', path.join(files.dir, 'notes', 'volcanoes.md')]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^unchanged {2}.*volcanoes\.md/);
  });

  test('search prints sources and scores, nearest first; --json has the citations', async () => {
    const r = await memory(['search', 'lighthouse', 'keeper', 'lamp']);
    assert.equal(r.code, 0, r.stderr);
    const first = r.stdout.split('\n')[0]!;
    assert.match(first, new RegExp(`^1\\. (0|1)\\.\\d{3} {2}${webUrl}/article\\.html {2}Lighthouses$`));
    assert.match(r.stdout, /trims the lamp wick & watches for ships/);
    assert.doesNotMatch(r.stdout, /alert/);
    assert.match(r.stderr, /chunks embedded by nomic-embed-text/);

    const j = await memory(['search', 'yeast dough oven', '-k', '2', '--json']);
    assert.equal(j.code, 0, j.stderr);
    const parsed = JSON.parse(j.stdout) as { model: string; results: { source: string; score: number; title: string; excerpt: string; chunkId: number; documentId: number }[] };
    assert.equal(parsed.model, 'nomic-embed-text');
    assert.equal(parsed.results.length, 2);
    assert.equal(parsed.results[0]!.source, path.join(files.dir, 'notes', 'sub', 'bread.txt'));
    assert.equal(parsed.results[0]!.title, 'bread.txt');
    assert.ok(parsed.results[0]!.score > parsed.results[1]!.score);

    const lava = await memory(['search', 'magma lava crater', '-k', '1', '--json']);
    assert.equal((JSON.parse(lava.stdout) as { results: { title: string }[] }).results[0]!.title, 'Volcanoes', "a Markdown file's title is its first heading");
    const nb = await memory(['search', 'comet telescope', '-k', '1', '--json']);
    assert.match((JSON.parse(nb.stdout) as { results: { source: string }[] }).results[0]!.source, /analysis\.ipynb$/);
    assert.equal((await memory(['search', 'x', '-k', '0'])).code, 2);
  });

  test('documents lists each with its state; --json too', async () => {
    const r = await memory(['documents']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^SOURCE\s+KIND\s+CHUNKS\s+STATE$/);
    assert.equal(lines.length, 6);
    for (const l of lines.slice(1)) assert.match(l, /embedded \(nomic-embed-text\)$/);
    const j = JSON.parse((await memory(['documents', '--json'])).stdout) as { active: { model: string; dims: number }; documents: { kind: string; embedding: unknown }[] };
    assert.deepEqual(j.active.model, 'nomic-embed-text');
    assert.equal(j.active.dims, 96);
    assert.deepEqual(j.documents.map((d) => d.kind).sort(), ['html', 'html', 'markdown', 'notebook', 'text']);
  });

  test('reembed: runs in the foreground with progress, and says when there is nothing to do', async () => {
    const same = await memory(['reembed']);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stderr, /already embedded by nomic-embed-text/);
    ollama.models.push({ name: 'mxbai-embed-large:latest', size: 1, modified_at: '2025-01-01T00:00:00Z', family: 'bert' });
    const r = await memory(['reembed', '--model', 'mxbai-embed-large']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /done: \d+ chunks embedded by mxbai-embed-large \(96 dimensions\); searches use it now/);
    const s = await memory(['search', 'tomatoes soil', '--json']);
    assert.equal((JSON.parse(s.stdout) as { model: string }).model, 'mxbai-embed-large');
    const missing = await memory(['reembed', '--model', 'no-such-model']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no-such-model/);
  });

  test('bad inputs: clear messages, exit 2, and the good sources in the same command are still added', async () => {
    const cases: [string, RegExp][] = [
      [path.join(files.dir, 'nope.md'), /nope\.md: no such file or folder/],
      [path.join(files.dir, 'binary.txt'), /binary\.txt: looks binary/],
      [path.join(files.dir, 'slides.pdf'), /\.pdf files are not read; Railbook reads \.md .*\.ipynb/],
      ['ftp://example.org/file.txt', /only http and https URLs can be added \(not ftp:\)/],
      [`${webUrl}/missing.html`, /missing\.html: the server answered HTTP 404 Not Found/],
      [`${webUrl}/image.png`, /image\.png: is image\/png, not text Railbook reads/],
    ];
    for (const [arg, message] of cases) {
      const r = await memory(['add', arg]);
      assert.equal(r.code, 2, `${arg}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /railbook: 1 of 1 source could not be added/);
      assert.equal(r.stdout, '');
    }
    const mixed = await memory(['add', path.join(files.dir, 'nope.md'), path.join(files.dir, 'notes', 'volcanoes.md')]);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stdout, /volcanoes\.md/);
    assert.match(mixed.stderr, /1 of 2 sources could not be added/);
  });

  test('without an embedding model: documents are stored and wait; search says why it cannot', async () => {
    const env = { RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: ollama.url };
    const r = await memory(['add', path.join(files.dir, 'notes', 'volcanoes.md')], { env, dir: bare.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /The documents are stored; they will be embedded \(and searchable\) once an embedding model is set/);
    const docs = await memory(['documents'], { env, dir: bare.dir });
    assert.match(docs.stdout, /volcanoes\.md\s+markdown\s+1\s+waiting/);
    const s = await memory(['search', 'lava'], { env, dir: bare.dir });
    assert.equal(s.code, 1);
    assert.match(s.stderr, /none of the 1 documents is embedded yet/);
    const re = await memory(['reembed'], { env, dir: bare.dir });
    assert.equal(re.code, 2);
    assert.match(re.stderr, /no embedding model: give --model/);
    const built = await memory(['reembed', '--model', 'nomic-embed-text'], { env, dir: bare.dir });
    assert.equal(built.code, 0, built.stderr);
    assert.match((await memory(['documents'], { env, dir: bare.dir })).stdout, /embedded \(nomic-embed-text\)/);
  });
});

describe('sources: limits', () => {
  test('a file over the size limit, a page over it, a page too slow: refused with why', async () => {
    await assert.rejects(readSource(path.join(files.dir, 'notes', 'volcanoes.md'), { maxFileBytes: 10 }), (e: unknown) => e instanceof SourceError && /is larger than the 10 B a file may be/.test(e.message));
    await assert.rejects(readSource(`${webUrl}/big.txt`, { maxUrlBytes: 100 }), (e: unknown) => e instanceof SourceError && /larger than the 100 B a page may be/.test(e.message));
    await assert.rejects(readSource(`${webUrl}/slow.txt`, { urlTimeoutMs: 200 }), (e: unknown) => e instanceof SourceError && /within 0\.2 s/.test(e.message));
    const ok = await readSource(`${webUrl}/big.txt`);
    assert.equal(ok.documents[0]?.kind, 'text');
  });
});
