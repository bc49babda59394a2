/**
 * Reads a newline-delimited JSON body (Ollama's streamed answers): one JSON value per line, lines
 * split across network chunks put back together, a last line without its newline still read,
 * blank lines skipped. Works on bytes so a multi-byte character split between chunks is decoded
 * whole, and so the size limit counts what actually arrived.
 */
import { ProviderError } from './provider.ts';

/** No single line of a sane answer comes near this; a bigger one is a broken or hostile server. */
export const MAX_NDJSON_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;

export interface NdjsonOptions {
  maxLineBytes?: number | undefined;
  /** Names the source in error messages ("Ollama"). */
  source?: string | undefined;
}

/**
 * Yields each line's parsed JSON. Throws ProviderError `bad_response` for a line that is not JSON
 * or is longer than the limit; errors reading the body itself (a dropped connection, an abort)
 * propagate unchanged for the caller to name. Stopping early (break, throw) cancels the body so
 * the connection is let go.
 */
export async function* readNdjson(body: ReadableStream<Uint8Array>, opts: NdjsonOptions = {}): AsyncGenerator<unknown, void, undefined> {
  const max = opts.maxLineBytes ?? MAX_NDJSON_LINE_BYTES;
  const source = opts.source ?? 'The server';
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const reader = body.getReader();
  // Bytes of the line still waiting for its newline, kept as the chunks they came in.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let finished = false;

  const parse = (bytes: Uint8Array): unknown | typeof SKIP => {
    const text = decoder.decode(bytes).trim();
    if (text === '') return SKIP;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ProviderError('bad_response', `${source} sent a line that is not JSON: ${clip(text)}`);
    }
  };
  const tooLong = () => new ProviderError('bad_response', `${source} sent a line longer than ${max} bytes; giving up on the answer.`);

  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let start = 0;
      for (;;) {
        const nl = value.indexOf(NEWLINE, start);
        if (nl === -1) break;
        const piece = value.subarray(start, nl);
        if (pendingBytes + piece.length > max) throw tooLong();
        const line = pending.length === 0 ? piece : concat([...pending, piece], pendingBytes + piece.length);
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
        const parsed = parse(line);
        if (parsed !== SKIP) yield parsed;
      }
      if (start < value.length) {
        const rest = value.subarray(start);
        pendingBytes += rest.length;
        if (pendingBytes > max) throw tooLong();
        pending.push(rest);
      }
    }
    finished = true;
    if (pendingBytes > 0) {
      const parsed = parse(concat(pending, pendingBytes));
      if (parsed !== SKIP) yield parsed;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

const SKIP = Symbol('blank line');

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
