import type { ServerResponse } from 'node:http';
import { Hono, type Context } from 'hono';
import { stream } from 'hono/streaming';
import type { ChatPlace, ChatService, StoredTurn } from '../../ai/chat/chat-types.ts';
import type { Engine } from '../../engine/engine.ts';
import type { ChatStreams } from '../chat-streams.ts';
import { SECURITY_HEADERS } from '../security/index.ts';
import { ChatPane, FinalAnswer, readPlace, streamingHtml, Tools, TurnStarted, chatUrls, type ChatPaneModel } from '../views/chat-pane.tsx';
import { ChatHistoryPage, ChatPage } from '../views/chat-pages.tsx';
import { chrome, isHx, noStore } from './common.ts';
import { formBody } from './form-body.ts';
import type { ReadinessCache } from './settings.tsx';

/** The pane shows at most this many of the newest turns (the history page has them all). */
export const PANE_TURNS = 40;
/** A streaming answer is re-rendered and sent at most this often (the first token goes at once). */
export const CHAT_THROTTLE_MS = 50;
/** Longest message accepted (a pasted document belongs in the memory, not in one message). */
export const MESSAGE_MAX_CHARS = 20_000;
const HEARTBEAT_MS = 15_000;

export interface ChatRouteDeps {
  chat: ChatService;
  streams: ChatStreams;
  readiness: ReadinessCache;
}

/**
 * The chat beside every page:
 * - `GET /chat/pane` the pane as a fragment (every page loads it after itself), `GET /chat` the
 *   same as a page (the road without JavaScript);
 * - `POST /chat` starts a turn: to chat.js (`Accept: text/event-stream`) it answers with the SSE
 *   stream itself, the person's message and the answer's bubble first (event `turn`), then the
 *   answer; `GET /chat/turns/:id/stream` is the same stream again (EventSource reconnects there:
 *   it starts from the answer so far). Without the Accept, htmx-style, it answers with the bubble
 *   only; without JavaScript it waits for the whole answer and comes back to the chat page;
 * - `POST /chat/turns/:id/stop` stops an answer (what came so far is kept);
 * - `POST /chat/new` starts a new conversation; `GET /chat/history` searches the old ones.
 */
