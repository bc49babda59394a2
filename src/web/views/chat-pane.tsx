import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { ChatPlace, ChatReadiness, Citation, StoredTurn } from '../../ai/chat/chat-types.ts';
import { renderModelText, renderModelTextStreaming } from '../../ai/render-model-text.ts';
import type { LiveTurn } from '../chat-streams.ts';

// The chat beside every page. Everything a model wrote goes through renderModelText (markdown →
// sanitized HTML) on the server, also while it streams: the browser never renders model text.
// What the person typed is shown as text, as typed.

export const chatUrls = {
  /** The full-page chat (also the road without JavaScript). */
  page: (place?: ChatPlace) => `/chat${placeQuery(place)}`,
  /** The pane as a fragment, loaded by every page after it has loaded. */
  pane: (place?: ChatPlace) => `/chat/pane${placeQuery(place)}`,
  send: () => '/chat',
  newConversation: () => '/chat/new',
  history: (q?: string) => `/chat/history${q ? `?q=${encodeURIComponent(q)}` : ''}`,
  stream: (id: string) => `/chat/turns/${encodeURIComponent(id)}/stream`,
  stop: (id: string) => `/chat/turns/${encodeURIComponent(id)}/stop`,
  settings: () => '/settings',
  /** The Memory page: notes and documents the chat uses. */
  memory: () => '/memory',
  health: () => '/settings/health',
};

