import type { Context } from 'hono';

/** Sent with every response. The CSP allows only the app's own scripts, styles and fonts. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  // Not no-referrer: with it Chromium sends "Origin: null" on same-origin form posts, which the
  // origin check (rightly) refuses. same-origin still sends nothing to other sites.
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Adds the security headers to a response's headers, in place. A route that set its own
 * (stricter) CSP keeps it; the others are always set. Throws if the headers are immutable.
 */
export function setSecurityHeaders(h: Headers): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
    if (k === 'Content-Security-Policy' && h.has(k)) continue;
    if (k === 'X-Frame-Options' && framedBySelf(h)) continue;
    h.set(k, v);
  }
}

/** A route whose own CSP lets the app frame it (a notebook's HTML output) must not be denied by X-Frame-Options. */
function framedBySelf(h: Headers): boolean {
  return /frame-ancestors 'self'/.test(h.get('Content-Security-Policy') ?? '');
}

/**
 * True if `h` already carries every security header with its value (a route's own CSP counts):
 * then the response can go out as it is, without `secureResponse`'s rebuild.
 */
export function hasSecurityHeaders(h: Headers): boolean {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
    if (k === 'X-Frame-Options' && framedBySelf(h)) continue;
    if (k === 'Content-Security-Policy' ? !h.has(k) : h.get(k) !== v) return false;
  }
  return true;
}

/**
 * Replaces the response the app produced (`c.res`) with one that carries the security headers.
 *
 * It builds a new Response rather than editing `c.res.headers` in place: @hono/node-server's
 * lightweight Response keeps in-place header changes only until something re-wraps it (Hono's
 * `c.res` setter, its HEAD handling, reading the body), and some responses have immutable headers
 * (`Response.redirect()`). The body is passed on as it is (a stream stays a stream).
 */
export function secureResponse(c: Context): void {
  const old = c.res;
  const headers = new Headers(old.headers);
  setSecurityHeaders(headers);
  c.res = new Response(old.body, { status: old.status, statusText: old.statusText, headers });
}
