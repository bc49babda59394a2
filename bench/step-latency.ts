/**
 * Step latency: submit hello steps many times over real HTTP and compare the server's time per
 * request with a bare Hono route that returns HTML of the same size, measured in the same run
 * on the same machine (interleaved, so noise hits both alike). Goal: ratio ≤ 3×.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bootEngine } from '../src/engine/boot.ts';
import { createApp } from '../src/web/app.tsx';

const CYCLES = Number(process.env.BENCH_CYCLES ?? 300);
const WARMUP = 30;

type Fetch = (req: Request, env?: unknown) => Response | Promise<Response>;

/** Serves `fetch` on a free loopback port, recording how long the server spends on each request. */
async function timedServer(fetch: Fetch): Promise<{ base: string; samples: number[]; close: () => Promise<void> }> {
  const samples: number[] = [];
  const wrapped: Fetch = async (req, env) => {
    const t0 = performance.now();
    const res = await fetch(req, env);
    samples.push(performance.now() - t0);
    return res;
  };
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: wrapped as never, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server));
  });
  const port = (server.address() as AddressInfo).port;
  return { base: `http://127.0.0.1:${port}`, samples, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const p95 = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length * 0.95)]!; };

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
  const headers = { 'HX-Request': 'true', 'X-CSRF-Token': csrf, Origin: real.base, 'Content-Type': 'application/x-www-form-urlencoded' };
  const post = async (url: string, body: string) => {
    const r = await fetch(url, { method: 'POST', headers, body });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`${url} → ${r.status}: ${text.slice(0, 200)}`);
    return text;
  };

  // The bare route answers with HTML of the size the real submit answers with.
  const sample = await post(`${runUrl}/steps/name`, 'name=Ada');
  await post(`${runUrl}/steps/name/revert`, '');
  const html = 'x'.repeat(Buffer.byteLength(sample));
  const bareApp = new Hono().post('/bare', (c) => c.html(html));
  const bare = await timedServer(bareApp.fetch);

  const realTimes: number[] = [];
  const bareTimes: number[] = [];
  const realTrips: number[] = [];
  const bareTrips: number[] = [];
  const trip = async (list: number[], measured: boolean, f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    if (measured) list.push(performance.now() - t);
  };
  let realWall = 0;
  let bareWall = 0;
  for (let i = 0; i < WARMUP + CYCLES; i++) {
    const measured = i >= WARMUP;
    const nReal = real.samples.length;
    let t0 = performance.now();
    await trip(realTrips, measured, () => post(`${runUrl}/steps/name`, `name=Ada+${i}`));
    await trip(realTrips, measured, () => post(`${runUrl}/steps/greeting`, `greeting=Hello+${i}`));
    const dtReal = performance.now() - t0;
    const submitServer = real.samples.slice(nReal, nReal + 2);
    await post(`${runUrl}/steps/name/revert`, '');

    const nBare = bare.samples.length;
    t0 = performance.now();
    for (let k = 0; k < 2; k++) {
      await trip(bareTrips, measured, async () => (await fetch(`${bare.base}/bare`, { method: 'POST', body: 'name=Ada' })).text());
    }
    const dtBare = performance.now() - t0;
    if (measured) {
      realTimes.push(...submitServer);
      bareTimes.push(...bare.samples.slice(nBare, nBare + 2));
      realWall += dtReal;
      bareWall += dtBare;
    }
  }
  await real.close();
  await bare.close();
  engine.shutdown();
  engine.store.close();
  rmSync(dataDir, { recursive: true, force: true });

  const n = CYCLES * 2;
  const ratio = median(realTrips) / median(bareTrips);
  const rps = n / (realWall / 1000);
  const bareRps = n / (bareWall / 1000);
  const lines = [
    `step-latency: ${n} hello step submits over HTTP (response ${Buffer.byteLength(sample)} B) vs a bare Hono route returning the same size`,
    `  request time (client round trip)  median ${median(realTrips).toFixed(3)} ms (p95 ${p95(realTrips).toFixed(3)})  vs bare ${median(bareTrips).toFixed(3)} ms  → ${ratio.toFixed(2)}×  (goal ≤ 3×)`,
    `  requests/s (one client, sequential)  ${rps.toFixed(0)}  vs bare ${bareRps.toFixed(0)}  → ${(bareRps / rps).toFixed(2)}× fewer`,
    `  server time inside the handler  median ${median(realTimes).toFixed(3)} ms (p95 ${p95(realTimes).toFixed(3)})  vs bare ${median(bareTimes).toFixed(3)} ms  → ${(median(realTimes) / median(bareTimes)).toFixed(1)}×`,
    `    (the bare route does no work at all, so this last ratio measures Railbook's absolute per-step cost: validation, one SQLite transaction, the run's event, rendering the cards)`,
  ];
  return { ratio, lines };
}
