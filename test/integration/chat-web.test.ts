// The chat pane over real HTTP: a real server on a temp data folder (its memory.db too), FakeOllama
// as the provider. A turn is started by POST /chat and followed over its SSE stream; what the
// stream carries is HTML rendered and sanitized on the server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { renderModelTextStreaming } from '../../src/ai/render-model-text.ts';
import { readSse as sseEvents, type SseEvent } from '../../src/ai/sse.ts';
import type { LiveTurn } from '../../src/web/chat-streams.ts';
import { streamingHtml } from '../../src/web/views/chat-pane.tsx';
import { FakeOllama } from '../helpers/fake-ollama.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

/** Reads an SSE response event by event (src/ai/sse.ts's parser); `until` ends the reading early (the rest is cancelled). */
async function readSse(res: Response, until: (e: SseEvent, all: SseEvent[]) => boolean = (e) => e.event === 'done'): Promise<SseEvent[]> {
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events: SseEvent[] = [];
  for await (const e of sseEvents(res.body!)) {
    if (e.data === '') continue;
    events.push({ event: e.event, data: e.data });
    if (until(e, events)) break;
  }
  return events;
}

const HOSTILE = [
  'Here: <script>window.__pwned=1</script> and ',
  '<img src=x onerror="window.__pwned=1"> and ',
  '[click](javascript:window.__pwned=1) and ',
  '<a href="jav&#x61;script:alert(1)">x</a> ',
  '\n\n```js\nconst a = 1;\n```\n\n',
];

