// Security of the local server, over real HTTP on an ephemeral loopback port with a real data
// folder: DNS rebinding (Host), cross-origin and CSRF, the access token of non-loopback binds,
// path traversal on /files, security headers, and a clear message for a port in use. What a
// forged request must not change (runs, events, profiles, settings) is checked on both backends;
// the checks of the HTTP layer alone (Host, headers, /files, the token, listening) on SQLite.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Engine } from '../../src/engine/engine.ts';
import { deriveCsrfToken } from '../../src/web/security/csrf.ts';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from '../../src/web/security/headers.ts';
import { startServer, type RunningServer } from '../../src/web/server.ts';
import { forEachBackend } from '../helpers/backends.ts';
import { tempDir, tempEngine, type TempEngine } from '../helpers/temp-engine.ts';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request sent as written: node:http lets us set Host and send un-normalized paths (fetch does neither). */
function request(port: number, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function form(fields: Record<string, string>): { body: string; headers: Record<string, string> } {
  return { body: new URLSearchParams(fields).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } };
}

function assertSecurityHeaders(r: RawResponse, what: string): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) assert.equal(r.headers[k.toLowerCase()], v, `${what}: ${k}`);
}

describe('security of the local server', () => {
  let t: TempEngine;
  let engine: Engine;
  let server: RunningServer;
  let port: number;
  let host: string;
  let csrf: string;

  before(async () => {
    t = await tempEngine();
    engine = t.engine;
    server = await startServer({ engine, port: 0 });
    port = server.port;
    host = `127.0.0.1:${port}`;
    csrf = deriveCsrfToken((await engine.store.settings.get('csrf_secret'))!);
  });

  after(async () => {
    await server?.close();
    await t?.close();
  });

  it('binds 127.0.0.1 and reports the real port and URL, with no token', () => {
    assert.equal(server.host, '127.0.0.1');
    assert.ok(port > 0);
    assert.equal(server.url, `http://127.0.0.1:${port}/`);
    assert.equal(server.token, undefined);
  });

  describe('Host header (DNS rebinding)', () => {
    it('refuses a foreign name on the right port', async () => {
      const r = await request(port, { path: '/api/workflows', headers: { Host: `evil.example:${port}` } });
      assert.equal(r.status, 403);
      assert.match(r.body, /^Forbidden: unexpected Host header/);
      assertSecurityHeaders(r, 'foreign Host refusal');
    });

    it('refuses a loopback name on the wrong port, and no port', async () => {
      for (const h of [`127.0.0.1:${port + 1 > 65535 ? port - 1 : port + 1}`, 'localhost', `localhost.:${port}`, `127.0.0.1.nip.io:${port}`]) {
        const r = await request(port, { path: '/api/workflows', headers: { Host: h } });
        assert.equal(r.status, 403, h);
        assert.match(r.body, /unexpected Host header/, h);
      }
    });

    it('refuses a foreign Host on a state-changing request before anything else', async () => {
      const { state } = await engine.open('hello');
      const f = form({ _csrf: csrf, name: 'Mallory' });
      const r = await request(port, { method: 'POST', path: `/wf/hello/runs/${state.key}/steps/name`, headers: { ...f.headers, Host: `evil.example:${port}` }, body: f.body });
      assert.equal(r.status, 403);
      assert.equal((await engine.get(state.key)).steps.name!.status, 'pending');
    });

    it('accepts 127.0.0.1, localhost and [::1] on the real port', async () => {
      // (Upper-case names are refused by @hono/node-server itself, with 400, before the app sees them.)
      for (const h of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
        const r = await request(port, { path: '/api/workflows', headers: { Host: h } });
        assert.equal(r.status, 200, h);
      }
    });
  });

  describe('security headers', () => {
    it('are on HTML pages, JSON and errors', async () => {
      for (const p of ['/', '/wf/hello', '/api/workflows', '/no/such/page']) {
        const r = await request(port, { path: p, headers: { Host: host } });
        assertSecurityHeaders(r, p);
        if (p.startsWith('/wf') || p === '/') {
          assert.equal(r.status, 200, p);
          assert.match(String(r.headers['content-type']), /^text\/html/, p);
        }
      }
      const home = await request(port, { path: '/', headers: { Host: host } });
      assert.equal(home.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
      assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
      assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
    });
  });

  describe('/files (artifacts only, no escapes)', () => {
    let key: string;
    let textPath: string;
    let htmlPath: string;
    let bigPath: string;
    let big: Buffer;
    const secret = `TOP-SECRET-${randomBytes(8).toString('hex')}`;
    let outside: ReturnType<typeof tempDir>;

    before(async () => {
      key = (await engine.open('hello')).state.key;
      const a = engine.store.artifacts;
      textPath = (await a.writeBytes(key, 'note.txt', 'hello artifact')).path;
      htmlPath = (await a.writeBytes(key, 'page.html', '<script>alert(1)</script>')).path;
      big = randomBytes(3 * 1024 * 1024 + 17);
      bigPath = (await a.writeBytes(key, 'blob.bin', big)).path;
      // Secrets: one in the data folder but outside artifacts, one outside the data folder.
      writeFileSync(path.join(t.dataDir, 'secret.txt'), secret);
      outside = tempDir('railbook-outside-');
      writeFileSync(path.join(outside.dir, 'secret.txt'), secret);
      const runDir = a.dirFor(key);
      symlinkSync(path.join(outside.dir, 'secret.txt'), path.join(runDir, 'link.txt'));
      symlinkSync(outside.dir, path.join(runDir, 'dirlink'));
      symlinkSync(outside.dir, path.join(t.dataDir, 'artifacts', 'evil-key'));
      symlinkSync(path.join(t.dataDir, 'secret.txt'), path.join(runDir, 'to-data.txt'));
      mkdirSync(path.join(runDir, 'subdir'));
    });

    after(() => outside?.cleanup());

    const get = (p: string) => request(port, { path: p, headers: { Host: host } });

    it('serves a real artifact with its type and nosniff', async () => {
      assert.match(textPath, /^artifacts\/[^/]+\/[0-9a-f]{12}-note\.txt$/);
      const r = await get(`/files/${textPath}`);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'hello artifact');
      assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.match(String(r.headers['content-disposition']), /^inline/);
      assert.equal(r.headers['x-frame-options'], 'DENY');
    });

    it('makes HTML and unknown types download, never render', async () => {
      const h = await get(`/files/${htmlPath}`);
      assert.equal(h.status, 200);
      assert.match(String(h.headers['content-disposition']), /^attachment; filename="[0-9a-f]{12}-page\.html"/);
      assert.match(String(h.headers['content-security-policy']), /sandbox/);
      const b = await get(`/files/${bigPath}`);
      assert.equal(b.headers['content-type'], 'application/octet-stream');
      assert.match(String(b.headers['content-disposition']), /^attachment/);
    });

    it('streams a large file intact', async () => {
      const r = await new Promise<{ status: number; length: string | undefined; body: Buffer }>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: `/files/${bigPath}`, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, length: res.headers['content-length'], body: Buffer.concat(chunks) }));
        }).on('error', reject);
      });
      assert.equal(r.status, 200);
      assert.equal(r.length, String(big.length));
      assert.ok(r.body.equals(big));
    });

    it('answers HEAD without a body', async () => {
      const r = await request(port, { method: 'HEAD', path: `/files/${textPath}`, headers: { Host: host } });
      assert.equal(r.status, 200);
      assert.equal(r.body, '');
      assert.equal(r.headers['content-length'], '14');
    });

    it('refuses every way out of the artifacts folder, and never shows the outside file', async () => {
      const abs = path.join(outside.dir, 'secret.txt');
      const enc = (s: string) => s.split('').map((ch) => (ch === '/' ? '%2f' : encodeURIComponent(ch))).join('');
      const attempts = [
        `/files/artifacts/${key}/../../secret.txt`,
        `/files/artifacts/../secret.txt`,
        `/files/artifacts/%2e%2e/secret.txt`,
        `/files/artifacts/${key}/%2e%2e/%2e%2e/secret.txt`,
        `/files/artifacts/${key}/%2E%2E%2F%2E%2E%2Fsecret.txt`,
        `/files/artifacts/${key}/..%2f..%2fsecret.txt`,
        `/files/artifacts/${key}/..%5c..%5csecret.txt`,
        `/files/artifacts/${key}/${enc(path.relative(path.join(t.dataDir, 'artifacts', key), abs))}`,
        `/files/artifacts/${enc(abs)}`,
        `/files/artifacts/x/${enc(abs)}`,
        `/files/artifacts/${abs}`,
        `/files/artifacts/${key}/%2f${abs.slice(1)}`,
        `/files/${abs}`,
        `/files/secret.txt`,
        `/files/artifacts/${key}/secret.txt%00.txt`,
        `/files/artifacts/${key}/link.txt`,
        `/files/artifacts/${key}/to-data.txt`,
        `/files/artifacts/${key}/dirlink/secret.txt`,
        `/files/artifacts/evil-key/secret.txt`,
      ];
      for (const p of attempts) {
        const r = await get(p);
        assert.ok(r.status >= 400 && r.status < 500, `${p} → ${r.status}`);
        assert.ok(!r.body.includes(secret), `${p} leaked the secret`);
      }
    });

    it('answers 4xx for directories and missing files', async () => {
      for (const p of [`/files/artifacts/${key}`, `/files/artifacts/${key}/`, `/files/artifacts/${key}/subdir`, `/files/artifacts/${key}/nope.txt`, `/files/artifacts/no-such-run/x.txt`]) {
        const r = await get(p);
        assert.ok(r.status === 404 || r.status === 400, `${p} → ${r.status}`);
      }
      assert.equal((await get(`/files/artifacts/${key}/nope.txt`)).status, 404);
    });
  });

  describe('listening', () => {
    it('a port in use gives a clear, actionable message', async () => {
      await assert.rejects(startServer({ engine, port }), {
        message: `port ${port} is already in use on 127.0.0.1 — stop the other program, or choose another port with --port (0 picks a free one)`,
      });
    });

    it('a host that cannot be resolved or bound gives a clear message', async () => {
      await assert.rejects(startServer({ engine, host: 'no-such-host.invalid', port: 0 }), /cannot resolve the host name "no-such-host\.invalid"/);
      await assert.rejects(startServer({ engine, host: '192.0.2.123', port: 0 }), /cannot listen on 192\.0\.2\.123: it is not an address of this machine/);
      await assert.rejects(startServer({ engine, port: 70000 }), /invalid port 70000/);
    });
  });
});

