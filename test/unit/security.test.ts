import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { cookieName, locationWithoutToken, sessionValue } from '../../src/web/security/access-token.ts';
import { safeEqual } from '../../src/web/security/constant-time.ts';
import { deriveCsrfToken } from '../../src/web/security/csrf.ts';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS, setSecurityHeaders } from '../../src/web/security/headers.ts';
import { isAllowedHost, isLoopbackName, parseHostHeader } from '../../src/web/security/host-check.ts';
import { csrfToken, security } from '../../src/web/security/index.ts';
import { crossOriginReason, isSafeMethod, sameOrigin } from '../../src/web/security/origin-check.ts';
import { artifactRelPath, contentTypeFor, isSafeSegment } from '../../src/web/files.ts';
import { isLoopbackHost, listenError } from '../../src/web/server.ts';

describe('host header parsing', () => {
  it('parses names, IPv4 and bracketed IPv6 with and without a port', () => {
    assert.deepEqual(parseHostHeader('127.0.0.1:8765'), { hostname: '127.0.0.1', port: 8765 });
    assert.deepEqual(parseHostHeader('LocalHost:80'), { hostname: 'localhost', port: 80 });
    assert.deepEqual(parseHostHeader('[::1]:9000'), { hostname: '::1', port: 9000 });
    assert.deepEqual(parseHostHeader('[::1]'), { hostname: '::1', port: undefined });
    assert.deepEqual(parseHostHeader('localhost'), { hostname: 'localhost', port: undefined });
  });

  it('rejects malformed headers', () => {
    for (const bad of [undefined, '', 'localhost:', 'localhost:abc', 'localhost:99999', 'localhost:0', '[::1', '[::1]x', 'a b:1', 'user@localhost:1', 'localhost:1:2', '::1:8765']) {
      assert.equal(parseHostHeader(bad), undefined, String(bad));
    }
  });

  it('knows loopback names', () => {
    for (const h of ['localhost', '127.0.0.1', '127.8.9.10', '::1']) assert.ok(isLoopbackName(h), h);
    for (const h of ['evil.example', 'localhost.evil.example', '10.0.0.1', '128.0.0.1', '0.0.0.0', '::', '127.0.0.1.nip.io']) assert.ok(!isLoopbackName(h), h);
  });
});

describe('host check', () => {
  it('accepts only loopback names on the real port', () => {
    for (const h of ['127.0.0.1:8765', 'localhost:8765', '[::1]:8765', 'LOCALHOST:8765']) assert.ok(isAllowedHost(h, 8765), h);
    for (const h of ['evil.example:8765', '127.0.0.1:8766', 'localhost', '127.0.0.1', 'localhost.:8765', '0.0.0.0:8765', undefined]) {
      assert.ok(!isAllowedHost(h, 8765), String(h));
    }
  });

  it('treats a missing port as 80', () => {
    assert.ok(isAllowedHost('localhost', 80));
    assert.ok(!isAllowedHost('evil.example', 80));
  });

  it('without a socket (in-process) still requires a loopback name', () => {
    assert.ok(isAllowedHost('localhost', undefined));
    assert.ok(!isAllowedHost('evil.example:1', undefined));
  });
});

describe('origin check', () => {
  it('safe methods', () => {
    assert.ok(isSafeMethod('GET') && isSafeMethod('head') && isSafeMethod('OPTIONS'));
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND']) assert.ok(!isSafeMethod(m), m);
  });

  it('allows same-origin, none and absent headers', () => {
    const host = '127.0.0.1:8765';
    assert.equal(crossOriginReason({ host }), undefined);
    assert.equal(crossOriginReason({ host, secFetchSite: 'same-origin', origin: 'http://127.0.0.1:8765' }), undefined);
    assert.equal(crossOriginReason({ host, secFetchSite: 'none' }), undefined);
    assert.equal(crossOriginReason({ host: 'LocalHost:8765', origin: 'http://localhost:8765' }), undefined);
  });

  it('refuses other sites, other ports, other schemes and null origins', () => {
    const host = '127.0.0.1:8765';
    assert.match(crossOriginReason({ host, secFetchSite: 'cross-site' })!, /Sec-Fetch-Site/);
    assert.match(crossOriginReason({ host, secFetchSite: 'same-site' })!, /Sec-Fetch-Site/);
    for (const origin of ['http://evil.example', 'http://127.0.0.1:8766', 'https://127.0.0.1:8765', 'null', 'http://127.0.0.1:8765.evil.example', 'http://localhost:8765', '']) {
      assert.ok(crossOriginReason({ host, origin }), origin);
    }
    assert.ok(crossOriginReason({ host: undefined, origin: 'http://x' }));
    assert.ok(sameOrigin('http://[::1]:8765', '[::1]:8765'));
  });
});

