/**
 * Step latency: submit hello steps many times over real HTTP and compare with a bare Hono route
 * that returns HTML of the same size, measured in the same run on the same machine, interleaved
 * (so noise hits both alike). Goal: client round trip ≤ 3× the bare route's.
 *
 * Railbook runs once per store backend — a SQLite file in a temp folder, and a fresh database on
 * the test PostgreSQL (test/helpers/postgres.ts) — both in the same run, interleaved with each
 * other and with the bare route, each reported as a ratio against the bare route.
 * BENCH_BACKENDS=sqlite (or postgres) measures one alone.
 *
 * All servers run in this process; the client runs in a child process
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
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Engine } from '../src/engine/engine.ts';
import { BUILTIN_WORKFLOWS_DIR, loadWorkflows } from '../src/engine/registry.ts';
import { resolveDataDir } from '../src/store/data-dir.ts';
import { Store } from '../src/store/store.ts';
import { createApp } from '../src/web/app.tsx';
import { BACKENDS, type Backend } from '../test/helpers/backends.ts';
import { freshDatabase } from '../test/helpers/postgres.ts';
import type { ClientJob, ClientResult, ClientTarget } from './step-latency-client.ts';

/** Fixed by default, so runs compare; override with BENCH_CYCLES. Each cycle = per backend, 2 submits + 2 bare requests. */
const CYCLES = Number(process.env.BENCH_CYCLES ?? 1000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 100);

/** BENCH_BACKENDS (comma-separated), or every backend. */
function selectedBackends(): Backend[] {
  const named = process.env.BENCH_BACKENDS?.split(',').map((b) => b.trim()).filter(Boolean);
  if (!named?.length) return [...BACKENDS];
  return named.map((b) => {
    if (!(BACKENDS as readonly string[]).includes(b)) throw new Error(`BENCH_BACKENDS: unknown backend "${b}" (known: ${BACKENDS.join(', ')})`);
    return b as Backend;
  });
}

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

interface RailbookSide {
  backend: Backend;
  target: ClientTarget;
  server: Awaited<ReturnType<typeof timedServer>>;
  /** Sizes of the name and greeting submits' answers. */
  sizes: number[];
  close: () => Promise<void>;
}

/** The real app on one backend, serving a hello run already submitted once (and reverted), as the client will. */
async function railbookSide(backend: Backend): Promise<RailbookSide> {
  const dataDir = resolveDataDir(mkdtempSync(path.join(tmpdir(), `railbook-bench-${backend}-`)));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    const db = backend === 'postgres' ? await freshDatabase() : undefined;
    if (db) cleanups.push(() => db.drop());
    const registry = await loadWorkflows(BUILTIN_WORKFLOWS_DIR);
    const store = await Store.open(dataDir, { databaseUrl: db?.url });
    cleanups.push(() => store.close());
    const engine = await Engine.start(store, registry);
    cleanups.push(() => engine.shutdown());
    const server = await timedServer((await createApp(engine)).fetch);
    cleanups.push(() => server.close());

    const { state } = await engine.open('hello');
    const runUrl = `${server.base}/wf/hello/runs/${state.key}`;
    const pageRes = await fetch(runUrl);
    const page = await pageRes.text();
    if (pageRes.status !== 200) throw new Error(`${backend}: run page → ${pageRes.status}: ${page.slice(0, 200)}`);
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page)?.[1];
    if (!csrf) throw new Error(`${backend}: no CSRF token on the run page`);

    const headers = { 'HX-Request': 'true', 'X-CSRF-Token': csrf, Origin: server.base, 'Content-Type': 'application/x-www-form-urlencoded' };
    const sizes: number[] = [];
    for (const [step, body] of [['name', 'name=Ada'], ['greeting', 'greeting=Hello']] as const) {
      const r = await fetch(`${runUrl}/steps/${step}`, { method: 'POST', headers, body });
      const text = await r.text();
      if (r.status !== 200) throw new Error(`${backend}: ${step} → ${r.status}: ${text.slice(0, 200)}`);
      sizes.push(Buffer.byteLength(text));
    }
    // A revert that clears work asks first; the benchmark confirms it up front.
    await fetch(`${runUrl}/steps/name/revert`, { method: 'POST', headers, body: 'confirm=yes' }).then((r) => r.text());
    return { backend, target: { name: backend, runUrl, csrf, origin: server.base }, server, sizes, close };
  } catch (e) {
    await close();
    throw e;
  }
}

