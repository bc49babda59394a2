import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { safeEqual } from './constant-time.ts';
import { peekMultipartField } from './multipart-csrf.ts';

export const CSRF_HEADER = 'X-CSRF-Token';
export const CSRF_FIELD = '_csrf';

/**
 * The CSRF token is derived from the data folder's persisted secret, so it survives server
 * restarts (a tab left open keeps working) and another site can neither read nor guess it.
 */
export function deriveCsrfToken(secret: string): string {
  return createHmac('sha256', secret).update('railbook-csrf').digest('hex');
}

/**
 * True if the header or form field carries `expected`. Parses urlencoded bodies (Hono caches them
 * for the route); of a multipart body (an upload, maybe gigabytes) only the first part is read,
 * which must be `_csrf` — the app's forms put it first — and handed back to the route unread.
 */
export async function hasValidCsrfToken(c: Context, expected: string): Promise<boolean> {
  const header = c.req.header(CSRF_HEADER);
  if (header !== undefined) return safeEqual(header, expected);
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' && type !== 'multipart/form-data') return false;
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (type === 'multipart/form-data' && incoming) {
    const v = await peekMultipartField(incoming, c.req.header('content-type') ?? '', CSRF_FIELD);
    return v !== undefined && safeEqual(v, expected);
  }
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody({ all: true });
  } catch {
    return false;
  }
  const v = body[CSRF_FIELD];
  const values = Array.isArray(v) ? v : v === undefined ? [] : [v];
  if (values.length === 0) return false;
  // Every copy must be right (htmx may include the field twice); each is checked in constant time.
  let ok = true;
  for (const x of values) ok = (typeof x === 'string' && safeEqual(x, expected)) && ok;
  return ok;
}
