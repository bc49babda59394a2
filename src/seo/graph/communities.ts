import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { LinkGraph } from './link-graph.ts';

const require = createRequire(import.meta.url);

export interface Communities {
  /** Community per node, numbered by size (0 is the largest). */
  community: Int32Array;
  count: number;
  /** How they were found: Louvain, or the sections when Louvain was stopped or failed. */
  method: 'louvain' | 'sections';
  modularity: number | undefined;
  /** Why the sections stand in for Louvain (over its time bound, or an error). */
  note: string | undefined;
  ms: number;
}

export interface CommunityOptions {
  /** Louvain's time bound (building its graph included); over it, communities are the sections. */
  timeLimitMs?: number;
  /** Louvain's resolution (1: standard modularity). */
  resolution?: number;
  seed?: number;
}

/*
 * graphology-communities-louvain has no iteration or time bound of its own, so it runs in a worker
 * that is terminated at the bound. The worker is plain CommonJS evaluated from this string, so it
 * needs no TypeScript loader, and requires the two packages by the paths resolved here.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { UndirectedGraph } = require(workerData.graphology);
const louvain = require(workerData.louvain);
const { n, src, dst, resolution, seed } = workerData;
const g = new UndirectedGraph();
for (let i = 0; i < n; i++) g.addNode(i);
for (let e = 0; e < src.length; e++) g.mergeEdge(src[e], dst[e]);
let s = seed >>> 0;
const rng = () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const r = louvain.detailed(g, { resolution, rng, getEdgeWeight: null });
const community = new Int32Array(n);
for (let i = 0; i < n; i++) community[i] = r.communities[i];
parentPort.postMessage({ community, count: r.count, modularity: r.modularity }, [community.buffer]);
`;

/**
 * Communities by undirected Louvain (the direction of a link says little about topic, and directed
 * Louvain ran for minutes on 100k nodes), bounded in time; past the bound, or on failure, the
 * sections are the communities and `note` says so.
 */
export async function findCommunities(g: LinkGraph, o: CommunityOptions = {}): Promise<Communities> {
  const t0 = performance.now();
  const limit = o.timeLimitMs ?? 30_000;
  const n = g.urls.length;
  const got = await runLouvain(g, limit, o.resolution ?? 1, o.seed ?? 1).catch((e: unknown) => ({ error: (e as Error).message }));
  const ms = Math.round(performance.now() - t0);
  if ('error' in got) {
    const { community, count } = renumberBySize(g.section, n);
    return { community, count, method: 'sections', modularity: undefined, note: `Communities are the sections: ${got.error}`, ms };
  }
  const { community, count } = renumberBySize(got.community, n);
  return { community, count, method: 'louvain', modularity: got.modularity, note: undefined, ms };
}

function runLouvain(g: LinkGraph, limitMs: number, resolution: number, seed: number): Promise<{ community: Int32Array; modularity: number }> {
  const src = g.src.slice();
  const dst = g.dst.slice();
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      n: g.urls.length, src, dst, resolution, seed,
      graphology: require.resolve('graphology'), louvain: require.resolve('graphology-communities-louvain'),
    },
    transferList: [src.buffer, dst.buffer],
  });
  const started = performance.now();
  const pastBound = () => new Error(`Louvain was stopped at its time bound (${Math.round(limitMs / 1000)} s)`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(pastBound());
    }, limitMs);
    worker.once('message', (m: { community: Int32Array; modularity: number }) => {
      clearTimeout(timer);
      void worker.terminate();
      // A busy event loop can deliver the answer before the (overdue) timer: the bound still holds.
      if (performance.now() - started > limitMs) reject(pastBound());
      else resolve(m);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Louvain's worker exited (${code})`));
    });
  });
}

/** Labels renumbered so 0 is the largest group (stable colours: the big ones get the first colours). */
function renumberBySize(labels: Int32Array, n: number): { community: Int32Array; count: number } {
  const size = new Map<number, number>();
  for (let i = 0; i < n; i++) size.set(labels[i]!, (size.get(labels[i]!) ?? 0) + 1);
  const order = [...size.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const to = new Map(order.map(([label], k) => [label, k]));
  const community = new Int32Array(n);
  for (let i = 0; i < n; i++) community[i] = to.get(labels[i]!)!;
  return { community, count: order.length };
}
