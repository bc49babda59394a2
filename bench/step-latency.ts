/**
 * Step latency: submit hello steps many times over real HTTP and compare with a bare Hono route
 * that returns HTML of the same size, measured in the same run on the same machine, interleaved
 * (so noise hits both alike). Goal: client round trip ≤ 3× the bare route's.
 *
 * Both servers run in this process; the client runs in a child process
 * (bench/step-latency-client.ts), so its fetch and garbage do not land on the server's event
 * loop. That also makes this process's CPU profile a server-only one:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/run.ts
 *
 * Server time is measured from the moment the app is called until node has written the whole
 * response (`finish`), so the cost of turning the Response into bytes counts too.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bootEngine } from '../src/engine/boot.ts';
import { createApp } from '../src/web/app.tsx';
import type { ClientJob, ClientResult } from './step-latency-client.ts';

/** Fixed by default, so runs compare; override with BENCH_CYCLES. Each cycle = 2 submits + 2 bare requests. */
const CYCLES = Number(process.env.BENCH_CYCLES ?? 1000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 100);

type Fetch = (req: Request, env?: unknown) => Response | Promise<Response>;
type Samples = Map<string, number[]>;

/** Serves `fetch` on a free loopback port, timing each request marked measured by the client, per kind. */
async function timedServer(fetch: Fetch): Promise<{ base: string; handler: Samples; total: Samples; close: () => Promise<void> }> {
  const handler: Samples = new Map();
  const total: Samples = new Map();
  const add = (m: Samples, k: string, v: number) => {
    let xs = m.get(k);
    if (!xs) m.set(k, (xs = []));
    xs.push(v);
  };
  const wrapped: Fetch = async (req, env) => {
    const t0 = performance.now();
    // Node's own parsed headers: asking the Request would build a Headers object the bare route never needs.
    const { incoming, outgoing } = env as { incoming: IncomingMessage; outgoing: ServerResponse<IncomingMessage> };
    const measured = incoming.headers['x-bench-measured'] === '1';
    const kind = String(incoming.headers['x-bench-kind'] ?? 'other');
    if (measured) outgoing.once('finish', () => add(total, kind, performance.now() - t0));
    const res = await fetch(req, env);
    if (measured) add(handler, kind, performance.now() - t0);
    return res;
  };
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: wrapped as never, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    handler,
    total,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? NaN;
const p95 = (xs: number[]) => sorted(xs)[Math.floor(xs.length * 0.95)] ?? NaN;
const ms = (x: number) => `${x.toFixed(3)} ms`;

function runClient(job: ClientJob): Promise<ClientResult> {
  const file = fileURLToPath(new URL('./step-latency-client.ts', import.meta.url));
  // Only tsx for the child: no --cpu-prof (or anything else) inherited from this process.
  const child = fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { ok: boolean; result?: ClientResult; error?: string }) => {
      if (m.ok && m.result) resolve(m.result);
      else reject(new Error(`bench client failed: ${m.error ?? 'no reason'}`));
    });
    child.once('exit', (code) => reject(new Error(`bench client exited (${code}) before reporting`)));
    child.send(job);
  });
}

export async function stepLatency(): Promise<{ ratio: number; lines: string[] }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'railbook-bench-'));
  const engine = await bootEngine({ dataDir });
  const app = createApp(engine);
  const real = await timedServer(app.fetch);

  const { state } = engine.open('hello');
  const runUrl = `${real.base}/wf/hello/runs/${state.key}`;
  const pageRes = await fetch(runUrl);
  const page = await pageRes.text();
  if (pageRes.status !== 200) throw new Error(`run page → ${pageRes.status}: ${page.slice(0, 200)}`);
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error('no CSRF token on the run page');

  // The bare route answers with HTML of the size the real submits answer with (their mean).
  const headers = { 'HX-Request': 'true', 'X-CSRF-Token': csrf, Origin: real.base, 'Content-Type': 'application/x-www-form-urlencoded' };
  const sizes: number[] = [];
  for (const [step, body] of [['name', 'name=Ada'], ['greeting', 'greeting=Hello']] as const) {
    const r = await fetch(`${runUrl}/steps/${step}`, { method: 'POST', headers, body });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`${step} → ${r.status}: ${text.slice(0, 200)}`);
    sizes.push(Buffer.byteLength(text));
  }
  // A revert that clears work asks first; the benchmark confirms it up front.
  await fetch(`${runUrl}/steps/name/revert`, { method: 'POST', headers, body: 'confirm=yes' }).then((r) => r.text());
  const size = Math.round((sizes[0]! + sizes[1]!) / 2);
  const html = 'x'.repeat(size);
  const bareApp = new Hono().post('/bare', (c) => c.html(html));
  const bare = await timedServer(bareApp.fetch);

  const client = await runClient({ runUrl, bareUrl: `${bare.base}/bare`, csrf, origin: real.base, cycles: CYCLES, warmup: WARMUP });

  await real.close();
  await bare.close();
  engine.shutdown();
  engine.store.close();
  rmSync(dataDir, { recursive: true, force: true });

  const realTotal = real.total.get('submit') ?? [];
  const bareTotal = bare.total.get('bare') ?? [];
  const realHandler = real.handler.get('submit') ?? [];
  const bareHandler = bare.handler.get('bare') ?? [];
  const n = client.realTrips.length;
  const ratio = median(client.realTrips) / median(client.bareTrips);
  const rps = n / (client.realWall / 1000);
  const bareRps = client.bareTrips.length / (client.bareWall / 1000);
  const lines = [
    `step-latency: ${n} hello step submits over HTTP (responses ${sizes.join(' and ')} B) vs a bare Hono route returning ${size} B; ${CYCLES} cycles after ${WARMUP} warm-up, client in a child process`,
    `  client round trip   median ${ms(median(client.realTrips))} (p95 ${ms(p95(client.realTrips))})  vs bare ${ms(median(client.bareTrips))} (p95 ${ms(p95(client.bareTrips))})  → ${ratio.toFixed(2)}×  (goal ≤ 3×)`,
    `  requests/s (one client, sequential)  ${rps.toFixed(0)}  vs bare ${bareRps.toFixed(0)}  → ${(bareRps / rps).toFixed(2)}× fewer`,
    `  server time, app called → response written   median ${ms(median(realTotal))} (p95 ${ms(p95(realTotal))})  vs bare ${ms(median(bareTotal))} (p95 ${ms(p95(bareTotal))})`,
    `  server time, app called → Response returned  median ${ms(median(realHandler))} (p95 ${ms(p95(realHandler))})  vs bare ${ms(median(bareHandler))} (p95 ${ms(p95(bareHandler))})`,
    `    (the bare route does no work at all, so the server times are Railbook's absolute per-step cost: security checks, body parsing, validation, one SQLite transaction with its event, rendering the cards)`,
  ];
  return { ratio, lines };
}
