// A downloaded artifact is saved under the name the person gave it ("été ☃.svg"), not under the
// name it is stored as on disk (`<hash>-_t_.svg`), and a link cannot rename a file. Files on disk
// and HTTP headers: SQLite is enough.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { downloadName } from '../../src/web/files.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

/** The file name a browser saves a download as, read from Content-Disposition the way RFC 6266 says. */
function savedAs(disposition: string | null): string | undefined {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '');
  if (star) return decodeURIComponent(star[1]!);
  return /filename="([^"]*)"/.exec(disposition ?? '')?.[1];
}

describe('downloads keep their names', () => {
  let app: TestApp;
  let link = '';
  let stored = '';

  before(async () => {
    app = await startTestApp();
    const { state } = await app.engine.open('widgets');
    const ref = await app.engine.store.artifacts.writeBytes(state.key, 'été ☃.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml');
    stored = ref.path;
    // The link the run page shows for an uploaded file.
    for (const s of ['title', 'notes', 'colour', 'toppings', 'size', 'level', 'notify']) {
      const given: Record<string, Record<string, unknown>> = { title: { title: 'T' }, notes: { notes: 'n' }, colour: { colour: 'red' }, toppings: { toppings: ['cheese'] }, size: { size: 'l' } };
      const cur = await app.engine.get(state.key);
      await (await app.engine.submit(state.key, s, given[s] ?? app.engine.formValues(cur, s))).completion;
    }
    await (await app.engine.submit(state.key, 'upload', { file: ref })).completion;
    const page = await (await fetch(`${app.base}/wf/widgets/runs/${state.key}`)).text();
    const m = /href="(\/files\/artifacts\/[^"]+)"/.exec(page);
    assert.ok(m, 'the run page links the upload');
    link = m[1]!.replace(/&amp;/g, '&');
  });
  after(() => app?.stop());

  it('is stored under a safe name on disk', () => {
    assert.match(stored, /\/[0-9a-f]{12}-_t_\.svg$/);
  });

  it('is saved as "été ☃.svg" from the link the page shows', async () => {
    const r = await fetch(app.base + link);
    assert.equal(r.status, 200);
    const cd = r.headers.get('content-disposition');
    assert.match(cd ?? '', /^attachment; filename="[^"]+"; filename\*=UTF-8''/);
    assert.equal(savedAs(cd), 'été ☃.svg');
    await r.arrayBuffer();
  });

  it('a link cannot rename a file to another name or type', async () => {
    for (const name of ['evil.exe', 'été ☃.exe', '../x.svg', 'a\nb.svg']) {
      const r = await fetch(`${app.base}/files/${stored}?name=${encodeURIComponent(name)}`);
      assert.equal(savedAs(r.headers.get('content-disposition')), stored.split('/').at(-1), name);
      await r.arrayBuffer();
    }
  });

  it('downloadName keeps a name that maps to the stored file, and only that', () => {
    assert.equal(downloadName('bc703a1f77f4-_t_.svg', 'été ☃.svg'), 'été ☃.svg');
    assert.equal(downloadName('bc703a1f77f4-report_2024.csv', "report 2024.csv"), 'report 2024.csv');
    assert.equal(downloadName('bc703a1f77f4-_t_.svg', undefined), 'bc703a1f77f4-_t_.svg');
    assert.equal(downloadName('bc703a1f77f4-_t_.svg', 'x.svg'), 'bc703a1f77f4-_t_.svg');
  });
});
