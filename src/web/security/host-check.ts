import { isIPv4 } from 'node:net';
import type { Context } from 'hono';

/**
 * DNS rebinding defence. A page on `evil.example` can make its name resolve to 127.0.0.1, and
 * the browser then treats our server as same-origin with that page — but it still sends
 * `Host: evil.example:<port>`. So a loopback server answers only to the loopback names, on the
 * port it really listens on.
 */

export interface HostParts {
  /** Lower-case; IPv6 literals without their brackets. */
  hostname: string;
  /** Undefined when the header names no port. */
  port: number | undefined;
}

/** Parses a `Host` header (`name`, `name:port`, `[v6]`, `[v6]:port`); undefined if malformed. */
export function parseHostHeader(value: string | undefined | null): HostParts | undefined {
  if (!value) return undefined;
  const v = value.trim().toLowerCase();
  let hostname: string;
  let rest: string;
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0) return undefined;
    hostname = v.slice(1, end);
    rest = v.slice(end + 1);
    if (!/^[0-9a-f:.]+$/.test(hostname)) return undefined;
  } else {
    const colon = v.indexOf(':');
    hostname = colon < 0 ? v : v.slice(0, colon);
    rest = colon < 0 ? '' : v.slice(colon);
    if (!/^[a-z0-9.-]+$/.test(hostname)) return undefined;
  }
  if (rest === '') return { hostname, port: undefined };
  if (!/^:\d{1,5}$/.test(rest)) return undefined;
  const port = Number(rest.slice(1));
  if (port < 1 || port > 65535) return undefined;
  return { hostname, port };
}

/** `localhost`, an IPv4 literal in 127.0.0.0/8, or `::1`: names no DNS answer can redirect. */
export function isLoopbackName(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  return false;
}

/**
 * True if a request with this `Host` header may be served by a loopback-only server listening
 * on `localPort`. Without a known port (the app called in-process, no socket at all) any port
 * is accepted, but the name must still be a loopback one.
 */
export function isAllowedHost(hostHeader: string | undefined | null, localPort: number | undefined): boolean {
  const h = parseHostHeader(hostHeader);
  if (!h || !isLoopbackName(h.hostname)) return false;
  if (localPort === undefined) return true;
  // Browsers leave out the default port, so `Host: localhost` means port 80.
  return (h.port ?? 80) === localPort;
}

interface NodeBindings {
  incoming?: { socket?: { localPort?: number }; headers?: Record<string, string | string[] | undefined> };
}

/** The port of the socket this request arrived on (@hono/node-server puts the IncomingMessage in `c.env`). */
export function localPortOf(c: Context): number | undefined {
  const env = c.env as NodeBindings | undefined;
  const port = env?.incoming?.socket?.localPort;
  return typeof port === 'number' && port > 0 ? port : undefined;
}

/** The `Host` header exactly as received (node's raw header when available). */
export function hostHeaderOf(c: Context): string | undefined {
  const env = c.env as NodeBindings | undefined;
  const raw = env?.incoming?.headers?.host;
  if (typeof raw === 'string') return raw;
  if (env?.incoming) return undefined;
  // In-process requests (app.request) have no Host header; the URL's authority stands in for it.
  return c.req.header('host') ?? new URL(c.req.url).host;
}