function placeQuery(place: ChatPlace | undefined): string {
  const q = new URLSearchParams();
  if (place?.workflowId) q.set('wf', place.workflowId);
  if (place?.runKey) q.set('run', place.runKey);
  if (place?.stepId) q.set('step', place.stepId);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The place named in a query or form (`wf`, `run`, `step`), each a short single line or nothing. */
export function readPlace(get: (name: string) => unknown): ChatPlace {
  const one = (v: unknown) => (typeof v === 'string' && v !== '' && v.length <= 200 && !/[\u0000-\u001f]/.test(v) ? v : undefined);
  const place: ChatPlace = {};
  const wf = one(get('wf'));
  const run = one(get('run'));
  const step = one(get('step'));
  if (wf) place.workflowId = wf;
  if (run) place.runKey = run;
  if (step) place.stepId = step;
  return place;
}

/**
 * The pane's place in every page: empty until the page has loaded, then htmx fetches the pane, so
 * no page waits for the chat's history or a provider's answer. Without JavaScript it is a link
 * to the full-page chat.
 */
export function ChatSlot({ place }: { place?: ChatPlace | undefined }): Child {
  return (
    <section id="chat-pane" class="chat-pane" aria-labelledby="chat-title" hx-get={chatUrls.pane(place)} hx-trigger="load" hx-swap="outerHTML">
      <h2 id="chat-title" class="chat-title">Chat</h2>
      <p class="muted"><a href={chatUrls.page(place)}>Open the chat</a></p>
    </section>
  );
}

export interface ChatPaneModel {
  csrf: string;
  place: ChatPlace;
  turns: StoredTurn[];
  /** Undefined when it could not be known in time (the pane then says nothing about it). */
  readiness?: ChatReadiness | undefined;
  /** The chat could not be read at all: why, for a person. */
  error?: string | undefined;
}

export function ChatPane({ m }: { m: ChatPaneModel }): Child {
  return (
    <section id="chat-pane" class="chat-pane" aria-labelledby="chat-title">
      <div class="chat-head">
        <h2 id="chat-title" class="chat-title">Chat</h2>
        <a href={chatUrls.history()} class="chat-history-link">History</a>
        <a href={chatUrls.memory()} class="chat-history-link" title="Notes and documents the assistant remembers">Memory</a>
        <form method="post" action={chatUrls.newConversation()} class="chat-new" hx-post={chatUrls.newConversation()} hx-target="#chat-pane" hx-swap="outerHTML">
          <Csrf token={m.csrf} />
          <PlaceFields place={m.place} />
          <button type="submit" class="secondary outline">New conversation</button>
        </form>
      </div>
      {m.error ? <p class="chat-error" role="alert">{m.error}</p> : null}
      {m.readiness && !m.readiness.ready ? <EmptyState r={m.readiness} /> : null}
      <ol id="chat-log" class="chat-log" aria-label="Conversation">
        {m.turns.map((t) => <TurnItem t={t} />)}
      </ol>
      <p id="chat-status" class="visually-hidden" role="status"></p>
      <form method="post" action={chatUrls.send()} class="chat-form" data-chat-form>
        <Csrf token={m.csrf} />
        <PlaceFields place={m.place} />
        <label for="chat-message" class="visually-hidden">Message</label>
        <textarea id="chat-message" name="message" rows={3} required maxlength={20000} placeholder="Ask about this page… (Enter sends, Shift+Enter for a new line)" aria-describedby="chat-keys"></textarea>
        <p id="chat-keys" class="visually-hidden">Enter sends; Shift+Enter starts a new line.</p>
        <div class="chat-actions">
          <button type="submit" data-chat-send>Send</button>
          <button type="button" class="secondary" data-chat-stop hidden>Stop</button>
        </div>
      </form>
    </section>
  );
}

function EmptyState({ r }: { r: ChatReadiness }): Child {
  return (
    <div class="chat-empty">
      <p class="chat-help">{r.help ?? r.detail}</p>
      <p><a href={chatUrls.settings()}>Settings</a></p>
    </div>
  );
}

/** The CSRF field (layout.tsx has one too; this file is imported by it, so no import back). */
function Csrf({ token }: { token: string }): Child {
  return <input type="hidden" name="_csrf" value={token} />;
}

function PlaceFields({ place }: { place: ChatPlace }): Child {
  return (
    <>
      {place.workflowId ? <input type="hidden" name="wf" value={place.workflowId} /> : null}
      {place.runKey ? <input type="hidden" name="run" value={place.runKey} /> : null}
      {place.stepId ? <input type="hidden" name="step" value={place.stepId} /> : null}
    </>
  );
}

/** A stored turn: the person's words as text, the model's as rendered markdown. */
export function TurnItem({ t }: { t: StoredTurn }): Child {
  if (t.role === 'user') return <UserTurn text={t.content} />;
  return (
    <li class={`chat-turn chat-${t.role} chat-${t.status}`}>
      {t.role === 'comment' ? <p class="chat-who muted">Comment on a step</p> : null}
      <div class="chat-text model-text">{raw(renderModelText(t.content))}</div>
      <EndNote status={t.status} error={t.error} />
      {t.citations?.length ? <Citations list={t.citations} /> : null}
    </li>
  );
}

export function UserTurn({ text }: { text: string }): Child {
  return (
    <li class="chat-turn chat-user">
      <p class="visually-hidden">You:</p>
      <div class="chat-text chat-user-text">{text}</div>
    </li>
  );
}

function EndNote({ status, error }: { status: StoredTurn['status']; error?: string | undefined }): Child {
  if (status === 'stopped') return <p class="chat-note muted">Stopped.</p>;
  if (status === 'failed') return <p class="chat-note chat-error">{error ?? 'The answer failed.'}</p>;
  return null;
}

export function Citations({ list }: { list: Citation[] }): Child {
  return (
    <ol class="chat-citations" aria-label="Sources">
      {list.map((c) => (
        <li value={String(c.n)}>
          <details>
            <summary>[{c.n}] {c.title ?? c.source}</summary>
            <p class="muted chat-source">{c.source}</p>
            <p class="chat-excerpt">{c.excerpt}</p>
          </details>
        </li>
      ))}
    </ol>
  );
}

export function Tools({ list }: { list: LiveTurn['tools'] }): Child {
  return <>{list.map((t) => <li>{t.summary}</li>)}</>;
}

/** The answer while it streams: chat.js follows `data-chat-stream`; Stop posts to `data-chat-stop-url`. */
export function LiveAnswer({ turn }: { turn: LiveTurn }): Child {
  return (
    <li class="chat-turn chat-assistant is-streaming" id={`chat-turn-${turn.id}`} aria-busy="true" data-chat-stream={chatUrls.stream(turn.id)} data-chat-stop-url={chatUrls.stop(turn.id)}>
      <div class="chat-text model-text" data-chat-body>{raw(streamingHtml(turn))}</div>
      <ul class="chat-tools" data-chat-tools>
        <Tools list={turn.tools} />
      </ul>
    </li>
  );
}

/** The answer once the turn has ended: rendered in full, with how it ended. */
export function FinalAnswer({ turn }: { turn: LiveTurn }): Child {
  const done = turn.done;
  const status: StoredTurn['status'] = done?.reason === 'aborted' ? 'stopped' : done?.reason === 'error' ? 'failed' : 'done';
  return (
    <li class={`chat-turn chat-assistant chat-${status}`} id={`chat-turn-${turn.id}`}>
      {turn.text !== '' ? <div class="chat-text model-text">{raw(renderModelText(turn.text))}</div> : null}
      {turn.tools.length ? <ul class="chat-tools"><Tools list={turn.tools} /></ul> : null}
      {done?.reason === 'length' ? <p class="chat-note muted">Cut at the length limit.</p> : null}
      <EndNote status={status} error={done?.message} />
      {turn.citations.length ? <Citations list={turn.citations} /> : null}
    </li>
  );
}

/**
 * Text that markdown and the sanitizer leave as it is, in one paragraph: words (letters and
 * digits), single-line, with spaces and a few marks that mean nothing to either (no `.` or `)`,
 * which can start a list after a digit; no `:`, `@`, `/` or `www`-style dots, which can become
 * links; at most 3 leading spaces, 4 make code). The first words of most answers look like this.
 */
const PLAIN_WORDS = /^ {0,3}[\p{L}\p{N}][ \p{L}\p{N},;!?]*$/u;

/** The partial answer's HTML (what the stream's `html` events carry). */
export function streamingHtml(turn: LiveTurn): string {
  if (turn.text === '') return '<p class="chat-waiting muted">…</p>';
  // The first token is on the page's path to its first words: plain words skip the markdown
  // parser and the sanitizer (a quarter of a millisecond), with the very same HTML as their output.
  if (PLAIN_WORDS.test(turn.text)) return `<p>${turn.text}</p>\n`;
  return renderModelTextStreaming(turn.text);
}

/** The person's message and the answer that streams: what `POST /chat` answers to chat.js. */
export function TurnStarted({ message, turn }: { message: string; turn: LiveTurn }): Child {
  return (
    <>
      <UserTurn text={message} />
      <LiveAnswer turn={turn} />
    </>
  );
}