export async function stepLatency(): Promise<{ ratio: number; ratios: Partial<Record<Backend, number>>; lines: string[] }> {
  const backends = selectedBackends();
  const sides: RailbookSide[] = [];
  let bare: Awaited<ReturnType<typeof timedServer>> | undefined;
  let client: ClientResult;
  let size: number;
  try {
    for (const b of backends) sides.push(await railbookSide(b));
    // The bare route answers with HTML of the size the real submits answer with (their mean).
    const sizes = sides.flatMap((s) => s.sizes);
    size = Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
    const html = 'x'.repeat(size);
    const bareApp = new Hono().post('/bare', (c) => c.html(html));
    bare = await timedServer(bareApp.fetch);
    client = await runClient({ targets: sides.map((s) => s.target), bareUrl: `${bare.base}/bare`, cycles: CYCLES, warmup: WARMUP });
  } finally {
    await bare?.close();
    for (const s of sides) await s.close();
  }

  const bareTotal = bare.total.get('bare') ?? [];
  const bareHandler = bare.handler.get('bare') ?? [];
  const bareMedian = median(client.bareTrips);
  const bareRps = client.bareTrips.length / (client.bareWall / 1000);
  const ratios: Partial<Record<Backend, number>> = {};
  const width = Math.max(...backends.map((b) => b.length), 'bare'.length);
  const label = (x: string) => x.padEnd(width);
  const perSide: string[] = [];
  for (const s of sides) {
    const trips = client.realTrips[s.backend] ?? [];
    const ratio = median(trips) / bareMedian;
    ratios[s.backend] = ratio;
    const rps = trips.length / ((client.realWall[s.backend] ?? NaN) / 1000);
    const total = s.server.total.get('submit') ?? [];
    const handler = s.server.handler.get('submit') ?? [];
    perSide.push(
      `  ${label(s.backend)}  client round trip median ${ms(median(trips))} (p95 ${ms(p95(trips))})  → ${ratio.toFixed(2)}× the bare route  (goal ≤ 3×)`,
      `  ${label('')}  requests/s (one client, sequential) ${rps.toFixed(0)} (${(bareRps / rps).toFixed(2)}× fewer than bare); server time: to response written median ${ms(median(total))} (p95 ${ms(p95(total))}), to Response returned median ${ms(median(handler))} (p95 ${ms(p95(handler))})`,
    );
  }
  const n = client.realTrips[sides[0]!.backend]?.length ?? 0;
  const lines = [
    `step-latency: ${n} hello step submits per backend (${backends.join(', ')}) over HTTP (responses ${sides.map((s) => `${s.backend} ${s.sizes.join(' and ')}`).join(', ')} B) vs a bare Hono route returning ${size} B; ${CYCLES} cycles after ${WARMUP} warm-up, backends and bare route interleaved, client in a child process`,
    ...perSide,
    `  ${label('bare')}  client round trip median ${ms(bareMedian)} (p95 ${ms(p95(client.bareTrips))}); requests/s ${bareRps.toFixed(0)}; server time: to response written median ${ms(median(bareTotal))} (p95 ${ms(p95(bareTotal))}), to Response returned median ${ms(median(bareHandler))} (p95 ${ms(p95(bareHandler))})`,
    `    (the bare route does no work at all, so the server times are Railbook's absolute per-step cost: security checks, body parsing, validation, one store transaction with its event, rendering the cards)`,
  ];
  // The headline ratio stays SQLite's (the default store), as recorded in docs/PERFORMANCE.md.
  return { ratio: ratios.sqlite ?? ratios[backends[0]!] ?? NaN, ratios, lines };
}

// `node --import tsx bench/step-latency.ts`: this benchmark alone (`npm run bench` runs every one).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  for (const line of (await stepLatency()).lines) console.log(line);
}