export function chatRoutes(engine: Engine, deps: ChatRouteDeps): Hono {
  const { chat, streams } = deps;
  const app = new Hono();

  app.get('/chat/pane', async (c) => {
    noStore(c);
    return c.html(<ChatPane m={await paneModel(c, engine, deps, readPlace((n) => c.req.query(n)))} />);
  });

  app.get('/chat', async (c) => {
    noStore(c);
    const place = readPlace((n) => c.req.query(n));
    const [ch, m] = await Promise.all([chrome(c, engine, place.workflowId), paneModel(c, engine, deps, place)]);
    return c.html(<ChatPage chrome={ch} m={m} />);
  });

  app.post('/chat', async (c) => {
    // Read straight from Node's request (form-body.ts): the web Request's stream costs more here.
    const body = await formBody(c);
    const message = typeof body.message === 'string' ? body.message : '';
    const place = readPlace((n) => body[n]);
    if (message.trim() === '' || message.length > MESSAGE_MAX_CHARS) {
      const why = message.trim() === '' ? 'Type a message first.' : `The message is longer than ${MESSAGE_MAX_CHARS.toLocaleString('en-US')} characters: add long texts to the memory instead.`;
      return c.text(why, 422);
    }
    const profile = await engine.store.profiles.current();
    // Started before anything is rendered: the first token is on its way while the page is answered.
    const turn = streams.start((signal) => chat.turn({ profile, message, place, signal }));
    noStore(c);
    // chat.js asks for the answer's stream in the same request: no second round trip before the
    // first token. The bubble goes first (it names the GET stream, for reconnecting).
    if (wantsStream(c)) {
      // The turn first: its setup (the message stored, the context built) runs on to the model
      // before the bubble is rendered and written, which then happen while the model works.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return followTurn(c, streams, turn.id, String(await (<TurnStarted message={message} turn={turn} />)));
    }
    if (isHx(c)) return c.html(<TurnStarted message={message} turn={turn} />);
    await streams.finished(turn.id, c.req.raw.signal);
    return c.redirect(`${chatUrls.page(place)}#chat-log`, 303);
  });

  app.get('/chat/turns/:id/stream', (c) => {
    const id = c.req.param('id');
    if (!streams.get(id)) {
      noStore(c);
      return c.text('This answer is no longer live: reload the page to see it.', 404);
    }
    return followTurn(c, streams, id);
  });

  app.post('/chat/turns/:id/stop', async (c) => {
    const stopped = streams.stop(c.req.param('id'));
    if (!isHx(c)) return c.redirect(`${chatUrls.page()}#chat-log`, 303);
    // Already gone: it ended by itself, which is what Stop wanted.
    return c.body(null, stopped ? 202 : 204);
  });

  app.post('/chat/new', async (c) => {
    const body = await c.req.parseBody();
    const place = readPlace((n) => body[n]);
    await chat.newConversation(await engine.store.profiles.current());
    if (!isHx(c)) return c.redirect(chatUrls.page(place), 303);
    noStore(c);
    return c.html(<ChatPane m={await paneModel(c, engine, deps, place)} />);
  });

  // The profile's conversations as one JSON file (notes and documents: `railbook memory export`).
  app.get('/chat/history/export', async (c) => {
    noStore(c);
    const profile = await engine.store.profiles.current();
    const conversations = await chat.exportConversations(profile);
    const name = `railbook-chat-${profile.replace(/[^\w.-]+/g, '_')}-${new Date().toISOString().slice(0, 10)}.json`;
    c.header('Content-Disposition', `attachment; filename="${name}"`);
    return c.json({ format: 'railbook-chat', version: 1, profile, exportedAt: new Date().toISOString(), conversations });
  });

  // Clearing needs the box ticked: a stray click or a script without it deletes nothing.
  app.post('/chat/history/clear', async (c) => {
    const body = await c.req.parseBody();
    if (body['confirm'] !== 'yes') return c.redirect('/chat/history?cleared=no', 303);
    await chat.clearConversation(await engine.store.profiles.current());
    return c.redirect('/chat/history?cleared=yes', 303);
  });

  app.get('/chat/history', async (c) => {
    noStore(c);
    const q = (c.req.query('q') ?? '').slice(0, 500);
    const profile = await engine.store.profiles.current();
    let turns: StoredTurn[] = [];
    let error: string | undefined;
    try {
      turns = q.trim() === '' ? await chat.history(profile, { limit: 500 }) : await chat.search(profile, q, { limit: 100 });
    } catch (e) {
      error = readFailure(e);
    }
    const cleared = c.req.query('cleared');
    const notice = cleared === 'yes' ? 'The conversation was cleared.' : cleared === 'no' ? 'Nothing was cleared: tick the box to confirm.' : undefined;
    return c.html(<ChatHistoryPage chrome={await chrome(c, engine)} q={q} turns={turns} error={error} notice={notice} />);
  });

  return app;
}

/** The pane's content; a chat that cannot be read is said in the pane, not as a failed page. */
async function paneModel(c: Context, engine: Engine, deps: ChatRouteDeps, place: ChatPlace): Promise<ChatPaneModel> {
  const ch = await chrome(c, engine);
  const m: ChatPaneModel = { csrf: ch.csrf, place, turns: [] };
  const [turns, readiness] = await Promise.all([
    deps.chat.history(ch.profile, { limit: PANE_TURNS }).catch((e: unknown) => {
      m.error = readFailure(e);
      return [];
    }),
    deps.readiness.within(),
  ]);
  m.turns = turns;
  m.readiness = readiness;
  return m;
}

function readFailure(e: unknown): string {
  console.error('railbook: the chat could not be read:', e);
  return 'The chat\'s memory could not be read. The details are in the terminal where Railbook runs.';
}

/** chat.js's POST asks for the answer as a stream; the form without JavaScript does not. */
function wantsStream(c: Context): boolean {
  return isHx(c) && (c.req.header('accept') ?? '').includes('text/event-stream');
}

/** One SSE event; every line of `data` gets its own `data:` (the browser joins them with newlines). */
function sseEvent(event: string, data: string): string {
  return `event: ${event}\ndata: ${data.replace(/\r\n|\r|\n/g, '\ndata: ')}\n\n`;
}