forEachBackend((backend) => describe(`state-changing requests: cross-origin and CSRF (${backend})`, () => {
  let t: TempEngine;
  let engine: Engine;
  let server: RunningServer;
  let port: number;
  let host: string;
  let csrf: string;

  before(async () => {
    t = await tempEngine({ backend });
    engine = t.engine;
    server = await startServer({ engine, port: 0 });
    port = server.port;
    host = `127.0.0.1:${port}`;
    csrf = deriveCsrfToken((await engine.store.settings.get('csrf_secret'))!);
  });

  after(async () => {
    await server?.close();
    await t?.close();
  });

  const post = (key: string, headers: Record<string, string>, fields: Record<string, string>) => {
    const f = form(fields);
    return request(port, { method: 'POST', path: `/wf/hello/runs/${key}/steps/name`, headers: { ...f.headers, Host: host, ...headers }, body: f.body });
  };

  it('refuses a cross-origin POST even with a valid CSRF token, and changes nothing', async () => {
    const { state } = await engine.open('hello');
    for (const origin of ['http://evil.example', `http://localhost:${port}`, `https://127.0.0.1:${port}`, 'null']) {
      const r = await post(state.key, { Origin: origin }, { _csrf: csrf, name: 'Mallory' });
      assert.equal(r.status, 403, origin);
      assert.match(r.body, /cross-origin/, origin);
    }
    assert.equal((await engine.get(state.key)).steps.name!.status, 'pending');
    assert.deepEqual((await engine.store.events.forRun(state.key)).map((e) => e.type), ['created']);
  });

  it('refuses Sec-Fetch-Site cross-site and same-site (another port of localhost is same-site)', async () => {
    const { state } = await engine.open('hello');
    for (const site of ['cross-site', 'same-site']) {
      const r = await post(state.key, { 'Sec-Fetch-Site': site }, { _csrf: csrf, name: 'Mallory' });
      assert.equal(r.status, 403, site);
      assert.match(r.body, /Sec-Fetch-Site/);
    }
    assert.equal((await engine.get(state.key)).steps.name!.status, 'pending');
  });

  it('refuses a POST with no CSRF token or a wrong one, and changes nothing', async () => {
    const { state } = await engine.open('hello');
    const attempts: [Record<string, string>, Record<string, string>][] = [
      [{}, { name: 'Mallory' }],
      [{}, { _csrf: '', name: 'Mallory' }],
      [{}, { _csrf: csrf.replace(/.$/, (ch) => (ch === '0' ? '1' : '0')), name: 'Mallory' }],
      [{ 'X-CSRF-Token': 'not-the-token' }, { _csrf: csrf, name: 'Mallory' }],
      [{ Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin' }, { name: 'Mallory' }],
    ];
    for (const [headers, fields] of attempts) {
      const r = await post(state.key, headers, fields);
      assert.equal(r.status, 403, JSON.stringify([headers, fields]));
      assert.equal(r.body, 'Forbidden: missing or invalid CSRF token\n');
      assertSecurityHeaders(r, 'CSRF refusal');
      // The body of a refused request is never read: the connection closes, so a refused
      // upload stops being sent instead of being read to its end and thrown away.
      assert.equal(r.headers.connection, 'close');
    }
    // Multipart without the field (to a step that takes files: one that takes none refuses
    // multipart before any check, 415), and JSON (whose body is never read for the token).
    const boundary = 'xx' + randomBytes(6).toString('hex');
    const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nMallory\r\n--${boundary}--\r\n`;
    const m = await request(port, { method: 'POST', path: `/wf/widgets/runs/${state.key}/steps/upload`, headers: { Host: host, 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body: multipart });
    assert.equal(m.status, 403);
    const m2 = await request(port, { method: 'POST', path: `/wf/hello/runs/${state.key}/steps/name`, headers: { Host: host, 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body: multipart });
    assert.equal(m2.status, 415);
    const j = await request(port, { method: 'POST', path: `/wf/hello/runs/${state.key}/steps/name`, headers: { Host: host, 'Content-Type': 'application/json' }, body: JSON.stringify({ _csrf: csrf, name: 'Mallory' }) });
    assert.equal(j.status, 403);
    for (const action of ['finalize', 'steps/name/revert']) {
      const r = await request(port, { method: 'POST', path: `/wf/hello/runs/${state.key}/${action}`, headers: { Host: host } });
      assert.equal(r.status, 403, action);
    }
    const st = await engine.get(state.key);
    assert.equal(st.steps.name!.status, 'pending');
    assert.equal(st.steps.name!.input, null);
    assert.deepEqual((await engine.store.events.forRun(state.key)).map((e) => e.type), ['created']);
  });

  it('accepts the right token as a form field (same-origin headers or none) and as a header', async () => {
    const { state: a } = await engine.open('hello');
    const r1 = await post(a.key, { Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin' }, { _csrf: csrf, name: 'Ada' });
    assert.notEqual(r1.status, 403);
    assert.ok(r1.status < 400, `status ${r1.status}: ${r1.body.slice(0, 200)}`);
    assert.equal((await engine.get(a.key)).steps.name!.status, 'done');
    assert.deepEqual((await engine.get(a.key)).steps.name!.output, { name: 'Ada' });

    const { state: b } = await engine.open('hello');
    const r2 = await post(b.key, { 'X-CSRF-Token': csrf, 'HX-Request': 'true' }, { name: 'Grace' });
    assert.equal(r2.status, 200, r2.body.slice(0, 200));
    assert.equal((await engine.get(b.key)).steps.name!.status, 'done');
  });

  it('keeps the CSRF token across a restart (the secret is in the store)', async () => {
    // Another engine and server on the same store, as after a restart.
    const t2 = await tempEngine({ dataDir: t.dataDir, databaseUrl: t.databaseUrl });
    const again = await startServer({ engine: t2.engine, port: 0 });
    try {
      const page = await request(again.port, { path: '/wf/hello', headers: { Host: `127.0.0.1:${again.port}` } });
      assert.equal(page.status, 200);
      assert.match(page.body, new RegExp(`name="csrf-token" content="${csrf}"`));
    } finally {
      await again.close();
      await t2.close();
    }
  });
}));

describe('access token on a non-loopback bind', () => {
  let t: TempEngine;
  let server: RunningServer;
  let token: string;
  let csrf: string;

  before(async () => {
    t = await tempEngine();
    try {
      // A wildcard bind works on loopback-only sandboxes too; we connect through 127.0.0.1.
      server = await startServer({ engine: t.engine, host: '0.0.0.0', port: 0 });
    } catch {
      server = await startServer({ engine: t.engine, host: '127.0.0.1', port: 0, token: randomBytes(24).toString('base64url') });
    }
    token = server.token!;
    csrf = deriveCsrfToken((await t.engine.store.settings.get('csrf_secret'))!);
  });

  after(async () => {
    await server?.close();
    await t?.close();
  });

  const get = (p: string, headers: Record<string, string> = {}) => request(server.port, { path: p, headers });

  it('generates a token and prints it in the URL', () => {
    assert.match(token, /^[A-Za-z0-9_-]{32}$/);
    assert.equal(server.url, `http://127.0.0.1:${server.port}/?token=${token}`);
  });

  it('answers 401 without the token, with a page that says what to open', async () => {
    for (const p of ['/', '/api/workflows', '/files/artifacts/x/y.txt']) {
      const r = await get(p);
      assert.equal(r.status, 401, p);
      assert.match(r.body, /railbook serve/);
      assert.match(String(r.headers['www-authenticate']), /^Bearer/);
      assertSecurityHeaders(r, `401 ${p}`);
    }
  });

  it('answers 401 for a wrong token in the URL, a header or a cookie', async () => {
    assert.equal((await get('/?token=wrong-token-123')).status, 401);
    assert.equal((await get(`/?token=${token}x`)).status, 401);
    assert.equal((await get('/api/workflows', { Authorization: `Bearer ${token.slice(0, -1)}` })).status, 401);
    assert.equal((await get('/api/workflows', { Authorization: `Basic ${token}` })).status, 401);
    assert.equal((await get('/api/workflows', { Cookie: `railbook_token_${server.port}=${token}` })).status, 401);
  });

  it('exchanges ?token= for an HttpOnly SameSite=Strict cookie and a redirect without it', async () => {
    const r = await get(`/wf/hello?token=${encodeURIComponent(token)}&x=1`);
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/wf/hello?x=1');
    const cookie = r.headers['set-cookie']?.[0] ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    assert.ok(!cookie.includes(token), 'the cookie holds a derived value, not the token');
    const pair = cookie.split(';')[0]!;
    const page = await get('/wf/hello?x=1', { Cookie: pair });
    assert.equal(page.status, 200);
    assert.match(page.body, /csrf-token/);
    const api = await get('/api/workflows', { Cookie: `other=1; ${pair}` });
    assert.equal(api.status, 200);
  });

  it('accepts Authorization: Bearer, on any Host (the token protects)', async () => {
    const r = await get('/api/workflows', { Authorization: `Bearer ${token}` });
    assert.equal(r.status, 200);
    const other = await get('/api/workflows', { Authorization: `Bearer ${token}`, Host: 'my-laptop.lan:8765' });
    assert.equal(other.status, 200);
  });

  it('still requires the CSRF token and same origin for POSTs', async () => {
    const { state } = await t.engine.open('hello');
    const f = form({ name: 'Ada' });
    const path_ = `/wf/hello/runs/${state.key}/steps/name`;
    const auth = { Authorization: `Bearer ${token}` };
    const noCsrf = await request(server.port, { method: 'POST', path: path_, headers: { ...f.headers, ...auth }, body: f.body });
    assert.equal(noCsrf.status, 403);
    const g = form({ name: 'Ada', _csrf: csrf });
    const cross = await request(server.port, { method: 'POST', path: path_, headers: { ...g.headers, ...auth, Origin: 'http://evil.example' }, body: g.body });
    assert.equal(cross.status, 403);
    const noAuth = await request(server.port, { method: 'POST', path: path_, headers: g.headers, body: g.body });
    assert.equal(noAuth.status, 401);
    assert.equal((await t.engine.get(state.key)).steps.name!.status, 'pending');
    const ok = await request(server.port, { method: 'POST', path: path_, headers: { ...g.headers, ...auth, Origin: `http://127.0.0.1:${server.port}` }, body: g.body });
    assert.ok(ok.status < 400, `status ${ok.status}`);
    assert.equal((await t.engine.get(state.key)).steps.name!.status, 'done');
  });
});

forEachBackend((backend) => describe(`every state-changing route refuses forged requests, and nothing at all changes (${backend})`, () => {
  let t: TempEngine;
  let server: RunningServer;
  let host: string;
  let csrf: string;

  before(async () => {
    t = await tempEngine({ backend });
    server = await startServer({ engine: t.engine, port: 0 });
    host = `127.0.0.1:${server.port}`;
    csrf = deriveCsrfToken((await t.engine.store.settings.get('csrf_secret'))!);
  });
  after(async () => {
    await server?.close();
    await t?.close();
  });

  /**
   * Every row a request could change: runs, events, profiles, settings (current profile),
   * executions — less the progress and lease the running step itself keeps writing.
   */
  const snapshot = () => {
    const sql = t.engine.store.sql;
    return Promise.all([
      ...['runs', 'events', 'profiles', 'settings'].map((table) => sql.all(`SELECT * FROM ${table} ORDER BY 1`)),
      sql.all('SELECT run, step, id, pid, owner, proc, started, worker FROM executions ORDER BY run, step'),
    ]);
  };

  it('open, submit, revert, stop, finalize, unfinalize and the profile forms: no token, a wrong token, another origin, another site', async () => {
    const e = t.engine;
    await t.engine.store.profiles.create('other');
    // Runs on which each action would succeed if the request were let through.
    await e.open('hello', { key: 'sec-done' });
    await (await e.submit('sec-done', 'name', { name: 'Ada' })).completion;
    await (await e.submit('sec-done', 'greeting', { greeting: 'Hi' })).completion;
    await e.open('hello', { key: 'sec-final' });
    await (await e.submit('sec-final', 'name', { name: 'Ada' })).completion;
    await (await e.submit('sec-final', 'greeting', { greeting: 'Hi' })).completion;
    await e.finalize('sec-final');
    await e.open('hello', { key: 'sec-open' });
    await e.open('slow', { key: 'sec-slow' });
    const running = await e.submit('sec-slow', 'count', { steps: 10_000, delay: 20 });

    const actions: [string, Record<string, string>][] = [
      ['/wf/hello/runs', { key: 'forged-run', action: 'open' }],
      ['/wf/hello/runs', { key: '', action: 'new' }],
      ['/wf/hello/runs/sec-open/steps/name', { name: 'Mallory' }],
      ['/wf/hello/runs/sec-done/steps/name/revert', {}],
      ['/wf/hello/runs/sec-done/finalize', {}],
      ['/wf/hello/runs/sec-final/unfinalize', {}],
      ['/wf/slow/runs/sec-slow/steps/count/cancel', {}],
      ['/profiles', { name: 'forged', back: '/' }],
      ['/profiles/switch', { name: 'other', back: '/' }],
      ['/profiles/rename', { from: 'other', to: 'forged2' }],
    ];
    const forgeries: [string, Record<string, string>, (f: Record<string, string>) => Record<string, string>][] = [
      ['no token', {}, (f) => f],
      ['a wrong token', {}, (f) => ({ ...f, _csrf: 'f'.repeat(64) })],
      ['a wrong token in the header', { 'X-CSRF-Token': 'f'.repeat(64), 'HX-Request': 'true' }, (f) => f],
      ['another origin, right token', { Origin: 'http://evil.example' }, (f) => ({ ...f, _csrf: csrf })],
      ['another site, right token', { 'Sec-Fetch-Site': 'cross-site' }, (f) => ({ ...f, _csrf: csrf })],
    ];
    const before = await snapshot();
    for (const [p, fields] of actions) {
      for (const [how, headers, withToken] of forgeries) {
        const f = form(withToken(fields));
        const r = await request(server.port, { method: 'POST', path: p, headers: { ...f.headers, Host: host, ...headers }, body: f.body });
        assert.equal(r.status, 403, `${p} with ${how} → ${r.status}`);
      }
    }
    assert.deepEqual(await snapshot(), before, 'nothing changed');
    assert.equal((await e.get('sec-slow')).steps.count!.status, 'running', 'the step still runs');

    // The same requests with the token, same-origin, do go through (so the refusals above were not for another reason).
    const ok = form({ name: 'Ada', _csrf: csrf });
    const r = await request(server.port, { method: 'POST', path: '/wf/hello/runs/sec-open/steps/name', headers: { ...ok.headers, Host: host, Origin: `http://${host}` }, body: ok.body });
    assert.equal(r.status, 303);
    const stop = form({ _csrf: csrf });
    assert.equal((await request(server.port, { method: 'POST', path: '/wf/slow/runs/sec-slow/steps/count/cancel', headers: { ...stop.headers, Host: host }, body: stop.body })).status, 303);
    await running.completion;
    const sw = form({ name: 'other', back: '/', _csrf: csrf });
    assert.equal((await request(server.port, { method: 'POST', path: '/profiles/switch', headers: { ...sw.headers, Host: host }, body: sw.body })).status, 303);
    assert.equal(await e.store.profiles.current(), 'other');
  });
}));
