/**
 * The client half of bench/chat-first-token.ts, in its own process (forked by it), so that its
 * fetch, SSE parsing and garbage never run on the server's event loop. It does what chat.js does
 * in a browser: POST /chat with the CSRF header (and the Origin a browser sends), then follows the
 * answer's SSE stream, and times from the moment the POST is sent until the first `html` event
 * (the first token's text) has arrived. Then it stops the answer and reads the stream to its end,
 * so no generation runs on into the next measurement.
 *
 * Mode `post-stream` (chat.js after the change): the POST itself answers with the stream when
 * asked to (`Accept: text/event-stream`); mode `two-requests`: the POST answers with the bubble's
 * HTML and the stream is a second request (what chat.js does when the POST cannot stream).
 *
 * One turn per message from the parent, so the parent can interleave its own peer measurement.
 */

import { readSse, type SseEvent } from '../src/ai/sse.ts';

export type ClientMode = 'post-stream' | 'two-requests';

export interface TurnAsk {
  base: string;
  csrf: string;
  /** Form fields sent along with the message (the pane's place). */
  fields: Record<string, string>;
  message: string;
  mode: ClientMode;
  /** Start a new conversation first (not timed), so every turn's prompt is the same. */
  fresh: boolean;
}

export interface TurnReply {
  ok: true;
  /** POST sent → first token's text on the stream, ms. */
  firstToken: number;
  /** When the POST was sent, as performance.timeOrigin + performance.now() (for the parent's breakdown). */
  sentAt: number;
  /** When the first token arrived (same clock). */
  arrivedAt: number;
  /** How the answer ended (`done` event seen). */
  done: boolean;
}

/** SSE events from a body (src/ai/sse.ts's parser); `next()` resolves with the next event with data, or undefined at the end. */
function sseReader(body: ReadableStream<Uint8Array>): { next(): Promise<SseEvent | undefined>; cancel(): Promise<void> } {
  const events = readSse(body);
  return {
    async next() {
      for (;;) {
        const r = await events.next();
        if (r.done) return undefined;
        if (r.value.data !== '') return r.value;
      }
    },
    cancel: async () => {
      await events.return(undefined).catch(() => undefined);
    },
  };
}

const now = () => performance.timeOrigin + performance.now();

async function turn(ask: TurnAsk): Promise<TurnReply> {
  const origin = ask.base;
  const headers: Record<string, string> = {
    'HX-Request': 'true',
    'X-CSRF-Token': ask.csrf,
    'Content-Type': 'application/x-www-form-urlencoded',
    // What a browser adds to a same-origin fetch POST.
    Origin: origin,
    'Sec-Fetch-Site': 'same-origin',
  };
  if (ask.mode === 'post-stream') headers.Accept = 'text/event-stream';
  const body = new URLSearchParams({ message: ask.message, ...ask.fields }).toString();
  if (ask.fresh) {
    const r = await fetch(`${ask.base}/chat/new`, { method: 'POST', headers: { ...headers, Accept: 'text/html' }, body: new URLSearchParams(ask.fields).toString() });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`POST /chat/new → ${r.status}`);
  }

  const t0 = performance.now();
  const sentAt = now();
  const res = await fetch(`${ask.base}/chat`, { method: 'POST', headers, body });
  let stream: ReturnType<typeof sseReader>;
  let stopUrl: string | undefined;
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    if (ask.mode !== 'post-stream') throw new Error('the POST streamed although it was not asked to');
    stream = sseReader(res.body!);
  } else {
    const html = await res.text();
    if (res.status !== 200) throw new Error(`POST /chat → ${res.status}: ${html.slice(0, 300)}`);
    if (ask.mode === 'post-stream') throw new Error(`the POST did not stream (${res.headers.get('content-type')}): ${html.slice(0, 200)}`);
    const url = /data-chat-stream="([^"]+)"/.exec(html)?.[1];
    stopUrl = /data-chat-stop-url="([^"]+)"/.exec(html)?.[1];
    if (!url) throw new Error(`no stream URL in the POST's answer: ${html.slice(0, 300)}`);
    // As EventSource asks for it.
    const s = await fetch(ask.base + url.replaceAll('&amp;', '&'), { headers: { Accept: 'text/event-stream', 'Cache-Control': 'no-cache' } });
    if (s.status !== 200) throw new Error(`GET ${url} → ${s.status}: ${(await s.text()).slice(0, 200)}`);
    stream = sseReader(s.body!);
  }

  let firstToken = NaN;
  let arrivedAt = NaN;
  let done = false;
  try {
    for (;;) {
      const e = await stream.next();
      if (!e) break;
      if (e.event === 'turn') {
        // The post-stream mode's first event: the bubble, naming its stop URL.
        stopUrl = /data-chat-stop-url="([^"]+)"/.exec(e.data)?.[1];
        continue;
      }
      if (e.event === 'html' && Number.isNaN(firstToken)) {
        firstToken = performance.now() - t0;
        arrivedAt = now();
        // Stop at once: the measurement is over, and the next one must not share the CPU with it.
        if (stopUrl) {
          void fetch(ask.base + stopUrl.replaceAll('&amp;', '&'), { method: 'POST', headers: { 'HX-Request': 'true', 'X-CSRF-Token': ask.csrf, Origin: origin } }).then((r) => r.arrayBuffer());
        }
        continue;
      }
      if (e.event === 'done') {
        done = true;
        break;
      }
    }
  } finally {
    await stream.cancel();
  }
  if (Number.isNaN(firstToken)) throw new Error('the answer ended without a token');
  return { ok: true, firstToken, sentAt, arrivedAt, done };
}

process.on('message', (ask: TurnAsk) => {
  turn(ask).then(
    (r) => process.send!(r),
    (e: unknown) => process.send!({ ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) }),
  );
});
process.on('disconnect', () => process.exit(0));
