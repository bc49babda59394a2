import { createRequire } from 'node:module';
import type { LinkGraph } from './link-graph.ts';

// Both packages are CommonJS; createRequire keeps their default exports as they are.
const require = createRequire(import.meta.url);
const { DirectedGraph } = require('graphology') as typeof import('graphology');
const forceAtlas2 = require('graphology-layout-forceatlas2') as typeof import('graphology-layout-forceatlas2').default;

const GOLDEN = Math.PI * (3 - Math.sqrt(5));

export interface LayoutOptions {
  /** Group per node (communities); each group is a disc, the biggest in the middle. */
  group: Int32Array;
  /** Within a group, lower scores go outwards (PageRank: the hubs sit at the centre). */
  score: ArrayLike<number>;
  /** ForceAtlas2 refines the layout only for graphs up to this many edges… */
  refineMaxEdges?: number;
  /** …and for at most this long. */
  refineBudgetMs?: number;
}

export interface Layout {
  x: Float32Array;
  y: Float32Array;
  /** ForceAtlas2 iterations run on top of the structural layout (0 for big graphs). */
  refinedIterations: number;
  ms: number;
}

/**
 * A layout in O(n log n), whatever the size: groups are discs of area ∝ their node count laid on
 * a sunflower spiral (largest first, in the middle); inside a disc, nodes sit on a sunflower
 * too, the highest-scoring at its centre. Small graphs then get a few ForceAtlas2 iterations,
 * within a time budget, so their links pull related pages together.
 */
export function layoutGraph(g: LinkGraph, o: LayoutOptions): Layout {
  const t0 = performance.now();
  const n = g.urls.length;
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const k = o.group[i]!;
    let m = members.get(k);
    if (!m) members.set(k, (m = []));
    m.push(i);
  }
  const groups = [...members.values()].sort((a, b) => b.length - a.length);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  let area = 0;
  groups.forEach((m, k) => {
    const r = Math.sqrt(m.length);
    // The spiral's radius grows with the area laid so far, so discs hardly overlap.
    const R = k === 0 ? 0 : Math.sqrt(area) * 1.15 + r;
    area += (r + 1) * (r + 1) * 4;
    const cx = R * Math.cos(k * GOLDEN);
    const cy = R * Math.sin(k * GOLDEN);
    m.sort((a, b) => o.score[b]! - o.score[a]! || a - b);
    for (let j = 0; j < m.length; j++) {
      const rr = r * Math.sqrt((j + 0.5) / m.length);
      x[m[j]!] = cx + rr * Math.cos(j * GOLDEN);
      y[m[j]!] = cy + rr * Math.sin(j * GOLDEN);
    }
  });
  let refinedIterations = 0;
  if (n > 1 && g.src.length <= (o.refineMaxEdges ?? 50_000)) refinedIterations = refine(g, x, y, o.refineBudgetMs ?? 2000);
  return { x, y, refinedIterations, ms: Math.round(performance.now() - t0) };
}

function refine(g: LinkGraph, x: Float32Array, y: Float32Array, budgetMs: number): number {
  const t0 = performance.now();
  const graph = new DirectedGraph();
  for (let i = 0; i < x.length; i++) graph.addNode(i, { x: x[i], y: y[i] });
  for (let e = 0; e < g.src.length; e++) graph.addEdge(g.src[e], g.dst[e]);
  const settings = { ...forceAtlas2.inferSettings(graph), barnesHutOptimize: x.length > 2000 };
  let done = 0;
  while (done < 500 && performance.now() - t0 < budgetMs) {
    forceAtlas2.assign(graph, { iterations: 10, settings });
    done += 10;
  }
  graph.forEachNode((key: string, a: Record<string, unknown>) => {
    x[Number(key)] = a['x'] as number;
    y[Number(key)] = a['y'] as number;
  });
  return done;
}