describe('secrets', () => {
  it('compares in constant time and exactly', () => {
    assert.ok(safeEqual('abc', 'abc'));
    assert.ok(!safeEqual('abc', 'abd'));
    assert.ok(!safeEqual('abc', 'abcd'));
    assert.ok(!safeEqual('', 'a'));
    assert.ok(safeEqual('', ''));
  });

  it('derives a stable CSRF token from the secret', () => {
    const t = deriveCsrfToken('s3cret');
    assert.match(t, /^[0-9a-f]{64}$/);
    assert.equal(t, deriveCsrfToken('s3cret'));
    assert.notEqual(t, deriveCsrfToken('other'));
  });

  it('names the cookie by port and never stores the token itself', () => {
    assert.equal(cookieName(8765), 'railbook_token_8765');
    assert.notEqual(sessionValue('tok-tok-tok'), 'tok-tok-tok');
    assert.equal(sessionValue('tok-tok-tok'), sessionValue('tok-tok-tok'));
  });

  it('strips the token from the redirect and never redirects off-site', () => {
    assert.equal(locationWithoutToken('http://h:1/wf/hello?token=abc&x=1'), '/wf/hello?x=1');
    assert.equal(locationWithoutToken('http://h:1/?token=abc'), '/');
    assert.equal(locationWithoutToken('http://h:1//evil.example/?token=abc'), '/evil.example/');
  });
});

describe('security headers', () => {
  it('sets every header in place, and keeps a stricter CSP a route set', () => {
    const h = new Headers();
    setSecurityHeaders(h);
    assert.equal(h.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) assert.equal(h.get(k), v);
    const own = new Headers({ 'Content-Security-Policy': "default-src 'none'" });
    setSecurityHeaders(own);
    assert.equal(own.get('content-security-policy'), "default-src 'none'");
  });

  // @hono/node-server's lightweight Response loses header changes when Hono re-wraps it; this
  // failed (no headers at all) when the middleware assigned c.res instead of editing in place.
  it('reach the wire through @hono/node-server for every kind of response', async () => {
    const a = new Hono();
    a.use('*', security({ csrfSecret: 'secret' }));
    a.get('/html', (c) => c.html('<p>hi</p>'));
    a.get('/raw', () => new Response('raw', { headers: { 'Content-Type': 'text/plain' } }));
    a.get('/stream', () => new Response(new ReadableStream({ start(ctl) { ctl.enqueue(new TextEncoder().encode('s')); ctl.close(); } })));
    a.get('/redirect', () => Response.redirect('http://127.0.0.1/elsewhere', 302));
    a.get('/throws', () => { throw new Error('boom'); });
    a.onError((_e, c) => c.text('oops', 500));
    const server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: a.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
    });
    try {
      const port = (server.address() as AddressInfo).port;
      for (const p of ['/html', '/raw', '/stream', '/redirect', '/throws', '/missing']) {
        const r = await fetch(`http://127.0.0.1:${port}${p}`, { redirect: 'manual' });
        await r.arrayBuffer();
        for (const [k, v] of Object.entries(SECURITY_HEADERS)) assert.equal(r.headers.get(k), v, `${p}: ${k}`);
      }
      const head = await fetch(`http://127.0.0.1:${port}/html`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
      const bad = await fetch(`http://127.0.0.1:${port}/html`, { method: 'POST' });
      assert.equal(bad.status, 403);
      assert.equal(bad.headers.get('x-frame-options'), 'DENY');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('security() in-process (no socket)', () => {
  function app(accessToken?: string): Hono {
    const a = new Hono();
    a.use('*', security({ csrfSecret: 'secret', accessToken }));
    a.get('/', (c) => c.text(csrfToken(c)));
    a.post('/form', async (c) => {
      const body = await c.req.parseBody({ all: true });
      return c.json({ name: body.name });
    });
    return a;
  }

  it('exposes the CSRF token to views and lets the route parse the body again', async () => {
    const a = app();
    const token = await (await a.request('/')).text();
    assert.equal(token, deriveCsrfToken('secret'));
    const ok = await a.request('/form', { method: 'POST', body: new URLSearchParams({ _csrf: token, name: 'Ada' }) });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { name: 'Ada' });
    const fd = new FormData();
    fd.set('_csrf', token);
    fd.set('name', 'Grace');
    const multi = await a.request('/form', { method: 'POST', body: fd });
    assert.deepEqual(await multi.json(), { name: 'Grace' });
  });

  it('refuses POSTs without, or with a wrong, CSRF token', async () => {
    const a = app();
    const inits: RequestInit[] = [
      { method: 'POST', body: new URLSearchParams({ name: 'x' }) },
      { method: 'POST', body: new URLSearchParams({ _csrf: 'nope', name: 'x' }) },
      { method: 'POST', headers: { 'X-CSRF-Token': 'nope' } },
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ _csrf: deriveCsrfToken('secret') }) },
      { method: 'DELETE' },
    ];
    for (const init of inits) {
      const r = await a.request('/form', init);
      assert.equal(r.status, 403);
      assert.match(await r.text(), /missing or invalid CSRF token/);
      assert.equal(r.headers.get('x-frame-options'), 'DENY');
    }
  });

  it('refuses a foreign Host even in-process', async () => {
    const r = await app().request('http://evil.example/');
    assert.equal(r.status, 403);
    assert.match(await r.text(), /unexpected Host header/);
  });

  it('csrfToken() without the middleware is a programming error', () => {
    const a = new Hono();
    let error: unknown;
    a.get('/', (c) => {
      try {
        return c.text(csrfToken(c));
      } catch (e) {
        error = e;
        return c.text('', 500);
      }
    });
    return Promise.resolve(a.request('/')).then(() => assert.match(String(error), /security\(\) middleware has not run/));
  });

  it('rejects a too short access token', () => {
    assert.throws(() => security({ csrfSecret: 's', accessToken: 'short' }), /too short/);
    assert.throws(() => security({ csrfSecret: '' }), /csrfSecret/);
  });
});

