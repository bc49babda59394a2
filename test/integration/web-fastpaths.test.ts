// The web layer's fast paths (docs/PERFORMANCE.md) must not change what a browser gets:
// security headers on every kind of response, form bodies read the same whichever way they
// arrive, cached docs markdown the same as freshly rendered. The HTTP layer alone: SQLite is enough.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jsx } from 'hono/jsx';
import type { Engine } from '../../src/engine/engine.ts';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from '../../src/web/security/index.ts';
import { startServer, type RunningServer } from '../../src/web/server.ts';
import { Markdown } from '../../src/web/views/markdown.tsx';
import { tempEngine, type TempEngine } from '../helpers/temp-engine.ts';

let engine: Engine;
let server: RunningServer;
let base: string;
let csrf: string;
let t: TempEngine;

before(async () => {
  t = await tempEngine();
  engine = t.engine;
  server = await startServer({ engine, port: 0 });
  base = `http://127.0.0.1:${server.port}`;
  const home = await (await fetch(`${base}/`)).text();
  csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(home)![1]!;
});

after(async () => {
  await server?.close();
  await t?.close();
});

function assertSecurityHeaders(h: Headers, what: string, csp = CONTENT_SECURITY_POLICY): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
    assert.equal(h.get(k), k === 'Content-Security-Policy' ? csp : v, `${what}: ${k}`);
  }
}

const form = (fields: [string, string][]) => new URLSearchParams(fields).toString();

describe('web fast paths', () => {
  test('every kind of response carries the security headers', async () => {
    await engine.open('hello', { key: 'hdr-1' });
    await engine.open('widgets', { key: 'hdr-w' });
    const hx = { Origin: base, 'HX-Request': 'true', 'X-CSRF-Token': csrf, 'Content-Type': 'application/x-www-form-urlencoded' };
    const cases: [string, () => Promise<Response>, number][] = [
      ['page', () => fetch(`${base}/wf/hello/runs/hdr-1`), 200],
      ['HEAD of a page', () => fetch(`${base}/wf/hello`, { method: 'HEAD' }), 200],
      ['htmx fragment', () => fetch(`${base}/wf/hello/runs/hdr-1/steps/name`, { method: 'POST', headers: hx, body: 'name=Ada' }), 200],
      ['htmx 422', () => fetch(`${base}/wf/hello/runs/hdr-1/steps/greeting`, { method: 'POST', headers: hx, body: 'greeting=' }), 422],
      ['redirect', () => fetch(`${base}/wf/hello/runs`, { method: 'POST', redirect: 'manual', headers: { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' }, body: form([['_csrf', csrf], ['action', 'new']]) }), 303],
      ['404 page', () => fetch(`${base}/no/such/page`), 404],
      ['404 JSON', () => fetch(`${base}/api/runs/no-such-run`), 404],
      ['JSON', () => fetch(`${base}/api/workflows`), 200],
      ['asset', () => fetch(`${base}/assets/app.css`), 200],
      ['asset 304', () => fetch(`${base}/assets/app.css`).then((r) => fetch(`${base}/assets/app.css`, { headers: { 'If-None-Match': r.headers.get('etag')! } })), 304],
      ['refusal', () => fetch(`${base}/wf/hello/runs`, { method: 'POST', headers: { Origin: 'http://evil.example' }, body: '' }), 403],
      // Made by hand (an HTTPException's response), so the middleware adds them after the fact.
      // (Multipart to a step without file fields is refused up front with 415: use the upload step.)
      ['unreadable form', () => fetch(`${base}/wf/widgets/runs/hdr-w/steps/upload`, { method: 'POST', headers: { ...hx, 'Content-Type': 'multipart/form-data' }, body: 'greeting=Hi' }), 400],
    ];
    for (const [what, make, status] of cases) {
      const r = await make();
      assert.equal(r.status, status, what);
      assertSecurityHeaders(r.headers, what);
      await r.arrayBuffer();
    }

    // An event stream: headers at once, body still streaming.
    const ac = new AbortController();
    const sse = await fetch(`${base}/wf/hello/runs/hdr-1/steps/name/events`, { signal: ac.signal });
    assert.match(sse.headers.get('content-type') ?? '', /text\/event-stream/);
    assertSecurityHeaders(sse.headers, 'SSE');
    ac.abort();
  });

  test('a file keeps its own stricter CSP; the other security headers are added', async () => {
    const ref = await engine.store.artifacts.writeBytes('hdr-file', 'page.html', new TextEncoder().encode('<p>hi</p>'), 'text/html');
    const r = await fetch(`${base}/files/${ref.path}`);
    assert.equal(r.status, 200);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /sandbox/);
    assert.notEqual(csp, CONTENT_SECURITY_POLICY);
    assertSecurityHeaders(r.headers, 'file', csp);
    await r.arrayBuffer();
  });

  test('a step form reads the same values from the header-token and the field-token roads', async () => {
    for (const [key, hxRoad] of [['form-hx', true], ['form-plain', false]] as const) {
      await engine.open('widgets', { key });
      for (const [step, input] of Object.entries({ title: { title: 'T' }, notes: { notes: 'n' }, colour: { colour: 'red' } })) {
        await (await engine.submit(key, step, input)).completion;
      }
      const headers: Record<string, string> = { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' };
      const fields: [string, string][] = [['toppings', 'cheese'], ['toppings', 'basil']];
      // Without htmx the token travels in the body, so the security check reads the body first.
      if (hxRoad) Object.assign(headers, { 'HX-Request': 'true', 'X-CSRF-Token': csrf });
      else fields.push(['_csrf', csrf]);
      const r = await fetch(`${base}/wf/widgets/runs/${key}/steps/toppings`, { method: 'POST', headers, body: form(fields), redirect: 'manual' });
      assert.equal(r.status, hxRoad ? 200 : 303, key);
      await r.arrayBuffer();
      assert.deepEqual((await engine.get(key)).steps.toppings!.input, { toppings: ['cheese', 'basil'] }, key);
    }

    // Percent-encoded UTF-8 and "+" for spaces, as browsers send them.
    await engine.open('hello', { key: 'form-utf8' });
    const r = await fetch(`${base}/wf/hello/runs/form-utf8/steps/name`, {
      method: 'POST',
      headers: { Origin: base, 'HX-Request': 'true', 'X-CSRF-Token': csrf, 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      body: 'name=Ad%C3%A1+L%C3%B6we+%26+co',
    });
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    assert.deepEqual((await engine.get('form-utf8')).steps.name!.input, { name: 'Adá Löwe & co' });
  });

  test('docs markdown is rendered once and then reused, with the same HTML', async () => {
    const html = async (source: string) => String(await jsx(Markdown, { source }).toString());
    const src = `Some *docs* ${Date.now()}`;
    const first = await html(src);
    assert.equal(await html(src), first);
    assert.match(first, /^<div class="docs"><div class="markdown"><p>Some <em>docs<\/em>/);
    // Sanitised as the widgets' markdown view does it: raw HTML as text, no script links.
    const unsafe = await html('<script>x</script> [a](javascript:alert(1))');
    assert.doesNotMatch(unsafe, /<script|href="javascript/i);
    assert.equal(await html('  '), '');
  });
});
