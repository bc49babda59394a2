import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { SaxesParser } from 'saxes';
import { analyseGraph } from '../../src/seo/graph/analyse-graph.ts';
import { graphFile, readGraphFile } from '../../src/seo/graph/browser-file.ts';
import { buildLinkGraph } from '../../src/seo/graph/build-graph.ts';
import { findCommunities } from '../../src/seo/graph/communities.ts';
import { chunksToBuffer, edgesCsvChunks, gexfChunks, nodesCsvChunks } from '../../src/seo/graph/exports.ts';
import { csvCell } from '../../src/seo/csv-cell.ts';
import { adjacency, sectionOf, type LinkGraph } from '../../src/seo/graph/link-graph.ts';
import { pageRank, topK, weakComponents } from '../../src/seo/graph/metrics.ts';
import { syntheticGraph } from '../../src/seo/graph/synthetic-graph.ts';
import { CrawlStore } from '../../src/seo/crawl/crawl-store.ts';
import type { PageRecord } from '../../src/seo/crawl/page-record.ts';

const require = createRequire(import.meta.url);
const { DirectedGraph } = require('graphology') as typeof import('graphology');
const graphologyPagerank = require('graphology-metrics/centrality/pagerank') as (g: unknown) => Record<string, number>;

const dir = mkdtempSync(path.join(tmpdir(), 'link-graph-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const H = 'http://site.test';

interface FakePage {
  url: string;
  depth: number;
  status?: number;
  title?: string;
  links: string[];
  /** The page redirected (301) here. */
  redirectTo?: string;
}

/** A crawl file written through CrawlStore's own API, as the crawler writes it. */
function writeCrawlFile(file: string, pages: FakePage[]): void {
  const store = new CrawlStore(file);
  try {
    store.addUrls(pages.map((p) => ({ url: p.url, depth: p.depth })));
    for (const p of pages) {
      const { id } = store.db.prepare('SELECT id FROM urls WHERE url = ?').get(p.url) as { id: number };
      const final = p.redirectTo ?? p.url;
      const record: PageRecord = {
        url: p.url, depth: p.depth, status: p.status ?? 200, finalUrl: final,
        redirects: p.redirectTo ? [{ url: p.url, status: 301, location: p.redirectTo }] : [],
        contentType: 'text/html', bytes: 100, truncated: false, ttfbMs: 1, totalMs: 2, xRobotsTag: undefined, fetchedAt: Date.now(), error: undefined,
        extract: {
          title: p.title, metaDescription: undefined, metaRobots: undefined, canonical: undefined, hreflang: [], h1: [], h2: [], wordCount: 10,
          contentHash: 'x', simhash: '0',
          links: p.links.map((u) => ({ url: u, text: 'link', rel: [], internal: u.startsWith(H) })),
        },
      };
      store.claim(id);
      store.finish(id, record, undefined, []);
    }
  } finally {
    store.close();
  }
}

/** A graph from (from, to) pairs over nodes 0..n-1, as the builder would make it. */
function fromPairs(n: number, pairs: [number, number][]): LinkGraph {
  const src = Int32Array.from(pairs.map((p) => p[0]));
  const dst = Int32Array.from(pairs.map((p) => p[1]));
  const inDegree = new Int32Array(n);
  const outDegree = new Int32Array(n);
  for (const [a, b] of pairs) {
    outDegree[a]!++;
    inDegree[b]!++;
  }
  return {
    urls: Array.from({ length: n }, (_, i) => `${H}/s${i % 2}/p${i}`), titles: Array.from({ length: n }, () => undefined),
    status: new Uint16Array(n).fill(200), depth: new Int32Array(n), section: Int32Array.from({ length: n }, (_, i) => i % 2), sections: ['s0', 's1'],
    src, dst, count: new Uint32Array(pairs.length).fill(1), inDegree, outDegree,
    stats: { pages: n, redirectsMerged: 0, internalLinks: pairs.length, selfLinks: 0, linksToUncrawled: 0 },
  };
}

describe('building the graph from a crawl file', async () => {
  const pages: FakePage[] = [
    { url: `${H}/`, depth: 0, title: 'Home', links: [`${H}/a`, `${H}/a`, `${H}/blog/x`, `${H}/old`, `${H}/`, `${H}/never-crawled`, 'http://other.test/'] },
    { url: `${H}/a`, depth: 1, links: [`${H}/`, `${H}/blog/x`] },
    { url: `${H}/blog/x`, depth: 1, status: 404, links: [] },
    { url: `${H}/old`, depth: 1, redirectTo: `${H}/new`, links: [] },
    { url: `${H}/new`, depth: 2, links: [`${H}/a`] },
    { url: `${H}/gone`, depth: 2, redirectTo: 'http://other.test/x', links: [] },
  ];
  const file = path.join(dir, 'build.db');
  writeCrawlFile(file, pages);
  const g = await buildLinkGraph(file);
  const id = (u: string): number => g.urls.indexOf(u);
  const edge = (a: string, b: string): number | undefined => {
    for (let e = 0; e < g.src.length; e++) if (g.src[e] === id(a) && g.dst[e] === id(b)) return g.count[e];
    return undefined;
  };

  test('nodes are the crawled pages; a redirect inside the crawl merges into its end, one leaving it stays with its 3xx', () => {
    assert.deepEqual([...g.urls].sort(), [`${H}/`, `${H}/a`, `${H}/blog/x`, `${H}/gone`, `${H}/new`].sort());
    assert.equal(g.status[id(`${H}/blog/x`)], 404);
    assert.equal(g.status[id(`${H}/gone`)], 301);
    assert.equal(g.titles[id(`${H}/`)], 'Home');
    assert.equal(g.stats.redirectsMerged, 1);
  });

  test('edges are deduplicated with a count; a link to a redirect counts for its end; self, external and uncrawled links are left out', () => {
    assert.equal(edge(`${H}/`, `${H}/a`), 2);
    assert.equal(edge(`${H}/`, `${H}/new`), 1);
    assert.equal(edge(`${H}/a`, `${H}/`), 1);
    assert.equal(edge(`${H}/new`, `${H}/a`), 1);
    assert.equal(g.src.length, 6);
    assert.equal(g.stats.selfLinks, 1);
    assert.equal(g.stats.linksToUncrawled, 1);
    assert.equal(g.inDegree[id(`${H}/a`)], 2);
    assert.equal(g.outDegree[id(`${H}/`)], 3);
  });

  test('sections are the first path segment', () => {
    assert.equal(g.sections[g.section[id(`${H}/blog/x`)]!], 'blog');
    assert.equal(g.sections[g.section[id(`${H}/`)]!], '/');
    assert.equal(sectionOf(`${H}/caf%C3%A9/x`), 'café');
  });

  test('adjacency lists give each node its out-links and in-links', () => {
    const out = adjacency(g);
    const mine = [...out.ids.subarray(out.start[id(`${H}/`)]!, out.start[id(`${H}/`) + 1]!)].map((i) => g.urls[i]).sort();
    assert.deepEqual(mine, [`${H}/a`, `${H}/blog/x`, `${H}/new`]);
    const inn = adjacency(g, true);
    assert.equal(inn.start[id(`${H}/blog/x`) + 1]! - inn.start[id(`${H}/blog/x`)]!, 2);
  });
});

describe('metrics', () => {
  test('PageRank: a hub every page links to ranks first, and the scores equal graphology-metrics’ pagerank', () => {
    // 0 is the hub; 1 → 2 → 3 a chain; 4 links nowhere (dangling).
    const pairs: [number, number][] = [[1, 0], [2, 0], [3, 0], [4, 0], [0, 1], [1, 2], [2, 3], [0, 4]];
    const g = fromPairs(5, pairs);
    const { rank, converged } = pageRank(g);
    assert.ok(converged);
    assert.equal(topK(rank, 1)[0], 0);
    assert.ok(Math.abs(rank.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    const ref = new DirectedGraph();
    for (let i = 0; i < 5; i++) ref.addNode(String(i));
    for (const [a, b] of pairs) ref.addEdge(String(a), String(b));
    const expected = graphologyPagerank(ref);
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(rank[i]! - expected[String(i)]!) < 1e-9, `node ${i}: ${rank[i]} vs ${expected[String(i)]}`);
  });

  test('weak components ignore direction; the largest is component 0', () => {
    const g = fromPairs(7, [[0, 1], [2, 1], [3, 4], [4, 5]]);
    const { component, sizes } = weakComponents(g);
    assert.deepEqual(sizes, [3, 3, 1]);
    assert.equal(component[0], component[2]);
    assert.equal(component[3], component[5]);
    assert.notEqual(component[0], component[3]);
    assert.equal(component[6], 2);
  });

  test('Louvain finds two cliques joined by one link', async () => {
    const pairs: [number, number][] = [];
    for (const base of [0, 6]) for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) if (i !== j) pairs.push([base + i, base + j]);
    pairs.push([0, 6]);
    const c = await findCommunities(fromPairs(12, pairs));
    assert.equal(c.method, 'louvain');
    assert.equal(c.count, 2);
    for (let i = 1; i < 6; i++) assert.equal(c.community[i], c.community[0]);
    for (let i = 7; i < 12; i++) assert.equal(c.community[i], c.community[6]);
    assert.notEqual(c.community[0], c.community[6]);
  });

  test('Louvain past its time bound is stopped, and the sections stand in, saying so', async () => {
    const g = syntheticGraph(3000, 10);
    const c = await findCommunities(g, { timeLimitMs: 1 });
    assert.equal(c.method, 'sections');
    assert.match(c.note ?? '', /time bound/);
    assert.equal(c.count, g.sections.length);
    // Same section, same community.
    for (let i = 0; i < 200; i++) for (let j = 0; j < 200; j++) if (g.section[i] === g.section[j]) assert.equal(c.community[i], c.community[j]);
  });
});

describe('exports', async () => {
  const g = syntheticGraph(300, 6);
  g.titles[5] = 'Tricky <title> & "quotes"\u0001, =SUM(A1)\nline two';
  g.urls[6] = `${H}/q?a=1&b="2",x`;
  const a = await analyseGraph(g);

  test('the layout places every node at a finite, distinct-ish position', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 300; i++) {
      assert.ok(Number.isFinite(a.layout.x[i]) && Number.isFinite(a.layout.y[i]));
      keys.add(`${a.layout.x[i]!.toFixed(3)},${a.layout.y[i]!.toFixed(3)}`);
    }
    assert.ok(keys.size > 290);
  });

  test('GEXF is well-formed XML with a node per page and an edge per link, attributes declared', () => {
    const xml = chunksToBuffer(gexfChunks(a)).toString('utf8');
    const parser = new SaxesParser({ xmlns: true });
    let nodes = 0;
    let edges = 0;
    let attributes = 0;
    let root = '';
    const labels: string[] = [];
    const titles: string[] = [];
    parser.on('opentag', (t) => {
      if (!root) root = `${t.uri} ${t.local}`;
      if (t.local === 'node') {
        nodes++;
        labels.push(String(t.attributes['label']?.value));
      }
      if (t.local === 'edge') edges++;
      if (t.local === 'attribute') attributes++;
      if (t.local === 'attvalue' && t.attributes['for']?.value === '1') titles.push(String(t.attributes['value']?.value));
    });
    parser.on('error', (e) => assert.fail(e));
    parser.write(xml).close();
    assert.equal(root, 'http://gexf.net/1.3 gexf');
    assert.equal(nodes, 300);
    assert.equal(edges, g.src.length);
    assert.equal(attributes, 10);
    assert.equal(labels[6], `${H}/q?a=1&b="2",x`);
    assert.equal(titles[5], 'Tricky <title> & "quotes", =SUM(A1)\nline two');
  });

  test('CSV cells are quoted when needed and formulas defused', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
    assert.equal(csvCell('=1+1'), "'=1+1");
    assert.equal(csvCell(-3), '-3');
    assert.equal(csvCell(null), '');
    assert.equal(csvCell('-3 items'), "'-3 items");
    const nodes = chunksToBuffer(nodesCsvChunks(a)).toString('utf8');
    assert.ok(nodes.startsWith('id,url,title,status,depth,section,pagerank,inDegree,outDegree,community,component\r\n'));
    assert.ok(nodes.includes(`6,"${H}/q?a=1&b=""2"",x",`));
    assert.ok(nodes.includes(`,"Tricky <title> & ""quotes""\u0001, =SUM(A1)\nline two",`));
    const edges = chunksToBuffer(edgesCsvChunks(a)).toString('utf8').trimEnd().split('\r\n');
    assert.equal(edges.length, g.src.length + 1);
  });

  test('the browser file reads back: header, and every array at its length', () => {
    const { header, arrays } = readGraphFile(graphFile(a));
    assert.equal(header.nodes, 300);
    assert.equal(header.edges, g.src.length);
    assert.equal(header.urls[6], g.urls[6]);
    assert.deepEqual([...arrays['src']!], [...g.src]);
    assert.deepEqual([...arrays['dst']!], [...g.dst]);
    assert.equal(arrays['x']![10], a.layout.x[10]);
    assert.equal(arrays['status']![7], 404);
  });
});
