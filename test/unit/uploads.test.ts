// The pieces of streamed uploads, each on its own: the one upload limit (parsing, precedence), the
// multipart reader (real temp files, real hashing), moving an upload into artifacts by rename, the
// file widget with an upload on disk, and the clipping of values echoed back to a person.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { DEFAULT_MAX_UPLOAD_BYTES, fieldUploadLimit, parseSize, resolveMaxUpload } from '../../src/engine/upload-limit.ts';
import { Artifacts } from '../../src/store/artifacts.ts';
import { UploadedFile } from '../../src/store/uploaded-file.ts';
import { MultipartError, readMultipart } from '../../src/web/multipart.ts';
import { echoValues } from '../../src/web/routes/echo.ts';
import { checkboxes, fileUpload } from '../../src/widgets/index.ts';
import type { PrepareContext } from '../../src/widgets/widget.ts';
import { tempDir } from '../helpers/temp-engine.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('the upload limit', () => {
  test('sizes: plain bytes, decimal and binary units, any case, with or without a space', () => {
    assert.equal(parseSize('2048'), 2048);
    assert.equal(parseSize('500MB'), 500_000_000);
    assert.equal(parseSize('10 GB'), 10_000_000_000);
    assert.equal(parseSize('1.5gb'), 1_500_000_000);
    assert.equal(parseSize('2GiB'), 2 * 1024 ** 3);
    assert.equal(parseSize('20k'), 20_000);
    for (const bad of ['', 'lots', '-5GB', '0', '10 XB', '1e9', 'GB']) assert.throws(() => parseSize(bad), /is not a size|above zero/, bad);
  });

  test('--max-upload wins over $RAILBOOK_MAX_UPLOAD, which wins over the 10 GB default; errors name their source', () => {
    assert.equal(DEFAULT_MAX_UPLOAD_BYTES, 10_000_000_000);
    assert.equal(resolveMaxUpload(undefined, {}), DEFAULT_MAX_UPLOAD_BYTES);
    assert.equal(resolveMaxUpload(undefined, { RAILBOOK_MAX_UPLOAD: '' }), DEFAULT_MAX_UPLOAD_BYTES);
    assert.equal(resolveMaxUpload(undefined, { RAILBOOK_MAX_UPLOAD: '1MB' }), 1_000_000);
    assert.equal(resolveMaxUpload('20GB', { RAILBOOK_MAX_UPLOAD: '1MB' }), 20_000_000_000);
    assert.throws(() => resolveMaxUpload('big', {}), /^Error: --max-upload: "big" is not a size/);
    assert.throws(() => resolveMaxUpload(undefined, { RAILBOOK_MAX_UPLOAD: 'big' }), /^Error: \$RAILBOOK_MAX_UPLOAD: /);
  });

  test('a field\'s own limit narrows the app\'s, never widens it', () => {
    assert.equal(fieldUploadLimit(undefined, 5000), 5000);
    assert.equal(fieldUploadLimit(1000, 5000), 1000);
    assert.equal(fieldUploadLimit(9000, 5000), 5000);
  });
});

/** A multipart body as a browser builds it, as a stream. */
function multipart(parts: ({ name: string; value: string } | { name: string; filename: string; data: Buffer; type?: string })[]): { type: string; body: Readable } {
  const b = 'bOuNdArY42';
  const pieces: Buffer[] = [];
  for (const p of parts) {
    if ('filename' in p) {
      pieces.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type ?? 'application/octet-stream'}\r\n\r\n`), p.data, Buffer.from('\r\n'));
    } else {
      pieces.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`));
    }
  }
  pieces.push(Buffer.from(`--${b}--\r\n`));
  // Small chunks, so a file spans many of them.
  const all = Buffer.concat(pieces);
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += 1000) chunks.push(all.subarray(i, i + 1000));
  return { type: `multipart/form-data; boundary=${b}`, body: Readable.from(chunks) };
}

