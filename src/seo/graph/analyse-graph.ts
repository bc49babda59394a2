import { buildLinkGraph } from './build-graph.ts';
import { findCommunities, type Communities, type CommunityOptions } from './communities.ts';
import { layoutGraph, type Layout } from './layout.ts';
import type { LinkGraph } from './link-graph.ts';
import { pageRank, weakComponents } from './metrics.ts';

/** The graph with everything computed on it: what the exports and the browser file are made of. */
export interface GraphAnalysis {
  graph: LinkGraph;
  pagerank: Float64Array;
  pagerankIterations: number;
  component: Int32Array;
  componentSizes: number[];
  communities: Communities;
  layout: Layout;
  /** Milliseconds per phase. */
  timings: Record<'build' | 'pagerank' | 'components' | 'communities' | 'layout', number>;
}

export type AnalysePhase = 'build' | 'pagerank' | 'components' | 'communities' | 'layout';

export interface AnalyseOptions {
  communities?: CommunityOptions;
  /** ForceAtlas2 refinement limits (see layout.ts). */
  refineMaxEdges?: number;
  refineBudgetMs?: number;
  /** A phase starts (or, during the build, `done` pages were read). */
  onPhase?: (phase: AnalysePhase, done?: number) => void;
  signal?: AbortSignal;
}

/** Crawl file → link graph → PageRank, components, communities and a layout. */
export async function analyseCrawlGraph(crawlFile: string, o: AnalyseOptions = {}): Promise<GraphAnalysis> {
  o.signal?.throwIfAborted();
  o.onPhase?.('build');
  const t0 = performance.now();
  const graph = await buildLinkGraph(crawlFile, { onProgress: (_p, n) => o.onPhase?.('build', n) });
  return analyseGraph(graph, o, Math.round(performance.now() - t0));
}

/** The same from a graph already built (the bench and tests generate theirs). */
export async function analyseGraph(graph: LinkGraph, o: AnalyseOptions = {}, buildMs = 0): Promise<GraphAnalysis> {
  const step = phaseRunner(o);
  const [pr, prMs] = step('pagerank', () => pageRank(graph));
  const [wcc, wccMs] = step('components', () => weakComponents(graph));
  o.signal?.throwIfAborted();
  o.onPhase?.('communities');
  const communities = await findCommunities(graph, o.communities ?? {});
  const [layout, layoutMs] = step('layout', () =>
    layoutGraph(graph, {
      group: communities.community, score: pr.rank,
      ...(o.refineMaxEdges !== undefined ? { refineMaxEdges: o.refineMaxEdges } : {}),
      ...(o.refineBudgetMs !== undefined ? { refineBudgetMs: o.refineBudgetMs } : {}),
    }),
  );
  return {
    graph, pagerank: pr.rank, pagerankIterations: pr.iterations, component: wcc.component, componentSizes: wcc.sizes,
    communities, layout,
    timings: { build: buildMs, pagerank: prMs, components: wccMs, communities: communities.ms, layout: layoutMs },
  };
}

/** Runs one phase: stops first if the step was stopped, says which phase starts, times it. */
function phaseRunner(o: AnalyseOptions) {
  return <T>(phase: AnalysePhase, fn: () => T): [T, number] => {
    o.signal?.throwIfAborted();
    o.onPhase?.(phase);
    const t0 = performance.now();
    const v = fn();
    return [v, Math.round(performance.now() - t0)];
  };
}