function assertInert(html: string): void {
  assert.doesNotMatch(html, /<script/i, 'no script element');
  assert.doesNotMatch(html, /\son\w+\s*=/i, 'no event handler attribute');
  assert.doesNotMatch(html, /<img/i, 'no image');
  assert.doesNotMatch(html, /href="\s*javascript:/i, 'no javascript: link');
  assert.doesNotMatch(html, /javascript:/i, 'no javascript: URL anywhere in an attribute');
}

describe('the streaming answer\'s HTML', () => {
  test('plain first words take the short road, with the same HTML the renderer makes', () => {
    const live = (text: string): LiveTurn => ({ id: 'x', startedAt: 0, text, tools: [], citations: [], done: undefined, version: 1, firstTokenAt: undefined });
    const plain = ['Hello', ' Hello', '   three', 'Hello there', 'a,b;c', 'Why?', 'Yes!', '12', '1 2', 'Hi ', 'a  b', 'Über', '中文', 'é'];
    const marked = ['    code', '1. item', '1) item', '- item', '# head', 'a_b_', '*x*', '<b>x</b>', 'a & b', 'www.example.com', 'a@b.com', 'http://x', 'x.', 'a\nb', '"q"', "it's", '', ' ', '!', '?a'];
    for (const text of [...plain, ...marked]) {
      const expected = text === '' ? '<p class="chat-waiting muted">…</p>' : renderModelTextStreaming(text);
      assert.equal(streamingHtml(live(text)), expected, JSON.stringify(text));
    }
  });
});

describe('chat on the web', () => {
  let fake: FakeOllama;
  let app: TestApp;
  let csrf: string;

  before(async () => {
    fake = await FakeOllama.start();
    app = await startTestApp({ ai: { provider: 'ollama', baseUrl: fake.url, chatModel: 'gemma3:1b' } });
    csrf = await app.csrf();
  });
  after(async () => {
    await app?.stop();
    await fake?.close();
  });

  const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(app.base + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body).toString(),
    });
  const send = (message: string, place: Record<string, string> = {}) =>
    post('/chat', { message, ...place }, { 'X-CSRF-Token': csrf, 'HX-Request': 'true' });
  const streamUrl = (html: string) => /data-chat-stream="([^"]+)"/.exec(html)?.[1];

  test('every page carries the pane and the health badge as lazy slots, and a Settings link', async () => {
    const html = await (await fetch(app.base + '/')).text();
    assert.match(html, /<section id="chat-pane"[^>]*hx-get="\/chat\/pane"[^>]*hx-trigger="load"/);
    assert.match(html, /<span id="health-badge"[^>]*hx-get="\/settings\/health"/);
    assert.match(html, /<a href="\/settings"[^>]*>Settings<\/a>/);
    assert.match(html, /<a href="\/chat">Open the chat<\/a>/, 'without JavaScript, a link to the chat page');
    assert.match(html, /\/assets\/chat\.js\?v=/);
    // The pane fragment itself: the form posts with the token, and the place rides along.
    const pane = await (await fetch(app.base + '/chat/pane?wf=hello&run=r1&step=name')).text();
    assert.match(pane, /<form method="post" action="\/chat"[^>]*data-chat-form/);
    assert.match(pane, new RegExp(`name="_csrf" value="${csrf}"`));
    assert.match(pane, /name="wf" value="hello"/);
    assert.match(pane, /name="run" value="r1"/);
    assert.match(pane, /name="step" value="name"/);
    assert.match(pane, /<textarea id="chat-message" name="message"/);
  });

  test('POST /chat without the CSRF token, or from another site, is refused and starts nothing', async () => {
    const asked = fake.requests.filter((r) => r.path === '/api/chat').length;
    const noToken = await post('/chat', { message: 'hi' }, { 'HX-Request': 'true' });
    assert.equal(noToken.status, 403);
    const wrong = await post('/chat', { message: 'hi', _csrf: 'x'.repeat(64) });
    assert.equal(wrong.status, 403);
    const crossSite = await post('/chat', { message: 'hi', _csrf: csrf }, { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    const stop = await post('/chat/turns/whatever/stop', {});
    assert.equal(stop.status, 403);
    const fresh = await post('/chat/new', {});
    assert.equal(fresh.status, 403);
    assert.equal(fake.requests.filter((r) => r.path === '/api/chat').length, asked, 'the model was never asked');
  });

  test('a turn streams over SSE as sanitized HTML, ends with the full answer, and is stored', async () => {
    fake.chat = { tokens: ['**Hello**', ' there. ', ...HOSTILE, 'Bye.'], delayMs: 15 };
    const res = await send('Say hello', { wf: 'hello' });
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<li class="chat-turn chat-user">[\s\S]*Say hello/);
    const url = streamUrl(html);
    assert.ok(url, 'the answer bubble names its stream');
    const events = await readSse(await fetch(app.base + url));
    const kinds = events.map((e) => e.event);
    assert.equal(kinds.at(-1), 'done');
    assert.ok(kinds.includes('html'), 'the text came as it streamed, before the end');
    for (const e of events) assertInert(e.data);
    const first = events.find((e) => e.event === 'html')!;
    assert.match(first.data, /<strong>Hello<\/strong>|<p>/, 'markdown rendered on the server');
    const done = events.at(-1)!.data;
    assert.match(done, /^<li class="chat-turn chat-assistant chat-done"/);
    assert.match(done, /<strong>Hello<\/strong> there\./);
    assert.match(done, /<code class="hljs language-js">/, 'code highlighted on the server');
    assert.match(done, /Bye\./);
    // The person's message went to the model; the place came along.
    const asked = fake.requests.filter((r) => r.path === '/api/chat').at(-1)!.body as { messages: { role: string; content: string }[] };
    assert.equal(asked.messages.at(-1)!.content, 'Say hello');
    assert.match(JSON.stringify(asked.messages), /Workflow: \\"[^\\]+\\" \(hello\)/, 'the model is told where the person is');

    // Stored: the pane shows both turns, rendered again on the server.
    const pane = await (await fetch(app.base + '/chat/pane')).text();
    assert.match(pane, /Say hello/);
    assert.match(pane, /<strong>Hello<\/strong> there\./);
    assertInert(pane.replace(/<form[\s\S]*?<\/form>/g, ''));

    // A reconnect after the end gets the end at once (the live turn is kept a while).
    const again = await readSse(await fetch(app.base + url));
    assert.deepEqual(again.map((e) => e.event), ['done']);
    assert.equal(again[0]!.data, done);
  });

  test('the POST asked for a stream answers with it: the bubble first, then the answer; the token is still required', async () => {
    const asked = fake.requests.filter((r) => r.path === '/api/chat').length;
    const streamHeaders = { 'HX-Request': 'true', Accept: 'text/event-stream' };
    // Without the token (or from another site) nothing streams and nothing starts.
    assert.equal((await post('/chat', { message: 'hi' }, streamHeaders)).status, 403);
    const crossSite = await post('/chat', { message: 'hi' }, { ...streamHeaders, 'X-CSRF-Token': csrf, Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    assert.equal(fake.requests.filter((r) => r.path === '/api/chat').length, asked, 'the model was never asked');

    fake.chat = { tokens: ['**Streamed**', ' at once. ', ...HOSTILE, 'End.'], delayMs: 10 };
    const res = await post('/chat', { message: 'Stream it', wf: 'hello' }, { ...streamHeaders, 'X-CSRF-Token': csrf });
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'self'/, 'the security headers are on the stream too');
    const events = await readSse(res);
    const kinds = events.map((e) => e.event);
    assert.equal(kinds[0], 'turn', 'the bubble comes first');
    assert.match(events[0]!.data, /<li class="chat-turn chat-user">[\s\S]*Stream it/);
    const url = streamUrl(events[0]!.data);
    assert.ok(url, 'the bubble names the GET stream, for reconnecting');
    assert.ok(kinds.includes('html'), 'the text came as it streamed');
    assert.equal(kinds.at(-1), 'done');
    for (const e of events.slice(1)) assertInert(e.data);
    assert.match(events.at(-1)!.data, /<strong>Streamed<\/strong> at once\.[\s\S]*End\./);
    // The same answer is still there to reconnect to.
    const again = await readSse(await fetch(app.base + url));
    assert.deepEqual(again.map((e) => e.event), ['done']);
    assert.equal(again[0]!.data, events.at(-1)!.data);
  });

  test('Stop ends a slow answer; what came so far stays, marked stopped', async () => {
    fake.chat = { tokens: ['First words.', ...Array.from({ length: 200 }, (_, i) => ` more${i}`)], delayMs: 100 };
    const html = await (await send('Tell me a long story')).text();
    const url = streamUrl(html)!;
    const id = /\/chat\/turns\/([^/]+)\/stream/.exec(url)![1]!;
    // A stream that drops and reconnects starts from the answer so far, not from nothing.
    const firstTry = await readSse(await fetch(app.base + url), (e) => e.event === 'html');
    assert.match(firstTry.at(-1)!.data, /First words\./);
    const res = await fetch(app.base + url);
    let stopped = false;
    const events = await readSse(res, (e) => {
      if (e.event === 'html' && !stopped) {
        assert.match(e.data, /First words\./, 'the reconnect began with the text so far');
        stopped = true;
        void post(`/chat/turns/${id}/stop`, {}, { 'X-CSRF-Token': csrf, 'HX-Request': 'true' }).then((r) => assert.equal(r.status, 202));
      }
      return e.event === 'done';
    });
    const done = events.at(-1)!;
    assert.equal(done.event, 'done');
    assert.match(done.data, /chat-stopped/);
    assert.match(done.data, /First words\./);
    assert.match(done.data, /Stopped\./);
    assert.doesNotMatch(done.data, /more199/, 'the model did not get to the end');
    await fake.chatConnectionClosed();
    const pane = await (await fetch(app.base + '/chat/pane')).text();
    assert.match(pane, /<li class="chat-turn chat-assistant chat-stopped">[\s\S]*First words\./);
  });

  test('without JavaScript: the form posts, waits for the answer and comes back to the chat page', async () => {
    fake.chat = { tokens: ['Plain ', 'answer.'] };
    const res = await post('/chat', { message: 'No script here', _csrf: csrf, wf: 'hello' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/chat?wf=hello#chat-log');
    const page = await (await fetch(app.base + '/chat?wf=hello')).text();
    assert.match(page, /No script here/);
    assert.match(page, /<p>Plain answer\.<\/p>/);
    assert.doesNotMatch(page, /hx-get="\/chat\/pane/, 'the chat page has no second pane');
    // An empty message is refused with words.
    const empty = await send('   ');
    assert.equal(empty.status, 422);
    assert.match(await empty.text(), /Type a message first/);
  });

  test('the model\'s use of a tool is said in the answer, as text', async () => {
    fake.chat = { tokens: ['Noted.'], toolCalls: [{ name: 'remember', arguments: { key: 'colour', value: '<b onmouseover=x>blue</b>' } }], delayMs: 5 };
    const url = streamUrl(await (await send('Remember my colour')).text())!;
    const events = await readSse(await fetch(app.base + url));
    const tools = events.filter((e) => e.event === 'tools');
    assert.ok(tools.length > 0, 'a tools event while streaming');
    assert.match(tools[0]!.data, /^<li>Remembered [^<]*colour[^<]*&lt;b onmouseover=x&gt;blue&lt;\/b&gt;[^<]*<\/li>/, 'escaped as text');
    assert.match(events.at(-1)!.data, /<ul class="chat-tools"><li>Remembered/);
  });

  test('an unknown or expired turn has no stream', async () => {
    const res = await fetch(app.base + '/chat/turns/nope/stream');
    assert.equal(res.status, 404);
    assert.match(await res.text(), /no longer live/);
  });

  test('New conversation starts afresh; the history page searches the old one', async () => {
    fake.chat = { tokens: ['The ', 'zebra ', 'fact.'] };
    const url = streamUrl(await (await send('Tell me about zebras')).text())!;
    await readSse(await fetch(app.base + url));
    const res = await post('/chat/new', {}, { 'X-CSRF-Token': csrf, 'HX-Request': 'true' });
    assert.equal(res.status, 200);
    const pane = await res.text();
    assert.match(pane, /^<section id="chat-pane"/);
    assert.doesNotMatch(pane, /zebra/, 'the new conversation is empty');
    const found = await (await fetch(app.base + '/chat/history?q=zebra')).text();
    assert.match(found, /Tell me about zebras/);
    assert.match(found, /<p>The zebra fact\.<\/p>/);
  });

  test('the history downloads as JSON, and clearing needs the box ticked and the token', async () => {
    fake.chat = { tokens: ['Giraffes ', 'are ', 'tall.'] };
    const url = streamUrl(await (await send('Tell me about giraffes')).text())!;
    await readSse(await fetch(app.base + url));

    const dl = await fetch(app.base + '/chat/history/export');
    assert.match(dl.headers.get('content-disposition') ?? '', /^attachment; filename="railbook-chat-default-\d{4}-\d{2}-\d{2}\.json"$/);
    const file = (await dl.json()) as { format: string; conversations: { turns: { content: string }[] }[] };
    assert.equal(file.format, 'railbook-chat');
    const all = file.conversations.flatMap((c) => c.turns.map((t) => t.content));
    assert.ok(all.includes('Tell me about giraffes') && all.includes('Giraffes are tall.'), JSON.stringify(all));

    assert.equal((await post('/chat/history/clear', { confirm: 'yes' })).status, 403, 'no token: refused');
    const unticked = await post('/chat/history/clear', {}, { 'X-CSRF-Token': csrf });
    assert.equal(unticked.headers.get('location'), '/chat/history?cleared=no');
    assert.match(await (await fetch(app.base + '/chat/history')).text(), /Tell me about giraffes/, 'nothing cleared without the box');

    const cleared = await post('/chat/history/clear', { confirm: 'yes' }, { 'X-CSRF-Token': csrf });
    assert.equal(cleared.status, 303);
    const page = await (await fetch(app.base + '/chat/history?cleared=yes')).text();
    assert.match(page, /The conversation was cleared\./);
    assert.doesNotMatch(page, /giraffes/);
    // An earlier conversation is not the current one: it stays searchable.
    assert.match(await (await fetch(app.base + '/chat/history?q=zebra')).text(), /Tell me about zebras/);
  });

  test('the health badge says the model is ready, with the detail in its tooltip', async () => {
    const badge = await (await fetch(app.base + '/settings/health')).text();
    assert.match(badge, /class="health-badge health-ready"/);
    assert.match(badge, />model ready</);
    assert.match(badge, /title="Ollama [^"]*gemma3:1b"/);
  });
});

describe('chat on the web, without a model', () => {
  let app: TestApp;
  before(async () => {
    // An OpenAI-compatible provider without a URL: no model, and the help says what to set.
    app = await startTestApp({ ai: { provider: 'openai' } });
  });
  after(async () => {
    await app?.stop();
  });

  test('the pane shows how to connect a model and links to Settings; the badge says "no model"', async () => {
    const pane = await (await fetch(app.base + '/chat/pane')).text();
    assert.match(pane, /<div class="chat-empty"><p class="chat-help">[^<]*no base URL is set[\s\S]*?<a href="\/settings">Settings<\/a>/);
    const badge = await (await fetch(app.base + '/settings/health')).text();
    assert.match(badge, /class="health-badge health-none"/);
    assert.match(badge, />no model</);
    assert.match(badge, /href="\/settings"/);
  });

  test('a message gets the help as its answer, not a failure of the page', async () => {
    const csrf = await app.csrf();
    const res = await fetch(app.base + '/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrf, 'HX-Request': 'true' },
      body: 'message=hello',
    });
    const url = /data-chat-stream="([^"]+)"/.exec(await res.text())![1]!;
    const events = await readSse(await fetch(app.base + url));
    assert.equal(events.at(-1)!.event, 'done');
    assert.match(events.at(-1)!.data, /chat-failed[\s\S]*no base URL is set/);
  });
});
