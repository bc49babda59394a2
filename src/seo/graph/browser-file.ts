import type { GraphAnalysis } from './analyse-graph.ts';
import { nodeSizes } from './exports.ts';

/**
 * The file the browser view loads (`graph.rbg`): binary, because at 1M edges JSON would be ~15 MB
 * of digits to parse, where typed arrays are read in place (`new Float32Array(buffer, offset, n)`).
 *
 *   "RBG1" · uint32 LE header length · header JSON (UTF-8, space-padded to 4 bytes) · arrays
 *
 * The header lists the arrays (name, type, length) in file order, each starting 4-byte aligned,
 * and holds the strings: URLs, titles, section and status names. graph.js reads this format.
 */
export const GRAPH_FILE_MAGIC = 'RBG1';

export interface GraphFileHeader {
  version: 1;
  nodes: number;
  edges: number;
  urls: string[];
  /** Capped at 200 characters: the details panel shows them, the CSV has them whole. */
  titles: string[];
  sections: string[];
  communities: number;
  communityMethod: 'louvain' | 'sections';
  components: number;
  arrays: { name: string; type: 'f32' | 'i32' | 'u32'; length: number }[];
}

/** The arrays, per node (x, y, size, pagerank, status, depth, section, community, inDegree, outDegree) then per edge (src, dst). */
export function graphFile(a: GraphAnalysis): Buffer {
  const g = a.graph;
  const n = g.urls.length;
  const pr = new Float32Array(a.pagerank);
  const arrays: [string, Float32Array | Int32Array | Uint32Array][] = [
    ['x', a.layout.x], ['y', a.layout.y], ['size', nodeSizes(a.pagerank)], ['pagerank', pr],
    ['status', Int32Array.from(g.status)], ['depth', g.depth], ['section', g.section], ['community', a.communities.community],
    ['inDegree', g.inDegree], ['outDegree', g.outDegree],
    ['src', g.src], ['dst', g.dst],
  ];
  const header: GraphFileHeader = {
    version: 1, nodes: n, edges: g.src.length,
    urls: g.urls, titles: g.titles.map((t) => (t ?? '').slice(0, 200)), sections: g.sections,
    communities: a.communities.count, communityMethod: a.communities.method, components: a.componentSizes.length,
    arrays: arrays.map(([name, arr]) => ({ name, type: arr instanceof Float32Array ? 'f32' : arr instanceof Uint32Array ? 'u32' : 'i32', length: arr.length })),
  };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (4 - (json.length % 4)) % 4;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const head = Buffer.alloc(8);
  head.write(GRAPH_FILE_MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, 4);
  // Every array is 4 bytes per item, so each one stays 4-byte aligned after the padded header.
  const parts = [head, json, ...arrays.map(([, arr]) => Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength))];
  return Buffer.concat(parts);
}

/** Reads a graph file back (the tests check the round trip; the browser has its own reader in graph.js). */
export function readGraphFile(buf: Buffer): { header: GraphFileHeader; arrays: Record<string, Float32Array | Int32Array | Uint32Array> } {
  if (buf.toString('latin1', 0, 4) !== GRAPH_FILE_MAGIC) throw new Error('Not a Railbook graph file');
  const len = buf.readUInt32LE(4);
  const header = JSON.parse(buf.toString('utf8', 8, 8 + len)) as GraphFileHeader;
  // A copy into a fresh (aligned) ArrayBuffer: a Node Buffer may sit at any offset of its pool.
  const bytes = new Uint8Array(buf.subarray(8 + len)).slice();
  const arrays: Record<string, Float32Array | Int32Array | Uint32Array> = {};
  let off = 0;
  for (const a of header.arrays) {
    const Ctor = a.type === 'f32' ? Float32Array : a.type === 'u32' ? Uint32Array : Int32Array;
    arrays[a.name] = new Ctor(bytes.buffer, off, a.length);
    off += a.length * 4;
  }
  return { header, arrays };
}
