import { sectionOf, type LinkGraph } from './link-graph.ts';

/**
 * A site-like graph for the bench and the large-scale browser test, without crawling 100k pages:
 * sections of a tree under a home page, each page linking to its parent, its section's hubs and
 * random pages (mostly in its own section), ≈ `linksPerPage` distinct links each. Deterministic.
 */
export function syntheticGraph(nodes: number, linksPerPage = 10, seed = 1): LinkGraph {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const sectionCount = Math.max(1, Math.min(40, Math.round(Math.sqrt(nodes) / 4)));
  const urls: string[] = ['https://site.test/'];
  const depth = new Int32Array(nodes);
  const sec = new Int32Array(nodes);
  for (let i = 1; i < nodes; i++) {
    const k = i <= sectionCount ? i - 1 : Math.floor(Math.pow(rnd(), 1.6) * sectionCount);
    sec[i] = k;
    urls.push(i <= sectionCount ? `https://site.test/s${k}/` : `https://site.test/s${k}/page-${i}`);
    depth[i] = i <= sectionCount ? 1 : 2 + Math.floor(rnd() * 4);
  }
  const bySection: number[][] = Array.from({ length: sectionCount }, () => []);
  for (let i = 1; i < nodes; i++) bySection[sec[i]!]!.push(i);
  const src: number[] = [];
  const dst: number[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < nodes; i++) {
    seen.clear();
    const add = (j: number): void => {
      if (j === i || seen.has(j)) return;
      seen.add(j);
      src.push(i);
      dst.push(j);
    };
    if (i > 0) {
      add(0);
      add(1 + sec[i]!);
    } else for (let k = 0; k < sectionCount; k++) add(1 + k);
    let guard = 0;
    while (seen.size < Math.min(linksPerPage, nodes - 1) && guard++ < linksPerPage * 4) {
      const own = bySection[sec[i]!]!;
      add(rnd() < 0.8 && own.length > 0 ? own[Math.floor(rnd() * own.length)]! : Math.floor(rnd() * nodes));
    }
  }
  const sections: string[] = [];
  const sectionIds = new Map<string, number>();
  const section = new Int32Array(nodes);
  for (let i = 0; i < nodes; i++) {
    const name = sectionOf(urls[i]!);
    let k = sectionIds.get(name);
    if (k === undefined) sectionIds.set(name, (k = sections.push(name) - 1));
    section[i] = k;
  }
  const S = Int32Array.from(src);
  const D = Int32Array.from(dst);
  const inDegree = new Int32Array(nodes);
  const outDegree = new Int32Array(nodes);
  for (let e = 0; e < S.length; e++) {
    outDegree[S[e]!]!++;
    inDegree[D[e]!]!++;
  }
  const status = new Uint16Array(nodes).fill(200);
  for (let i = 7; i < nodes; i += 97) status[i] = 404;
  for (let i = 13; i < nodes; i += 211) status[i] = 301;
  return {
    urls, titles: urls.map((_, i) => `Page ${i}`), status, depth, section, sections,
    src: S, dst: D, count: new Uint32Array(S.length).fill(1), inDegree, outDegree,
    stats: { pages: nodes, redirectsMerged: 0, internalLinks: S.length, selfLinks: 0, linksToUncrawled: 0 },
  };
}