describe('readMultipart', () => {
  test('files go to temp files with their size and SHA-256; text into the form; dispose removes the files', async () => {
    const t = tempDir();
    try {
      const data = Buffer.from('a'.repeat(30_000) + 'é');
      const m = multipart([{ name: '_csrf', value: 'tok' }, { name: 'tags', value: 'a' }, { name: 'tags', value: 'b' }, { name: 'file', filename: 'été ☃.csv', type: 'text/csv', data }]);
      const read = await readMultipart(m.body, m.type, { fileLimits: { file: 100_000 }, maxTextBytes: 1000, tmpDir: path.join(t.dir, 'tmp') });
      assert.equal(read.form._csrf, 'tok');
      assert.deepEqual(read.form.tags, ['a', 'b']);
      const f = read.form.file;
      assert.ok(f instanceof UploadedFile);
      assert.equal(f.name, 'été ☃.csv');
      assert.equal(f.type, 'text/csv');
      assert.equal(f.size, data.length);
      assert.equal(f.sha256, sha(data));
      assert.deepEqual(readFileSync(f.tempPath), data);
      assert.ok(f.tempPath.startsWith(path.join(t.dir, 'tmp') + path.sep));
      await read.dispose();
      assert.equal(existsSync(f.tempPath), false);
    } finally {
      t.cleanup();
    }
  });

  test('refusals: a file over its limit (413), too much text (413), a file where none is taken (400), garbage (400); nothing left on disk', async () => {
    const t = tempDir();
    const tmp = path.join(t.dir, 'tmp');
    const rules = { fileLimits: { file: 5000 }, maxTextBytes: 100, tmpDir: tmp };
    try {
      const cases: [string, { type: string; body: Readable }, number, RegExp][] = [
        ['file too big', multipart([{ name: 'file', filename: 'x.bin', data: Buffer.alloc(5001) }]), 413, /"x\.bin" is too large: at most 5\.0 kB per file/],
        ['text too long', multipart([{ name: 'note', value: 'n'.repeat(101) }]), 413, /text is too large: at most 100 bytes/],
        ['text adds up', multipart([{ name: 'a', value: 'n'.repeat(60) }, { name: 'b', value: 'n'.repeat(60) }]), 413, /text is too large/],
        ['a file in a text field', multipart([{ name: 'note', filename: 'x.txt', data: Buffer.from('x') }]), 400, /"note" does not take a file/],
        ['more files than file fields', multipart([{ name: 'file', filename: 'a', data: Buffer.from('a') }, { name: 'file', filename: 'b', data: Buffer.from('b') }]), 400, /more files than it has file fields/],
        ['cut off', { type: 'multipart/form-data; boundary=zz', body: Readable.from([Buffer.from('--zz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc')]) }, 400, /could not be read/],
        ['no boundary', { type: 'multipart/form-data', body: Readable.from([Buffer.from('x')]) }, 400, /not valid multipart/],
      ];
      for (const [what, m, status, message] of cases) {
        await assert.rejects(readMultipart(m.body, m.type, rules), (e: unknown) => {
          assert.ok(e instanceof MultipartError, what);
          assert.equal(e.status, status, what);
          assert.match(e.message, message, what);
          return true;
        });
        assert.deepEqual(existsSync(tmp) ? readdirSync(tmp) : [], [], `${what}: no temp file left`);
      }
    } finally {
      t.cleanup();
    }
  });
});

