import { existsSync } from 'node:fs';
import path from 'node:path';
import { workflow } from '../src/engine/index.ts';
import type { ArtifactRef } from '../src/store/artifact-ref.ts';
import { analyseCrawlGraph, type AnalysePhase } from '../src/seo/graph/analyse-graph.ts';
import { graphFile } from '../src/seo/graph/browser-file.ts';
import { chunksToBufferAsync, edgesCsvChunks, gexfChunks, nodesCsvChunks } from '../src/seo/graph/exports.ts';
import { summarise } from '../src/seo/graph/graph-summary.ts';
import { graphView } from '../src/seo/graph/graph-view.ts';
import { keyValues, markdownView, number, runPicker, tableView } from '../src/widgets/index.ts';

/**
 * Link graph: a crawl run → its internal link graph with PageRank, components and communities
 * (and GEXF/CSV exports) → an interactive WebGL view to explore it. Nothing is fetched: the graph
 * comes from the crawl run's file.
 */
export default workflow({
  id: 'link_graph',
  title: 'Link graph',
  description:
    'The internal links of a crawl as a graph: which pages gather the most internal PageRank, how the site falls into communities, and an interactive map to search and explore (up to 100,000 pages).',
})
  // Step 1: which crawl. The crawl run is only read: its file stays where it is.
  .step({
    id: 'source',
    title: 'Crawl run',
    docs: 'Choose a run of the "Site crawl" workflow. Its crawl need not be finished: the graph is made of the pages fetched so far.',
    fields: {
      crawlRun: runPicker({ label: 'Crawl run', workflow: 'crawl' }),
    },
    run: async ({ input, otherRun }) => {
      const run = await otherRun(input.crawlRun);
      if (run.workflowId !== 'crawl') throw new Error(`Run "${run.key}" is a "${run.workflowId}" run, not a site crawl.`);
      if (!existsSync(path.join(run.artifactsDir, 'crawl.db'))) throw new Error(`Run "${run.key}" has no crawl file yet: run its Crawl step first.`);
      return { crawlRun: run.key };
    },
  })

  // Step 2: the graph and its metrics. Louvain runs in a worker stopped at its time limit; past it
  // the sections stand in for the communities, and the output says so.
  .step({
    id: 'graph',
    title: 'Graph and metrics',
    docs: 'Builds the graph of internal links (a redirect counts for the page it leads to), then internal PageRank (1 = an average page), connected components, communities (Louvain) and a layout. The files below open in Gephi (GEXF) or a spreadsheet (CSV).',
    fields: {
      louvainSeconds: number({ label: 'Time limit for finding communities (seconds)', integer: true, min: 1, max: 600, initial: 30 }),
    },
    submitLabel: 'Build the graph',
    run: async ({ input, outputs, otherRun, artifacts, progress, signal }) => {
      const run = await otherRun(outputs.source.crawlRun);
      const words: Record<AnalysePhase, string> = {
        build: 'Reading the crawl', pagerank: 'PageRank', components: 'Components', communities: 'Communities (Louvain)', layout: 'Layout',
      };
      const order: AnalysePhase[] = ['build', 'pagerank', 'components', 'communities', 'layout'];
      const a = await analyseCrawlGraph(path.join(run.artifactsDir, 'crawl.db'), {
        signal, communities: { timeLimitMs: input.louvainSeconds * 1000 },
        onPhase: (phase, done) => progress({ done: order.indexOf(phase), total: order.length + 1, message: done ? `${words[phase]}: ${done} pages` : words[phase] }),
      });
      progress({ done: order.length, total: order.length + 1, message: 'Writing the files' });
      const files: ArtifactRef[] = [
        await artifacts.write('graph.rbg', graphFile(a), 'application/octet-stream'),
        await artifacts.write('link-graph.gexf', await chunksToBufferAsync(gexfChunks(a)), 'application/gexf+xml'),
        await artifacts.write('nodes.csv', await chunksToBufferAsync(nodesCsvChunks(a)), 'text/csv'),
        await artifacts.write('edges.csv', await chunksToBufferAsync(edgesCsvChunks(a)), 'text/csv'),
      ];
      return { summary: summarise(a), files };
    },
    render: (out, ctx) => {
      const s = out.summary;
      const head = `**${s.pages} pages**, **${s.links} links** between them, in ${s.components} component${s.components === 1 ? '' : 's'} (the largest: ${s.largestComponent} pages) and ${s.communities} communities${s.communityMethod === 'sections' ? ' (the sections)' : ''}.`;
      return [
        markdownView(s.communityNote ? `${head}\n\n${s.communityNote}` : head),
        tableView(s.topPages, { caption: 'Top pages by internal PageRank (1 = an average page)', sortable: true }),
        tableView(s.topCommunities, { caption: s.communityMethod === 'louvain' ? 'Largest communities' : 'Largest sections', sortable: true }),
        tableView(s.components5, { caption: 'Largest components' }),
        keyValues({
          redirectsMerged: s.redirectsMerged, linksToUncrawledPages: s.linksToUncrawled, modularity: s.modularity,
          layoutRefinementIterations: s.layoutRefinement, timingsMs: s.timingsMs, files: out.files,
        }, { artifactUrl: ctx.artifactUrl }),
      ];
    },
  })

  // Step 3: the map. The browser loads the graph file and draws it with sigma.js (WebGL).
  .step({
    id: 'view',
    title: 'Explore',
    docs: 'The map of the site: pick what the colours show, search a URL (Enter goes to it), click a page for its links, show only some sections. Full screen gives it the whole window.',
    fields: {},
    submitLabel: 'Open the map',
    run: ({ outputs }) => ({ graph: outputs.graph.files[0]!, pages: outputs.graph.summary.pages, links: outputs.graph.summary.links }),
    render: (out, ctx) => graphView(ctx.artifactUrl(out.graph), { nodes: out.pages, edges: out.links }),
  });