/** Where a turn's events go: written as they come; the promise (if any) is the socket's backpressure. */
interface SseSink {
  write(text: string): Promise<void> | undefined;
  /** Aborts when the client has gone. */
  signal: AbortSignal;
  end(): void;
}

/**
 * Answers with the live turn's SSE stream: `first` (if given), then the answer so far and every
 * change, ending with `done`. Under Node the events are written straight to the socket (Nagle off,
 * headers sent at once) rather than through a web stream that Node then reads back: each event is
 * on the wire when written. Elsewhere (app.request in tests) Hono's streaming helper does it.
 */
function followTurn(c: Context, streams: ChatStreams, id: string, first?: string): Response | Promise<Response> {
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
  };
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing) {
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    return stream(c, async (s) => {
      const ac = new AbortController();
      s.onAbort(() => ac.abort());
      await followLoop(streams, id, first, { write: (t) => s.write(t).then(() => undefined), signal: ac.signal, end: () => undefined });
    });
  }
  const ac = new AbortController();
  outgoing.once('close', () => ac.abort());
  // Node's server already turns Nagle off; said here too because each small event must leave at once.
  outgoing.socket?.setNoDelay(true);
  outgoing.writeHead(200, headers);
  // The headers (and the bubble) leave now, whatever the model does.
  if (first !== undefined) outgoing.write(sseEvent('turn', first));
  else outgoing.flushHeaders();
  const sink: SseSink = {
    write: (text) => {
      if (ac.signal.aborted || outgoing.write(text)) return undefined;
      return new Promise<void>((resolve) => {
        const go = () => {
          outgoing.off('drain', go);
          ac.signal.removeEventListener('abort', go);
          resolve();
        };
        outgoing.once('drain', go);
        ac.signal.addEventListener('abort', go, { once: true });
      });
    },
    signal: ac.signal,
    end: () => {
      if (!outgoing.writableEnded) outgoing.end();
    },
  };
  void followLoop(streams, id, undefined, sink).catch((e: unknown) => {
    console.error('railbook: a chat stream failed:', e);
    outgoing.destroy();
  });
  // The response is Node's own now: @hono/node-server leaves it alone.
  return new Response(null, { headers: { ...SECURITY_HEADERS, 'x-hono-already-sent': 'true' } });
}

async function followLoop(streams: ChatStreams, id: string, first: string | undefined, sink: SseSink): Promise<void> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  sink.signal.addEventListener('abort', stop, { once: true });
  if (sink.signal.aborted) ac.abort();
  const send = (event: string, data: string) => sink.write(sseEvent(event, data));
  const heartbeat = setInterval(() => void sink.write(': keep-alive\n\n'), HEARTBEAT_MS);
  let version = -1;
  let sentText = '';
  let sentTools = 0;
  let lastSent = 0;
  let renderMs = 0;
  try {
    if (first !== undefined) await send('turn', first);
    for (;;) {
      const t = streams.get(id);
      if (!t || ac.signal.aborted) break;
      if (t.done) {
        await send('done', String(await (<FinalAnswer turn={t} />)));
        break;
      }
      if (t.version !== version) {
        // The first text goes at once; after it, at most one render per CHAT_THROTTLE_MS (longer
        // when rendering itself is slow: a huge answer must not keep the server busy).
        const gap = Math.max(CHAT_THROTTLE_MS, renderMs * 4);
        const wait = sentText === '' ? 0 : gap - (performance.now() - lastSent);
        if (wait > 0) {
          await delay(wait, ac.signal);
          if (ac.signal.aborted) break;
          continue;
        }
        version = t.version;
        if (t.text !== sentText) {
          const t0 = performance.now();
          const html = streamingHtml(t);
          renderMs = performance.now() - t0;
          sentText = t.text;
          await send('html', html);
        }
        if (t.tools.length !== sentTools) {
          sentTools = t.tools.length;
          await send('tools', String(await (<Tools list={t.tools} />)));
        }
        lastSent = performance.now();
      }
      if (!(await streams.changed(id, version, ac.signal))) break;
    }
  } finally {
    clearInterval(heartbeat);
    sink.signal.removeEventListener('abort', stop);
    ac.abort();
    sink.end();
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
