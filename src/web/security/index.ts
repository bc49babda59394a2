import type { Context, MiddlewareHandler } from 'hono';

// SKELETON — owned by the security work in progress; the signatures are the contract.
export interface SecurityOptions {
  /** Required on every request when set (non-loopback binds). */
  accessToken?: string | undefined;
  /** Secret from which CSRF tokens are derived (persisted in the data folder's settings). */
  csrfSecret: string;
}

export function security(opts: SecurityOptions): MiddlewareHandler {
  void opts;
  return async (_c, next) => { await next(); };
}

/** The CSRF token views embed in forms (`_csrf` field) and in htmx's `X-CSRF-Token` header. */
export function csrfToken(c: Context): string {
  void c;
  return '';
}
