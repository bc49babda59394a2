import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { isIPv4, isIPv6, type AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Engine } from '../engine/engine.ts';
import { sweepStaleUploads } from '../store/uploaded-file.ts';
import type { ChatService } from '../ai/chat/chat-types.ts';
import { closeApp, createApp } from './app.tsx';
import { DEFAULT_HOST, DEFAULT_PORT } from './listen-defaults.ts';

export interface StartServerOptions {
  engine: Engine;
  /** Interface to listen on. Default 127.0.0.1. Any non-loopback host requires an access token. */
  host?: string | undefined;
  /** Default 8765; 0 picks a free port. */
  port?: number | undefined;
  /** Access token to require. Generated when the host is not loopback and none is given. */
  token?: string | undefined;
  /** The chat beside every page; default: one over the data folder's memory (see createApp). */
  chat?: ChatService | undefined;
  /** Where the AI settings' `RAILBOOK_AI_*` variables are read (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
}

export interface RunningServer {
  /** What to open in a browser: `http://127.0.0.1:<port>/`, with `?token=…` when a token is required. */
  url: string;
  host: string;
  /** The port actually listened on (the real one when 0 was asked for). */
  port: number;
  /** The access token, when one is required. */
  token?: string;
  /** Stops accepting, closes open connections (keep-alive, SSE), and shuts the engine down. Leaves the store open. */
  close(): Promise<void>;
}

export { DEFAULT_HOST, DEFAULT_PORT };

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and localhost: addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

/** Starts the web app; resolves once the server accepts connections. */
export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const host = (opts.host ?? DEFAULT_HOST).trim();
  const port = opts.port ?? DEFAULT_PORT;
  if (host === '') throw new Error('the host is empty — give an address such as 127.0.0.1 with --host');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid port ${String(port)} — give a number from 1 to 65535 with --port (0 picks a free one)`);
  }
  const bindHost = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  let token = opts.token;
  if (token !== undefined && token.length < 8) throw new Error('the access token is too short — use at least 8 characters (or leave it out to have one generated)');
  if (token === undefined && !isLoopbackHost(host)) token = randomBytes(24).toString('base64url');

  // Temp uploads a killed server left behind (a live one's, sharing the folder, are kept).
  sweepStaleUploads(opts.engine.store.dataDir);
  const app = await createApp(opts.engine, { accessToken: token, chat: opts.chat, env: opts.env });
  const server = await listen(app, bindHost, port);
  const addr = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const running: RunningServer = {
    url: `http://${urlHost(bindHost)}:${addr.port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`,
    host: bindHost,
    port: addr.port,
    close: () => (closing ??= closeServer(server, opts.engine, () => closeApp(app))),
  };
  if (token !== undefined) running.token = token;
  return running;
}

function listen(app: Hono, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, () => {
      server.off('error', onError);
      resolve(server as Server);
    }) as Server;
    function onError(e: NodeJS.ErrnoException): void {
      server.close();
      reject(listenError(e, host, port));
    }
    server.once('error', onError);
  });
}

/** A listen failure as a message that says what to do. */
export function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${urlHost(host)}:${port}`;
  let msg: string;
  switch (e.code) {
    case 'EADDRINUSE':
      msg = `port ${port} is already in use on ${host} — stop the other program, or choose another port with --port (0 picks a free one)`;
      break;
    case 'EACCES':
      msg = `not allowed to listen on ${where} — ports below 1024 need special rights; choose another port with --port (0 picks a free one)`;
      break;
    case 'EADDRNOTAVAIL':
      msg = `cannot listen on ${host}: it is not an address of this machine — choose one of its addresses with --host, or leave --host out for 127.0.0.1`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      msg = `cannot resolve the host name "${host}" — give an IP address such as 127.0.0.1 with --host, or a name this machine can resolve`;
      break;
    default:
      msg = `cannot listen on ${where}: ${e.message} — check --host and --port`;
  }
  return new Error(msg, { cause: e });
}

/** The host as it goes in a URL: wildcard binds are opened through loopback; IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '0:0:0:0:0:0:0:0') return '[::1]';
  return isIPv6(host) ? `[${host}]` : host;
}

async function closeServer(server: Server, engine: Engine, closeAppParts: () => Promise<void>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Live chat answers stop (they are stored as stopped) before the connections go.
  const appClosed = closeAppParts();
  // Idle keep-alive sockets and long-lived responses (SSE) would otherwise hold close() open.
  server.closeAllConnections();
  await closed;
  await appClosed;
  await engine.shutdown();
}
