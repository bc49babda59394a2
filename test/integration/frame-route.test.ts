// A notebook's HTML output is served as a document of its own for an <iframe sandbox="allow-scripts">:
// scripts allowed, but sandboxed (opaque origin) even when opened directly, framed only by the app,
// and only HTML artifacts — an image or a file outside the artifacts cannot be "framed". Files and
// HTTP headers: SQLite is enough.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { urls } from '../../src/web/views/urls.ts';

describe('framed HTML outputs', () => {
  let app: TestApp;
  let html = '';
  let png = '';

  before(async () => {
    app = await startTestApp();
    const { state } = await app.engine.open('hello');
    html = (await app.engine.store.artifacts.writeBytes(state.key, 'out-1.html', '<p>hi</p><script>parent.document.title="owned"</script>', 'text/html')).path;
    png = (await app.engine.store.artifacts.writeBytes(state.key, 'out-2.png', new Uint8Array([137, 80, 78, 71]), 'image/png')).path;
  });
  after(() => app?.stop());

  it('serves HTML with a sandboxing CSP that allows scripts but not the app origin, and lets only the app frame it', async () => {
    const res = await fetch(app.base + urls.frame(html));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /(^|; )sandbox allow-scripts(;|$)/);
    assert.doesNotMatch(csp, /allow-same-origin/);
    assert.match(csp, /frame-ancestors 'self'/);
    assert.equal(res.headers.get('x-frame-options'), null, 'X-Frame-Options DENY would stop the app framing it');
    assert.match(await res.text(), /<p>hi<\/p>/);
  });

  it('every other page still refuses to be framed', async () => {
    const res = await fetch(app.base + '/');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  });

  it('refuses what is not an HTML artifact, and paths that climb out', async () => {
    assert.equal((await fetch(app.base + urls.frame(png))).status, 404);
    assert.equal((await fetch(app.base + '/files/frame/artifacts/../../etc/passwd.html')).status, 404);
    assert.equal((await fetch(app.base + '/files/frame/artifacts/a%2Fb/y.html')).status, 400, 'an encoded slash');
    // The plain file route still downloads HTML rather than rendering it in the app's origin.
    const plain = await fetch(app.base + urls.artifact(html));
    assert.match(plain.headers.get('content-disposition') ?? '', /^attachment/);
  });
});
