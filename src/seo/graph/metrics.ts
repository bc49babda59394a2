import { adjacency, type LinkGraph } from './link-graph.ts';

export interface PageRankOptions {
  alpha?: number;
  maxIterations?: number;
  /** Stop when the summed change is under `tolerance × nodes`. */
  tolerance?: number;
}

/**
 * Internal PageRank over the deduplicated links (a page linking twice to another passes no more
 * than once, as with Screaming Frog's link score). The same power iteration as graphology-metrics'
 * pagerank (dangling pages spread their rank evenly; the unit test checks the two agree), run on
 * the typed arrays: no 1M-edge graphology instance to build. Scores sum to 1.
 */
export function pageRank(g: LinkGraph, o: PageRankOptions = {}): { rank: Float64Array; iterations: number; converged: boolean } {
  const alpha = o.alpha ?? 0.85;
  const maxIterations = o.maxIterations ?? 100;
  const tolerance = o.tolerance ?? 1e-6;
  const n = g.urls.length;
  if (n === 0) return { rank: new Float64Array(0), iterations: 0, converged: true };
  const out = adjacency(g);
  const p = 1 / n;
  let x = new Float64Array(n).fill(p);
  let next = new Float64Array(n);
  const dangling: number[] = [];
  for (let i = 0; i < n; i++) if (g.outDegree[i] === 0) dangling.push(i);
  for (let it = 1; it <= maxIterations; it++) {
    let dangle = 0;
    for (const i of dangling) dangle += x[i]!;
    const base = alpha * dangle * p + (1 - alpha) * p;
    next.fill(base);
    for (let i = 0; i < n; i++) {
      const a = out.start[i]!;
      const b = out.start[i + 1]!;
      if (a === b) continue;
      const share = (alpha * x[i]!) / (b - a);
      for (let j = a; j < b; j++) next[out.ids[j]!]! += share;
    }
    let err = 0;
    for (let i = 0; i < n; i++) err += Math.abs(next[i]! - x[i]!);
    [x, next] = [next, x];
    if (err < n * tolerance) return { rank: x, iterations: it, converged: true };
  }
  return { rank: x, iterations: maxIterations, converged: false };
}

/** Weakly connected components (links taken both ways), by union–find: component index per node, largest first. */
export function weakComponents(g: LinkGraph): { component: Int32Array; sizes: number[] } {
  const n = g.urls.length;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (let e = 0; e < g.src.length; e++) {
    const a = find(g.src[e]!);
    const b = find(g.dst[e]!);
    if (a !== b) parent[a < b ? b : a] = a < b ? a : b;
  }
  const rootSize = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    rootSize.set(r, (rootSize.get(r) ?? 0) + 1);
  }
  const order = [...rootSize.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const index = new Map(order.map(([root], k) => [root, k]));
  const component = new Int32Array(n);
  for (let i = 0; i < n; i++) component[i] = index.get(find(i))!;
  return { component, sizes: order.map(([, size]) => size) };
}

/** Node indices of the `k` highest scores, highest first. */
export function topK(score: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: score.length }, (_, i) => i);
  return idx.sort((a, b) => score[b]! - score[a]! || a - b).slice(0, k);
}
