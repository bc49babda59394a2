import type { Context, MiddlewareHandler } from 'hono';
import { isAuthorized, locationWithoutToken, sessionCookie, TOKEN_PARAM, UNAUTHORIZED_PAGE } from './access-token.ts';
import { safeEqual } from './constant-time.ts';
import { deriveCsrfToken, hasValidCsrfToken } from './csrf.ts';
import { hasSecurityHeaders, SECURITY_HEADERS, secureResponse } from './headers.ts';
import { hostHeaderOf, isAllowedHost, localPortOf } from './host-check.ts';
import { crossOriginReason, isSafeMethod } from './origin-check.ts';

export { CSRF_FIELD, CSRF_HEADER, deriveCsrfToken } from './csrf.ts';
export { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from './headers.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by `security()`; read it with `csrfToken(c)`. */
    railbookCsrfToken: string;
  }
}

export interface SecurityOptions {
  /** Required on every request when set (non-loopback binds). */
  accessToken?: string | undefined;
  /** Secret from which CSRF tokens are derived (persisted in the data folder's settings). */
  csrfSecret: string;
}

/**
 * The first middleware of the app, on every request, in this order:
 * 1. Host check (DNS rebinding) — loopback names on the socket's real port only; skipped when
 *    an access token is configured, since the token then protects every request.
 * 2. Access token (when configured): `?token=` becomes a cookie and a redirect; otherwise a
 *    cookie or `Authorization: Bearer` is required.
 * 3. State-changing methods: refused if cross-site (`Sec-Fetch-Site`) or cross-origin
 *    (`Origin`), and unless they carry the CSRF token (`X-CSRF-Token` header or `_csrf` field).
 * 4. Security headers (CSP, nosniff, no framing, …) on every response, refusals included.
 */
export function security(opts: SecurityOptions): MiddlewareHandler {
  if (!opts.csrfSecret) throw new Error('security(): csrfSecret must not be empty');
  if (opts.accessToken !== undefined && opts.accessToken.length < 8) throw new Error('security(): the access token is too short (at least 8 characters)');
  const csrf = deriveCsrfToken(opts.csrfSecret);
  const accessToken = opts.accessToken;

  return async (c, next) => {
    c.set('railbookCsrfToken', csrf);
    // Set up front: every response the app builds with c.html/c.json/c.body/c.redirect/c.newResponse
    // starts out with them (a route may still set a stricter CSP of its own), so it need not be
    // rebuilt below. A rebuild turns the body into a stream that node then reads back chunk by
    // chunk: that cost more than a step's whole SQLite transaction (docs/PERFORMANCE.md).
    for (const k in SECURITY_HEADERS) c.header(k, SECURITY_HEADERS[k]);
    const refusal = await check(c);
    if (refusal) return refusal;
    try {
      await next();
    } catch (e) {
      // Hono calls app.onError for a route's error, so this is an error of the error handler
      // itself: answer a plain 500 that still carries the security headers.
      console.error(`railbook: unhandled error on ${c.req.method} ${c.req.path}:`, e);
      c.res = c.text('Internal Server Error\n', 500, { ...SECURITY_HEADERS, 'Cache-Control': 'no-store' });
      return;
    }
    // A Response made by hand (`new Response(…)`, an HTTPException's) lacks them: rebuild it.
    if (!hasSecurityHeaders(c.res.headers)) secureResponse(c);
  };

  async function check(c: Context): Promise<Response | undefined> {
    const port = localPortOf(c);
    const host = hostHeaderOf(c);

    if (accessToken === undefined) {
      if (!isAllowedHost(host, port)) {
        const expected = port === undefined ? 'a loopback name' : `127.0.0.1:${port}, localhost:${port} or [::1]:${port}`;
        return forbidden(c, `unexpected Host header ${JSON.stringify(host ?? '')} (this server answers only to ${expected})`);
      }
    } else {
      const given = c.req.query(TOKEN_PARAM);
      if (given !== undefined && (c.req.method === 'GET' || c.req.method === 'HEAD')) {
        if (!safeEqual(given, accessToken)) return unauthorized(c, 'wrong access token');
        return c.body(null, 303, {
          ...SECURITY_HEADERS,
          Location: locationWithoutToken(c.req.url),
          'Set-Cookie': sessionCookie(port, accessToken),
          'Cache-Control': 'no-store',
        });
      }
      if (!isAuthorized(c, accessToken, port)) return unauthorized(c, 'missing or wrong access token');
    }

    if (!isSafeMethod(c.req.method)) {
      const why = crossOriginReason({ origin: c.req.header('origin'), secFetchSite: c.req.header('sec-fetch-site'), host });
      if (why) return forbidden(c, why);
      if (!(await hasValidCsrfToken(c, csrf))) return forbidden(c, 'missing or invalid CSRF token');
    }
    return undefined;
  }
}

// Refusals carry the security headers from the start (the middleware returns before next()).

function forbidden(c: Context, why: string): Response {
  return c.text(`Forbidden: ${why}\n`, 403, { ...SECURITY_HEADERS, ...closeIfBody(c), 'Cache-Control': 'no-store' });
}

function unauthorized(c: Context, why: string): Response {
  return c.html(UNAUTHORIZED_PAGE, 401, {
    ...SECURITY_HEADERS,
    ...closeIfBody(c),
    'WWW-Authenticate': `Bearer realm="railbook", error="invalid_token", error_description="${why}"`,
    'Cache-Control': 'no-store',
  });
}

/**
 * A refused request's body is never read. On a kept-alive connection Node would read and discard
 * all of it (a refused multi-GB upload, in full) before the next request: closing the connection
 * tells the client to stop sending instead.
 */
function closeIfBody(c: Context): Record<string, string> {
  return isSafeMethod(c.req.method) ? {} : { Connection: 'close' };
}

/** The CSRF token views embed in forms (`_csrf` field) and in htmx's `X-CSRF-Token` header. */
export function csrfToken(c: Context): string {
  const t = c.get('railbookCsrfToken');
  if (!t) throw new Error('csrfToken(c): the security() middleware has not run for this request (app.use("*", security(...)) must come first)');
  return t;
}