describe('file paths', () => {
  it('accepts plain relative paths below /artifacts/', () => {
    assert.equal(artifactRelPath('/files/artifacts/default-hello-01/abc-x.png'), 'default-hello-01/abc-x.png');
    assert.equal(artifactRelPath('/files/artifacts/k/a%20b.txt'), 'k/a b.txt');
  });

  it('refuses climbing, absolute, encoded separators and malformed escapes', () => {
    for (const p of [
      '/files/artifacts/../secret.txt',
      '/files/artifacts/k/..',
      '/files/artifacts/%2e%2e/%2e%2e/secret.txt',
      '/files/artifacts/%2E%2E%2Fsecret.txt',
      '/files/artifacts/k/..%2f..%2fsecret.txt',
      '/files/artifacts//etc/passwd',
      '/files/artifacts/%2fetc%2fpasswd/x',
      '/files/artifacts/k/a%5c..%5c..%5cx',
      '/files/artifacts/k/a%00.png',
      '/files/artifacts/k/%E0%A4%A',
      '/files/artifacts/k/',
      '/files/artifacts/onlyone',
      '/files/artifacts/c:/x',
      '/files/other/k/x',
    ]) {
      assert.equal(artifactRelPath(p), undefined, p);
    }
    assert.ok(!isSafeSegment('.'));
    assert.ok(isSafeSegment('.hidden-ok'));
  });

  it('maps extensions to types; active and unknown types download', () => {
    assert.deepEqual(contentTypeFor('a.PNG'), { mime: 'image/png', inline: true });
    assert.equal(contentTypeFor('a.txt').inline, true);
    assert.deepEqual(contentTypeFor('a.html'), { mime: 'text/html; charset=utf-8', inline: false });
    assert.equal(contentTypeFor('a.svg').inline, false);
    assert.deepEqual(contentTypeFor('noext'), { mime: 'application/octet-stream', inline: false });
    assert.deepEqual(contentTypeFor('a.exe'), { mime: 'application/octet-stream', inline: false });
  });
});

describe('server helpers', () => {
  it('isLoopbackHost', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1', 'app.localhost']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', 'example.com', '10.0.0.1', '::ffff:10.0.0.1', '']) assert.ok(!isLoopbackHost(h), h);
  });

  it('turns listen errors into actionable messages', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    assert.equal(listenError(err('EADDRINUSE'), '127.0.0.1', 8765).message,
      'port 8765 is already in use on 127.0.0.1 — stop the other program, or choose another port with --port (0 picks a free one)');
    assert.match(listenError(err('ENOTFOUND'), 'nope.invalid', 1).message, /cannot resolve the host name "nope.invalid"/);
    assert.match(listenError(err('EADDRNOTAVAIL'), '10.9.9.9', 1).message, /not an address of this machine/);
    assert.match(listenError(err('EACCES'), '127.0.0.1', 80).message, /--port/);
  });
});
