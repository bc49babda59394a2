// The built-in `link_graph` workflow end to end on a real engine (SQLite): a real crawl of a
// loopback site served here (the `crawl` workflow), then the link graph of that crawl run — its
// counts, PageRank order, communities, and the files (graph file, GEXF, CSV) read back from disk.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunState } from '../../src/engine/run-state.ts';
import type { RenderContext } from '../../src/engine/workflow.ts';
import { readGraphFile } from '../../src/seo/graph/browser-file.ts';
import type { GraphSummary } from '../../src/seo/graph/graph-summary.ts';
import type { ArtifactRef } from '../../src/store/artifact-ref.ts';
import { page, raw, redirect, startSite, type TestSite } from '../helpers/hostile-site.ts';
import { tempEngine, type TempEngine } from '../helpers/temp-engine.ts';
import linkGraph from '../../workflows/link-graph.ts';

function output<T>(st: RunState, step: string): T {
  const s = st.steps[step]!;
  assert.equal(s.status, 'done', `step ${step} completed (${s.error ?? ''})`);
  return s.output as T;
}

async function card(step: string, out: unknown): Promise<string> {
  const ctx: RenderContext = { runKey: 'k', workflowId: 'link_graph', artifactUrl: (r) => `/files/${r.path}`, frameUrl: (r) => `/frames/${r.path}`, live: false };
  const node = linkGraph.steps.find((s) => s.id === step)!.render!(out, ctx);
  const parts = Array.isArray(node) ? node : [node];
  return (await Promise.all(parts.map(async (n) => String(await (n as { toString(): unknown }).toString())))).join('');
}

describe('link graph workflow', () => {
  let t: TempEngine;
  let site: TestSite;
  before(async () => {
    t = await tempEngine();
    site = await startSite({
      '/robots.txt': raw(200, { 'content-type': 'text/plain' }, 'User-agent: *\nAllow: /\n'),
      '/': page('Home <&>', ['/docs/a', '/docs/b', '/blog/x', '/old', '/missing']),
      '/docs/a': page('A', ['/', '/docs/b']),
      '/docs/b': page('B', ['/docs/a', '/']),
      '/blog/x': page('X', ['/', '/blog/y']),
      '/blog/y': page('Y', ['/blog/x']),
      '/old': redirect(301, '/blog/y'),
    });
  });
  after(async () => {
    await site?.close();
    await t?.close();
  });

  test('crawl run → graph and metrics → the view', async () => {
    const crawlKey = 'crawl-for-graph';
    await t.engine.open('crawl', { key: crawlKey });
    await (await t.engine.submit(crawlKey, 'site', { startUrl: `${site.origin}/`, extraUrls: '', sitemaps: false })).completion;
    await (await t.engine.submit(crawlKey, 'limits', { maxPages: 50, maxDepth: 5, perHost: 2, subdomains: false, userAgent: 'RailbookBot/test' })).completion;
    output(await (await t.engine.submit(crawlKey, 'crawl', { startOver: false })).completion, 'crawl');

    const key = 'graph-1';
    await t.engine.open('link_graph', { key });
    const source = output<{ crawlRun: string }>(await (await t.engine.submit(key, 'source', { crawlRun: crawlKey })).completion, 'source');
    assert.equal(source.crawlRun, crawlKey);

    const got = output<{ summary: GraphSummary; files: ArtifactRef[] }>(
      await (await t.engine.submit(key, 'graph', { louvainSeconds: 30 })).completion, 'graph',
    );
    const s = got.summary;
    // Home, docs/a, docs/b, blog/x, blog/y, and /missing (a 404 is a page of the crawl too); /old merged into /blog/y.
    assert.equal(s.pages, 6);
    assert.equal(s.redirectsMerged, 1);
    assert.equal(s.topPages[0]!.url, `${site.origin}/`);
    assert.equal(s.components, 1);
    assert.equal(s.communityMethod, 'louvain');
    assert.ok(s.communities >= 2, `communities: ${s.communities}`);
    assert.deepEqual(got.files.map((f) => f.name), ['graph.rbg', 'link-graph.gexf', 'nodes.csv', 'edges.csv']);

    const file = (name: string): Buffer => readFileSync(path.join(t.dataDir, got.files.find((f) => f.name === name)!.path));
    const { header, arrays } = readGraphFile(file('graph.rbg'));
    assert.equal(header.nodes, 6);
    assert.equal(header.edges, s.links);
    const missing = header.urls.indexOf(`${site.origin}/missing`);
    assert.equal(arrays['status']![missing], 404);
    const y = header.urls.indexOf(`${site.origin}/blog/y`);
    // Home links to /old, which redirects to /blog/y: that link counts for /blog/y.
    const home = header.urls.indexOf(`${site.origin}/`);
    let homeToY = false;
    for (let e = 0; e < header.edges; e++) if (arrays['src']![e] === home && arrays['dst']![e] === y) homeToY = true;
    assert.ok(homeToY);
    assert.match(file('link-graph.gexf').toString('utf8'), /^<\?xml[\s\S]*<nodes>[\s\S]*<\/gexf>\n$/);
    assert.equal(file('nodes.csv').toString('utf8').trimEnd().split('\r\n').length, 7);
    assert.equal(file('edges.csv').toString('utf8').trimEnd().split('\r\n').length, s.links + 1);
    const html = await card('graph', got);
    assert.ok(html.includes('Top pages by internal PageRank'));
    assert.ok(!html.includes('Home <&>'));

    const view = output<{ graph: ArtifactRef }>(await (await t.engine.submit(key, 'view', {})).completion, 'view');
    assert.equal(view.graph.name, 'graph.rbg');
    const viewHtml = await card('view', view);
    assert.match(viewHtml, /class="rb-graph" data-graph-src="\/files\/artifacts\/graph-1\/[^"]+graph\.rbg"/);
  });

  test('a run that is not a crawl is refused with a message', async () => {
    await t.engine.open('link_graph', { key: 'graph-2' });
    const st = await (await t.engine.submit('graph-2', 'source', { crawlRun: 'graph-1' })).completion;
    assert.equal(st.steps['source']!.status, 'failed');
    assert.match(st.steps['source']!.error ?? '', /not a site crawl/);
  });
});
