import type { GraphAnalysis } from './analyse-graph.ts';
import { topK } from './metrics.ts';

/** What the workflow keeps in its state about a graph: counts and the first rows, never the graph. */
export interface GraphSummary {
  pages: number;
  links: number;
  redirectsMerged: number;
  linksToUncrawled: number;
  components: number;
  largestComponent: number;
  communities: number;
  communityMethod: 'louvain' | 'sections';
  modularity: number | null;
  communityNote: string | null;
  layoutRefinement: number;
  timingsMs: Record<string, number>;
  topPages: { rank: number; url: string; pagerank: number; inLinks: number; outLinks: number; depth: number; status: number }[];
  topCommunities: { community: number; pages: number; mainSection: string; topPage: string }[];
  components5: { component: number; pages: number; example: string }[];
}

export function summarise(a: GraphAnalysis, rows = 20): GraphSummary {
  const g = a.graph;
  const n = g.urls.length;
  const topPages = topK(a.pagerank, rows).map((i, k) => ({
    rank: k + 1, url: g.urls[i]!, pagerank: round(a.pagerank[i]! * n), inLinks: g.inDegree[i]!, outLinks: g.outDegree[i]!,
    depth: g.depth[i]!, status: g.status[i]!,
  }));
  // Per community: size, its most common section, its highest-ranked page.
  const c = a.communities.community;
  const best = new Int32Array(a.communities.count).fill(-1);
  const sectionCounts = new Map<number, Map<number, number>>();
  const sizes = new Int32Array(a.communities.count);
  for (let i = 0; i < n; i++) {
    const k = c[i]!;
    sizes[k]!++;
    if (best[k] === -1 || a.pagerank[i]! > a.pagerank[best[k]!]!) best[k] = i;
    if (k < rows) {
      let m = sectionCounts.get(k);
      if (!m) sectionCounts.set(k, (m = new Map()));
      m.set(g.section[i]!, (m.get(g.section[i]!) ?? 0) + 1);
    }
  }
  const topCommunities = Array.from({ length: Math.min(rows, a.communities.count) }, (_, k) => {
    const main = [...(sectionCounts.get(k) ?? new Map<number, number>()).entries()].sort((x, y) => y[1] - x[1])[0];
    return { community: k, pages: sizes[k]!, mainSection: main ? g.sections[main[0]]! : '', topPage: best[k]! >= 0 ? g.urls[best[k]!]! : '' };
  });
  const example = new Int32Array(Math.min(5, a.componentSizes.length)).fill(-1);
  for (let i = 0; i < n && example.includes(-1); i++) if (a.component[i]! < example.length && example[a.component[i]!] === -1) example[a.component[i]!] = i;
  return {
    pages: n, links: g.src.length, redirectsMerged: g.stats.redirectsMerged, linksToUncrawled: g.stats.linksToUncrawled,
    components: a.componentSizes.length, largestComponent: a.componentSizes[0] ?? 0,
    communities: a.communities.count, communityMethod: a.communities.method, modularity: a.communities.modularity === undefined ? null : round(a.communities.modularity),
    communityNote: a.communities.note ?? null, layoutRefinement: a.layout.refinedIterations, timingsMs: { ...a.timings },
    topPages, topCommunities,
    components5: Array.from(example, (i, k) => ({ component: k, pages: a.componentSizes[k]!, example: i >= 0 ? g.urls[i]! : '' })),
  };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
