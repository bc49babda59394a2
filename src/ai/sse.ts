/**
 * A reader of a `text/event-stream` body, per the WHATWG rules for interpreting an event stream:
 * lines end in CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of the next are
 * one line ending); a blank line dispatches the event being built; `:` starts a comment; one space
 * after a field's colon is dropped; `data` lines join with "\n"; an event left without its blank
 * line when the stream ends is discarded, as a browser would.
 */
import { ProviderError } from './provider.ts';

export interface SseEvent {
  /** The `event:` field, or "message". */
  event: string;
  data: string;
  /** The last `id:` seen on the stream, if any. */
  id?: string | undefined;
}

/** A line, or one event's data, longer than this is not a model talking: it is refused. */
export const SSE_MAX_LINE = 16 * 1024 * 1024;

export async function* readSse(
  body: ReadableStream<Uint8Array>,
  opts: { maxLine?: number } = {},
): AsyncGenerator<SseEvent, void, undefined> {
  const maxLine = opts.maxLine ?? SSE_MAX_LINE;
  const reader = body.getReader();
  // The default decoder drops a leading BOM, as the spec asks.
  const decoder = new TextDecoder('utf-8');
  const parser = new SseParser(maxLine);
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.feed(decoder.decode(value, { stream: true }));
    }
    yield* parser.feed(decoder.decode());
    finished = true;
  } finally {
    // Stopping early (break, abort, error) must close the connection, not leave it draining.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

const LINE_END = /\r\n|\r|\n/g;

/** The line splitting and field interpretation, apart from I/O so it can run over any chunks. */
export class SseParser {
  private pending = '';
  /** The previous chunk ended in CR: an LF first in the next one belongs to that line ending. */
  private skipLF = false;
  private data = '';
  private hasData = false;
  private eventType = '';
  private lastId: string | undefined;

  constructor(private readonly maxLine: number = SSE_MAX_LINE) {}

  *feed(text: string): Generator<SseEvent> {
    let start = 0;
    if (this.skipLF && text.length > 0) {
      if (text.charCodeAt(0) === 10) start = 1;
      this.skipLF = false;
    }
    LINE_END.lastIndex = start;
    for (let m = LINE_END.exec(text); m; m = LINE_END.exec(text)) {
      const line = this.pending + text.slice(start, m.index);
      this.pending = '';
      start = m.index + m[0].length;
      if (m[0] === '\r' && start === text.length) this.skipLF = true;
      const event = this.line(line);
      if (event) yield event;
    }
    this.pending += text.slice(start);
    if (this.pending.length > this.maxLine) this.tooLong();
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.charCodeAt(0) === 58 /* : */) return undefined; // a comment, e.g. a keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data = this.hasData ? `${this.data}\n${value}` : value;
        this.hasData = true;
        if (this.data.length > this.maxLine) this.tooLong();
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default:
        break; // retry and unknown fields mean nothing to a reader that never reconnects
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const event = this.hasData ? { event: this.eventType || 'message', data: this.data, id: this.lastId } : undefined;
    this.data = '';
    this.hasData = false;
    this.eventType = '';
    return event;
  }

  private tooLong(): never {
    throw new ProviderError('bad_response', `An event-stream line or event is over ${this.maxLine} characters: this is not a model's answer.`);
  }
}
