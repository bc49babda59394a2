// Small helpers the providers and the AI services share to read what comes over the wire and to
// say what went wrong.

/** A JSON object (not an array, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The useful part of a fetch failure: undici hides the reason (ECONNREFUSED, "other side closed") in `cause`. */
export function fetchFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return err.message;
}

/** A server's text, on one line and at most 200 characters, for a message. */
export function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** An error's message for a person (provider errors are written for people); `undefined` is "no answer". */
export function messageOf(e: unknown): string {
  if (e === undefined) return 'no answer';
  return e instanceof Error ? e.message : String(e);
}