describe('an upload moves into the run\'s artifacts', () => {
  test('by rename: the temp file is gone, the artifact holds its bytes under its hash; the same content again is not duplicated', async () => {
    const t = tempDir();
    try {
      const tmp = path.join(t.dir, 'tmp', 'uploads');
      mkdirSync(tmp, { recursive: true });
      const put = (name: string, bytes: string) => {
        const p = path.join(tmp, name);
        writeFileSync(p, bytes);
        return new UploadedFile('report.csv', 'text/csv', Buffer.byteLength(bytes), sha(bytes), p);
      };
      const artifacts = new Artifacts(t.dir);
      const created: string[] = [];
      const up = put('1.part', 'a,b\n1,2\n');
      const ref = await artifacts.adopt('run-1', up, { mime: 'text/csv', onCreated: (f) => created.push(f) });
      assert.equal(existsSync(up.tempPath), false, 'moved, not copied');
      assert.deepEqual({ ...ref }, { artifact: true, path: `artifacts/run-1/${up.sha256.slice(0, 12)}-report.csv`, sha256: up.sha256, size: 8, name: 'report.csv', mime: 'text/csv' });
      assert.equal(readFileSync(path.join(t.dir, ref.path), 'utf8'), 'a,b\n1,2\n');
      assert.equal(created.length, 1);
      const again = await artifacts.adopt('run-1', put('2.part', 'a,b\n1,2\n'), { onCreated: (f) => created.push(f) });
      assert.equal(again.path, ref.path);
      assert.equal(created.length, 1, 'the same content is not a new file');
      assert.deepEqual(readdirSync(tmp), []);
    } finally {
      t.cleanup();
    }
  });

  test('the file widget hands an upload on disk to storeUpload, held to its own limit or the app\'s', async () => {
    const calls: string[] = [];
    const ctx = (maxUploadBytes: number): PrepareContext => ({
      dataDir: '/data',
      maxUploadBytes,
      localPath: (p) => p,
      storeBytes: async () => { throw new Error('not expected'); },
      storeFile: async () => { throw new Error('not expected'); },
      storeUpload: async (file, name, mime) => {
        calls.push(`${name}|${mime ?? ''}`);
        return { artifact: true, path: `artifacts/r/${file.sha256.slice(0, 12)}-x`, sha256: file.sha256, size: file.size, name: name ?? file.name };
      },
    });
    const up = (size: number, name = 'a.csv', type = 'text/csv') => new UploadedFile(name, type, size, 'f'.repeat(64), '/data/tmp/uploads/x.part');
    const open = fileUpload({ label: 'Data' });
    assert.equal(open.maxBytes, undefined, 'no limit of its own: the app\'s applies');
    assert.equal((await open.prepare!(up(900), ctx(1000)) as { size: number }).size, 900);
    assert.deepEqual(calls, ['a.csv|text/csv']);
    await assert.rejects(open.prepare!(up(1001), ctx(1000)), /at most 1\.0 kB \(this one is 1\.0 kB\)/);
    const own = fileUpload({ label: 'Data', maxBytes: 100, accept: '.csv' });
    await assert.rejects(own.prepare!(up(101), ctx(1000)), /at most 100 bytes/);
    await assert.rejects(own.prepare!(up(10, 'a.exe', 'application/x-msdownload'), ctx(1000)), /type: \.csv/);
    assert.equal(await own.prepare!(up(0, ''), ctx(1000)), undefined, 'the empty part a browser sends for no file');
    assert.equal(calls.length, 1, 'nothing refused was stored');
    // fromForm takes an upload, never a string.
    assert.ok(own.fromForm({ f: up(5) }, 'f') instanceof UploadedFile);
    assert.equal(own.fromForm({ f: '/etc/passwd' }, 'f'), undefined);
  });
});

describe('values echoed back to a person', () => {
  test('a giant text value comes back as its start, and its field says why', () => {
    const { values, errors } = echoValues(
      { word: 'w'.repeat(1_500_000), ok: 'typed', tags: ['a', 'b'.repeat(5000)], n: 3, file: new UploadedFile('a', '', 1, 'f'.repeat(64), '/x') },
      { word: 'Enter at most 20 characters (this has 1500000)' },
    );
    assert.equal((values.word as string).length, 201);
    assert.ok((values.word as string).endsWith('…'));
    assert.equal(errors.word, 'Enter at most 20 characters (this has 1500000). The value sent was 1.5 MB; only its start is shown here.');
    assert.equal(values.ok, 'typed');
    assert.equal(values.n, 3);
    assert.equal(((values.tags as string[])[1]!).length, 201);
    assert.equal('file' in values, false, 'uploads are not sent back');
  });

  test('a widget\'s message quotes a bad value only in part', () => {
    const w = checkboxes({ label: 'Pick', options: ['a', 'b'] });
    const r = w.schema.safeParse(['z'.repeat(1_000_000)]);
    assert.equal(r.success, false);
    const msg = r.error!.issues[0]!.message;
    assert.ok(msg.length < 200, `short (${msg.length})`);
    assert.match(msg, /^"z{60}…" is not one of/);
  });
});
