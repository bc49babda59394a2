/**
 * Cross-origin defence for state-changing requests. Browsers attach `Origin` to every
 * cross-origin POST and `Sec-Fetch-Site` to every request; either one is enough to refuse a
 * request another site made. Neither is required (curl and old browsers send none), which is
 * why the CSRF token is checked as well.
 */

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/** Why the request must be refused, or undefined if these headers allow it. */
export function crossOriginReason(headers: { origin?: string | undefined; secFetchSite?: string | undefined; host?: string | undefined }): string | undefined {
  const site = headers.secFetchSite?.trim().toLowerCase();
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `cross-site request (Sec-Fetch-Site: ${site})`;
  }
  if (headers.origin !== undefined) {
    if (!headers.host || !sameOrigin(headers.origin, headers.host)) return `cross-origin request (Origin: ${headers.origin})`;
  }
  return undefined;
}

/** `origin` is exactly `http://<host>` (the host compared without regard to case). */
export function sameOrigin(origin: string, host: string): boolean {
  return origin.trim().toLowerCase() === `http://${host.trim().toLowerCase()}`;
}
