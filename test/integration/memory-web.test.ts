// The Memory page over real HTTP: a real server on a temp data folder (its memory.db too), with
// FakeOllama as the provider behind a small gate of this test's own (a proxy that can hold
// `/api/embed` requests, so a re-embed can be looked at in the middle without timing), and a
// web server of the test's own for the documents added by URL.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assistantFor, type Assistant } from '../../src/ai/assistant.ts';
import { loadAiSettings } from '../../src/ai/ai-settings.ts';
import { FakeOllama } from '../helpers/fake-ollama.ts';
import { hashingEmbedder } from '../helpers/hashing-embedder.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { tempDir } from '../helpers/temp-engine.ts';

/** Forwards everything to FakeOllama; while closed, holds each `/api/embed` until released. */
class EmbedGate {
  closed = false;
  private held: (() => void)[] = [];
  private arrivals = 0;
  private waiters: { n: number; resolve: () => void }[] = [];
  private server: Server;

  constructor(private readonly target: () => string) {
    this.server = createServer((req, res) => void this.handle(req, res).catch(() => res.destroy()));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `n` embed requests in all have reached the gate while it was closed. */
  arrived(n: number): Promise<void> {
    if (this.arrivals >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  get count(): number {
    return this.arrivals;
  }

  releaseOne(): void {
    this.held.shift()?.();
  }

  open(): void {
    this.closed = false;
    for (const r of this.held.splice(0)) r();
  }

  async close(): Promise<void> {
    this.open();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url === '/api/embed' && this.closed) {
      await new Promise<void>((resolve) => {
        this.held.push(resolve);
        this.arrivals++;
        for (const w of this.waiters.filter((x) => x.n <= this.arrivals)) w.resolve();
        this.waiters = this.waiters.filter((x) => x.n > this.arrivals);
      });
      if (res.destroyed || req.socket.destroyed) return;
    }
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const answer = await fetch(this.target() + (req.url ?? '/'), { method: req.method ?? 'GET', headers: { 'content-type': req.headers['content-type'] ?? 'application/json' }, body });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
    const reader = answer.body?.getReader();
    for (;;) {
      const part = await reader?.read();
      if (!part || part.done) break;
      res.write(part.value);
    }
    res.end();
  }
}

const LIGHTHOUSE = 'The lighthouse keeper trims the lamp wick every evening and watches for ships in the fog.';

describe('the Memory page', () => {
  let fake: FakeOllama;
  let gate: EmbedGate;
  let web: Server;
  let webUrl: string;
  let app: TestApp;
  let csrf: string;
  let held: { assistant: Assistant; release: () => Promise<void> } | undefined;
  const files = tempDir('railbook-memweb-files-');
  const hashing = hashingEmbedder('any', 64);

  before(async () => {
    fake = await FakeOllama.start();
    fake.models.push({ name: 'mxbai-embed-large:latest', size: 1, modified_at: '2025-02-01T08:00:00Z', family: 'bert' });
    fake.embed = (inputs) => inputs.map((t) => hashing.vector(t));
    gate = new EmbedGate(() => fake.url);
    await gate.start();
    web = createServer((req, res) => {
      if (req.url === '/lighthouse.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<html><head><title>Lighthouses</title></head><body><h1>Lighthouses</h1><p>${LIGHTHOUSE}</p></body></html>`);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not here');
      }
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    app = await startTestApp({ ai: { provider: 'ollama', baseUrl: gate.url, chatModel: 'gemma3:1b', embedModel: 'nomic-embed-text' } });
    csrf = await app.csrf();
  });
  after(async () => {
    await held?.release();
    await app?.stop();
    await gate?.close();
    await fake?.close();
    await new Promise<void>((resolve) => web.close(() => resolve()));
    files.cleanup();
  });

  /** The app's own assistant (one per data folder per process), to wait on its embedding job. */
  const assistant = async (): Promise<Assistant> => {
    if (!held) {
      await get('/memory');
      held = assistantFor({ dataDir: app.dataDir, settings: () => loadAiSettings(app.engine.store, {}) });
    }
    return held.assistant;
  };
  const get = async (p: string) => {
    const res = await fetch(app.base + p);
    return { status: res.status, text: await res.text() };
  };
  const post = (p: string, body: Record<string, string>, opts: { hx?: boolean; token?: boolean } = {}) =>
    fetch(app.base + p, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(opts.token === false ? {} : { 'X-CSRF-Token': csrf }),
        ...(opts.hx ? { 'HX-Request': 'true' } : {}),
      },
      body: new URLSearchParams(body).toString(),
    });

  test('the header and the chat pane link to the page; it says what notes are', async () => {
    const home = await get('/');
    assert.match(home.text, /<a href="\/memory"[^>]*>Memory<\/a>/);
    const pane = await get('/chat/pane');
    assert.match(pane.text, /<a href="\/memory"[^>]*>Memory<\/a>/);
    const page = await get('/memory');
    assert.equal(page.status, 200);
    assert.match(page.text, /<a href="\/memory" aria-current="page">Memory<\/a>/);
    assert.match(page.text, /Notes are what the assistant remembers about you/);
    assert.match(page.text, /No notes yet/);
  });

  test('notes: add, edit, delete without JavaScript; errors at the form (422); the token is required', async () => {
    const refused = await post('/memory/notes', { key: 'x', value: 'y' }, { token: false });
    assert.equal(refused.status, 403);
    assert.doesNotMatch((await get('/memory')).text, /<th scope="row">x<\/th>/, 'nothing stored without the token');

    const added = await post('/memory/notes', { key: 'Preferred  Language', value: 'Dutch' });
    assert.equal(added.status, 303);
    assert.equal(added.headers.get('location'), '/memory?done=note-saved#memory-notes-title');
    let page = (await get('/memory?done=note-saved')).text;
    assert.match(page, /Note saved\./);
    assert.match(page, /<th scope="row">preferred language<\/th>\s*<td class="memory-note-value">Dutch<\/td>\s*<td>you<\/td>/);

    // Edit: the form comes filled in; a new key renames the note.
    const edit = (await get('/memory?edit=preferred%20language')).text;
    assert.match(edit, /Edit note “preferred language”/);
    assert.match(edit, /name="original" value="preferred language"/);
    assert.match(edit, /<textarea id="memory-note-value" name="value"[^>]*>Dutch<\/textarea>/);
    assert.equal((await post('/memory/notes', { original: 'preferred language', key: 'language', value: 'Dutch, or English' })).status, 303);
    page = (await get('/memory')).text;
    assert.match(page, /<th scope="row">language<\/th>\s*<td class="memory-note-value">Dutch, or English<\/td>/);
    assert.doesNotMatch(page, /<th scope="row">preferred language/);

    // Refused: the page again, 422, the message at the form and what was typed kept.
    const bad = await post('/memory/notes', { key: 'colour', value: '   ' });
    assert.equal(bad.status, 422);
    const badText = await bad.text();
    assert.match(badText, /<p class="field-error" id="memory-note-error" role="alert">A note needs a value/);
    assert.match(badText, /id="memory-note-key" name="key" type="text" value="colour"/);
    assert.match(badText, /aria-invalid="true"/);

    // Delete: a confirmation page first; only its form deletes.
    const confirm = await get('/memory/notes/remove?key=language');
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /Delete the note “language”\?/);
    assert.match(confirm.text, /name="confirm" value="language"/);
    const noConfirm = await post('/memory/notes/remove', { key: 'language' });
    assert.equal(noConfirm.status, 303);
    assert.equal(noConfirm.headers.get('location'), '/memory/notes/remove?key=language');
    assert.match((await get('/memory')).text, /<th scope="row">language<\/th>/, 'still there');
    assert.equal((await post('/memory/notes/remove', { key: 'language', confirm: 'language' }, { token: false })).status, 403);
    const removed = await post('/memory/notes/remove', { key: 'language', confirm: 'language' });
    assert.equal(removed.status, 303);
    assert.match((await get('/memory?done=note-removed')).text, /Note deleted\.[\s\S]*No notes yet/);
    assert.equal((await get('/memory/notes/remove?key=language')).status, 404);
  });

  test('notes with htmx: the section comes back, with the error inline (422); notes the model set say so', async () => {
    const ok = await post('/memory/notes', { key: 'city', value: 'Utrecht' }, { hx: true });
    assert.equal(ok.status, 200);
    const html = await ok.text();
    assert.match(html, /^<section id="memory-notes"/);
    assert.match(html, /Note saved\./);
    assert.match(html, /<th scope="row">city<\/th>\s*<td class="memory-note-value">Utrecht<\/td>/);
    const bad = await post('/memory/notes', { key: '', value: 'v' }, { hx: true });
    assert.equal(bad.status, 422);
    const badHtml = await bad.text();
    assert.match(badHtml, /^<section id="memory-notes"/);
    assert.match(badHtml, /A note needs a key/);
    (await assistant()).notes.set('favourite tool', 'Railbook', 'model');
    assert.match((await get('/memory')).text, /<th scope="row">favourite tool<\/th>\s*<td class="memory-note-value">Railbook<\/td>\s*<td>the assistant<\/td>/);
  });

  test('a web page added by URL is listed, embedded, and the chat\'s next turn cites it to the model', async () => {
    const a = await assistant();
    const res = await post('/memory/documents', { from: 'url', url: `${webUrl}/lighthouse.html` });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location') ?? '', /^\/memory\?done=docs-added&added=1&unchanged=0&skipped=0/);
    await a.embedding.idle();
    const page = (await get('/memory?done=docs-added&added=1&unchanged=0&skipped=0')).text;
    assert.match(page, /Added 1 document\./);
    assert.match(page, /<strong class="memory-doc-title">Lighthouses<\/strong>/);
    assert.match(page, new RegExp(`<a href="${webUrl}/lighthouse\\.html" rel="noopener noreferrer" target="_blank" class="memory-source">`));
    assert.match(page, /embedded by nomic-embed-text/);
    assert.match(page, /Searching with<\/dt>\s*<dd>nomic-embed-text \(64 dimensions, 1 chunk\)/);

    fake.chat = { tokens: ['Keepers trim the wick [1].'] };
    const turn = await post('/chat', { message: 'What does the lighthouse keeper trim every evening?' }, { hx: true });
    assert.equal(turn.status, 200);
    const stream = /data-chat-stream="([^"]+)"/.exec(await turn.text())?.[1];
    assert.ok(stream);
    const sse = await (await fetch(app.base + stream)).text();
    assert.match(sse, /event: done/);
    const asked = fake.requests.filter((r) => r.path === '/api/chat').at(-1)!.body as { messages: { content: string }[] };
    assert.ok(asked.messages.some((m) => m.content.includes('trims the lamp wick')), 'the passage went to the model');
    assert.match(sse, /Lighthouses/, 'the answer lists its source');
  });

  test('a path: a file is added; one that does not exist is a clear 422 at its field', async () => {
    const missing = path.join(files.dir, 'nope.md');
    const bad = await post('/memory/documents', { from: 'path', path: missing });
    assert.equal(bad.status, 422);
    const text = await bad.text();
    assert.match(text, new RegExp(`<p class="field-error" id="memory-add-path-error" role="alert">${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: no such file or folder\\.</p>`));
    assert.match(text, /id="memory-add-path" name="path" type="text" value="[^"]*nope\.md"/);
    const hx = await post('/memory/documents', { from: 'path', path: missing }, { hx: true });
    assert.equal(hx.status, 422);
    assert.match(await hx.text(), /^<section id="memory-documents"[\s\S]*no such file or folder/);

    mkdirSync(path.join(files.dir, 'notes'), { recursive: true });
    writeFileSync(path.join(files.dir, 'notes', 'bread.md'), '# Bread\n\nKnead the dough, let it rise, bake it hot.');
    writeFileSync(path.join(files.dir, 'notes', 'photo.png'), Buffer.from([0x89, 0x50]));
    const ok = await post('/memory/documents', { from: 'path', path: path.join(files.dir, 'notes') }, { hx: true });
    assert.equal(ok.status, 200);
    const html = await ok.text();
    assert.match(html, /Added 1 document; 1 file skipped/);
    assert.match(html, new RegExp(`<code class="memory-source">${path.join(files.dir, 'notes', 'bread.md').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}</code>`));
    assert.match(html, /<section id="memory-embedding"[^>]*hx-swap-oob="true"/, 'the embedding section comes along');
    // Pasted text.
    const pasted = await post('/memory/documents', { from: 'text', title: 'Tea', text: 'Steep green tea for two minutes.' });
    assert.equal(pasted.status, 303);
    assert.match((await get('/memory')).text, /<strong class="memory-doc-title">Tea<\/strong>\s*<br\/?>\s*<code class="memory-source">pasted text<\/code>/);
    await (await assistant()).embedding.idle();
  });

  test('a run\'s outputs become documents run:<key>/<step>, linked to the run; removing asks first', async () => {
    const key = (await app.engine.open('hello')).state.key;
    await (await app.engine.submit(key, 'name', { name: 'Ada' })).completion;
    const runPage = (await get(`/wf/hello/runs/${key}`)).text;
    assert.match(runPage, new RegExp(`<form method="post" action="/memory/documents/run" class="inline-form"><input type="hidden" name="_csrf" value="${csrf}"/><input type="hidden" name="runKey" value="${key}"/>`), 'the run page offers it too');
    const memPage = (await get('/memory')).text;
    assert.match(memPage, new RegExp(`<option value="${key}"`), 'recent runs to pick from');

    const res = await post('/memory/documents/run', { runKey: key });
    assert.equal(res.status, 303);
    const page = (await get('/memory')).text;
    assert.match(page, new RegExp(`<a href="/wf/hello/runs/${key}#step-name" class="memory-source">run ${key}, step name</a>`));
    assert.match(page, new RegExp(`Hello · Your name \\(${key}\\)`));
    const docs = (await assistant()).vectors.documents().map((d) => d.source);
    assert.ok(docs.includes(`run:${key}/name`));
    const missing = await post('/memory/documents/run', { runKey: 'no-such-run' });
    assert.equal(missing.status, 422);
    assert.match(await missing.text(), /id="memory-add-run-error" role="alert">No run &quot;no-such-run&quot;|id="memory-add-run-error" role="alert">No run "no-such-run"/);

    const source = `run:${key}/name`;
    const confirm = await get(`/memory/documents/remove?source=${encodeURIComponent(source)}`);
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /Remove “Hello · Your name/);
    assert.equal((await post('/memory/documents/remove', { source })).status, 303);
    assert.ok((await assistant()).vectors.documents().some((d) => d.source === source), 'not without the confirmation');
    const gone = await post('/memory/documents/remove', { source, confirm: '1' });
    assert.equal(gone.status, 303);
    assert.ok(!(await assistant()).vectors.documents().some((d) => d.source === source));
    await (await assistant()).embedding.idle();
  });

  test('re-embed after the Settings page changes the model: progress, pause, resume, cancel', async () => {
    const a = await assistant();
    // Enough chunks for several batches (32 a request): one paragraph each.
    const paragraphs = Array.from({ length: 70 }, (_, i) => `Paragraph ${i} about harbours. ${'Ships sail in and out of the harbour at dawn. '.repeat(14)}`);
    assert.equal((await post('/memory/documents', { from: 'text', title: 'Harbours', text: paragraphs.join('\n\n') })).status, 303);
    await a.embedding.idle();
    const total = a.vectors.status().chunks;
    assert.ok(total > 64, `${total} chunks`);

    gate.closed = true;
    const before = gate.count;
    assert.equal((await post('/settings', { embedModel: 'mxbai-embed-large' })).status, 303);
    await gate.arrived(before + 1);
    gate.releaseOne(); // the first batch: the new set exists after it
    await gate.arrived(before + 2);
    let section = (await get('/memory/embedding')).text;
    assert.match(section, /^<section id="memory-embedding"[^>]*hx-get="\/memory\/embedding" hx-trigger="every 1s"/, 'polls while running');
    assert.match(section, /Re-embedding with mxbai-embed-large/);
    assert.match(section, new RegExp(`<progress value="32" max="${total}"`));
    assert.match(section, new RegExp(`32 of ${total} chunks`));
    assert.match(section, /Searching with<\/dt>\s*<dd>nomic-embed-text/);
    assert.match(section, /Embedding model \(Settings\)<\/dt>\s*<dd>mxbai-embed-large/);
    const list = (await get('/memory')).text;
    assert.match(list, /re-embedding with mxbai-embed-large: (done|waiting)/);

    // Pause (htmx): the section comes back paused, still resumable, no longer polling.
    assert.equal((await post('/memory/embedding/pause', {}, { token: false, hx: true })).status, 403);
    const paused = await post('/memory/embedding/pause', {}, { hx: true });
    assert.equal(paused.status, 200);
    section = await paused.text();
    assert.match(section, /<strong>Paused<\/strong> re-embedding with mxbai-embed-large; searches use nomic-embed-text/);
    assert.doesNotMatch(section, /hx-trigger="every 1s"/);
    assert.match(section, />Resume</);
    assert.equal(a.embedding.state().state, 'paused');
    assert.equal(a.vectors.status().building?.model, 'mxbai-embed-large');
    assert.equal(a.vectors.status().active?.model, 'nomic-embed-text');

    // Resume (without JavaScript): it completes and searches switch to the new set.
    gate.open();
    const resumed = await post('/memory/embedding/resume', {});
    assert.equal(resumed.status, 303);
    await a.embedding.idle();
    assert.equal(a.vectors.status().active?.model, 'mxbai-embed-large');
    assert.match((await get('/memory/embedding')).text, /Searching with<\/dt>\s*<dd>mxbai-embed-large \(64 dimensions/);

    // Cancel a build: the set in use stays.
    gate.closed = true;
    const at = gate.count;
    assert.equal((await post('/settings', { embedModel: 'nomic-embed-text' })).status, 303);
    await gate.arrived(at + 1);
    gate.releaseOne();
    await gate.arrived(at + 2);
    assert.equal(a.vectors.status().building?.model, 'nomic-embed-text');
    const cancelled = await post('/memory/embedding/cancel', {}, { hx: true });
    assert.equal(cancelled.status, 200);
    const after = await cancelled.text();
    assert.match(after, /Searching with<\/dt>\s*<dd>mxbai-embed-large/);
    assert.match(after, /<strong>Paused\.<\/strong>/);
    assert.equal(a.vectors.status().building, undefined);
    assert.equal(a.vectors.status().active?.model, 'mxbai-embed-large');
    gate.open();
  });
});
