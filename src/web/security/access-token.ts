import { createHmac } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { safeEqual } from './constant-time.ts';

/**
 * Access token for non-loopback binds (like Jupyter's): given once in the URL (`?token=`),
 * exchanged for an HttpOnly cookie, or sent as `Authorization: Bearer <token>` by scripts.
 */

export const TOKEN_PARAM = 'token';

/** Cookies are shared by every port of a host, so the name carries the port. */
export function cookieName(port: number | undefined): string {
  return port === undefined ? 'railbook_token' : `railbook_token_${port}`;
}

/** The cookie holds a value derived from the token, not the token itself. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('railbook-session').digest('base64url');
}

export function sessionCookie(port: number | undefined, token: string): string {
  return `${cookieName(port)}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

/** A Bearer header or the session cookie proves the token. */
export function isAuthorized(c: Context, token: string, port: number | undefined): boolean {
  const auth = c.req.header('authorization');
  if (auth !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (m && safeEqual(m[1]!, token)) return true;
  }
  const cookie = getCookie(c, cookieName(port));
  return cookie !== undefined && safeEqual(cookie, sessionValue(token));
}

/** Where to send the browser once the token has become a cookie: the same URL without `token`. */
export function locationWithoutToken(url: string): string {
  const u = new URL(url);
  u.searchParams.delete(TOKEN_PARAM);
  // A path starting with `//` would be a protocol-relative URL (another host) in Location.
  const pathname = u.pathname.replace(/^[/\\]+/, '/');
  return pathname + u.search;
}

export const UNAUTHORIZED_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Railbook: access token required</title></head>
<body><main><h1>Access token required</h1>
<p>This Railbook server listens on a network address, so it needs its access token.
Open the URL that <code>railbook serve</code> printed when it started (it ends in <code>?token=…</code>) in this browser.</p>
<p>Scripts can send the header <code>Authorization: Bearer &lt;token&gt;</code>.</p>
</main></body></html>
`;
