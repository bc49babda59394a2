import { randomBytes } from 'node:crypto';
import type { ChatEvent, Citation } from '../ai/chat/chat-types.ts';

/**
 * Chat turns in flight, for the pane's SSE streams. A turn is started by `POST /chat` and runs
 * detached from any request: the browser then connects (and may reconnect) to its stream, which
 * shows the turn's state so far and follows it. What is kept is the state (text so far, tools,
 * citations, how it ended), not every event: a reconnect needs only the latest state, since each
 * update re-renders the whole answer. A finished turn stays a short while (a reconnect after the
 * end still gets the end), then goes; the answer itself is stored by the ChatService.
 */

export interface LiveTurn {
  readonly id: string;
  readonly startedAt: number;
  /** The answer's text so far (raw model text: render it before it goes into HTML). */
  text: string;
  tools: { name: string; summary: string }[];
  citations: Citation[];
  /** Set once, by the turn's `done` event (or a failure of the service itself). */
  done: Extract<ChatEvent, { type: 'done' }> | undefined;
  /** Grows with every change: a stream sends when it differs from what it sent last. */
  version: number;
  /** When the first token arrived (performance.now()), for the first-token path. */
  firstTokenAt: number | undefined;
}

interface Entry {
  turn: LiveTurn;
  controller: AbortController;
  waiters: Set<() => void>;
  expiry: NodeJS.Timeout | undefined;
}

export interface ChatStreamsOptions {
  /** How long a finished turn stays for reconnects (default 60 s). */
  keepMs?: number | undefined;
  /** Turns kept at most, finished ones dropped oldest first (default 200). */
  maxTurns?: number | undefined;
}

export class ChatStreams {
  private readonly entries = new Map<string, Entry>();
  private readonly running = new Set<Promise<void>>();
  private readonly keepMs: number;
  private readonly maxTurns: number;

  constructor(opts: ChatStreamsOptions = {}) {
    this.keepMs = opts.keepMs ?? 60_000;
    this.maxTurns = opts.maxTurns ?? 200;
  }

  /**
   * Starts consuming `events` (the service's turn, given the signal that stops it) and returns
   * the live turn at once. Never throws for the turn's own failures: they end it with an error.
   */
  start(events: (signal: AbortSignal) => AsyncIterable<ChatEvent>): LiveTurn {
    this.prune();
    const id = randomBytes(12).toString('base64url');
    const turn: LiveTurn = { id, startedAt: Date.now(), text: '', tools: [], citations: [], done: undefined, version: 0, firstTokenAt: undefined };
    const entry: Entry = { turn, controller: new AbortController(), waiters: new Set(), expiry: undefined };
    this.entries.set(id, entry);
    const p = this.consume(entry, events);
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return turn;
  }

  get(id: string): LiveTurn | undefined {
    return this.entries.get(id)?.turn;
  }

  /** Stops the turn (the service keeps the partial answer). False if there is no such live turn. */
  stop(id: string): boolean {
    const e = this.entries.get(id);
    if (!e) return false;
    if (!e.turn.done) e.controller.abort();
    return true;
  }

  /** Stops every turn still running and waits (at most `waitMs`) until each has stored its answer. */
  async stopAll(waitMs = 5_000): Promise<void> {
    for (const e of this.entries.values()) if (!e.turn.done) e.controller.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running]), new Promise<void>((r) => { timer = setTimeout(r, waitMs); })]);
    clearTimeout(timer);
    for (const e of this.entries.values()) if (e.expiry) clearTimeout(e.expiry);
  }

  /**
   * Resolves at the turn's next change (or at once if it changed since `version`), or when
   * `signal` aborts; false when the turn is gone or the signal aborted.
   */
  async changed(id: string, version: number, signal?: AbortSignal): Promise<boolean> {
    const e = this.entries.get(id);
    if (!e || signal?.aborted) return false;
    if (e.turn.version !== version || e.turn.done) return true;
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        e.waiters.delete(wake);
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const onAbort = () => {
        e.waiters.delete(wake);
        resolve(false);
      };
      e.waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Resolves once the turn has ended (at once if it has, or is unknown). */
  async finished(id: string, signal?: AbortSignal): Promise<LiveTurn | undefined> {
    for (;;) {
      const t = this.get(id);
      if (!t || t.done) return t;
      if (!(await this.changed(id, t.version, signal))) return this.get(id);
    }
  }

  private async consume(entry: Entry, events: (signal: AbortSignal) => AsyncIterable<ChatEvent>): Promise<void> {
    const { turn } = entry;
    try {
      for await (const ev of events(entry.controller.signal)) {
        switch (ev.type) {
          case 'token':
            if (ev.text === '') continue;
            turn.firstTokenAt ??= performance.now();
            turn.text += ev.text;
            break;
          case 'tool':
            turn.tools.push({ name: ev.name, summary: ev.summary });
            break;
          case 'citations':
            turn.citations = ev.citations;
            break;
          case 'done':
            turn.done = ev;
            break;
          case 'start':
            continue;
        }
        this.bump(entry);
        if (turn.done) break;
      }
    } catch (e) {
      // The service promises a `done` for its own failures; this is one it did not catch.
      console.error('railbook: chat turn failed:', e);
      turn.done = { type: 'done', reason: 'error', message: 'The chat failed unexpectedly. The details are in the terminal where Railbook runs.' };
    }
    turn.done ??= entry.controller.signal.aborted
      ? { type: 'done', reason: 'aborted' }
      : { type: 'done', reason: 'error', message: 'The answer ended without saying how.' };
    this.bump(entry);
    entry.expiry = setTimeout(() => this.entries.delete(turn.id), this.keepMs);
    entry.expiry.unref();
  }

  private bump(entry: Entry): void {
    entry.turn.version++;
    for (const w of [...entry.waiters]) w();
  }

  /** Keeps the registry bounded: the oldest finished turns go first. */
  private prune(): void {
    if (this.entries.size < this.maxTurns) return;
    for (const [id, e] of this.entries) {
      if (this.entries.size < this.maxTurns) break;
      if (e.turn.done) {
        if (e.expiry) clearTimeout(e.expiry);
        this.entries.delete(id);
      }
    }
  }
}
