import type { GraphAnalysis } from './analyse-graph.ts';
import { csvCell } from '../csv-cell.ts';

/*
 * GEXF and CSV as generators of text chunks: a 1M-edge export is never one string. A caller
 * streams them to a file (`writeChunks`) or gathers them into one buffer (`chunksToBuffer`).
 */

/** Text chunks gathered into ~64 KB buffers, then one Buffer (for `artifacts.write`). */
export function chunksToBuffer(chunks: Iterable<string>): Buffer {
  const parts: Buffer[] = [];
  for (const part of blocks(chunks)) parts.push(part);
  return Buffer.concat(parts);
}

/** The same, letting the server's other requests through every ~4 MB (a 1M-edge GEXF is ~100 MB). */
export async function chunksToBufferAsync(chunks: Iterable<string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let since = 0;
  for (const part of blocks(chunks)) {
    parts.push(part);
    since += part.length;
    if (since > 4_000_000) {
      since = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
  return Buffer.concat(parts);
}

function* blocks(chunks: Iterable<string>): Generator<Buffer> {
  let pending: string[] = [];
  let len = 0;
  for (const c of chunks) {
    pending.push(c);
    len += c.length;
    if (len > 65_536) {
      yield Buffer.from(pending.join(''), 'utf8');
      pending = [];
      len = 0;
    }
  }
  yield Buffer.from(pending.join(''), 'utf8');
}

// XML 1.0 forbids these characters even escaped; crawled titles may hold them.
const XML_BAD = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const XML_ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' };

/** Text for an XML attribute value; line breaks and tabs as references, or a parser turns them into spaces. */
export function xmlEscape(s: string): string {
  return s.replace(XML_BAD, '').replace(/[&<>"'\n\r\t]/g, (c) => XML_ENTITY[c]!);
}

const NODE_ATTRS = [
  ['url', 'string'], ['title', 'string'], ['status', 'integer'], ['depth', 'integer'], ['section', 'string'],
  ['pagerank', 'double'], ['inDegree', 'integer'], ['outDegree', 'integer'], ['community', 'integer'], ['component', 'integer'],
] as const;

/** GEXF 1.3 (Gephi's format): node attributes, positions and sizes from the layout, weighted directed edges. */
export function* gexfChunks(a: GraphAnalysis, generatedAt = new Date()): Generator<string> {
  const g = a.graph;
  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  yield '<gexf xmlns="http://gexf.net/1.3" xmlns:viz="http://gexf.net/1.3/viz" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">\n';
  yield `<meta lastmodifieddate="${generatedAt.toISOString().slice(0, 10)}"><creator>Railbook</creator><description>Internal link graph of a crawl</description></meta>\n`;
  yield '<graph defaultedgetype="directed" mode="static">\n<attributes class="node" mode="static">\n';
  for (const [i, [title, type]] of NODE_ATTRS.entries()) yield `<attribute id="${i}" title="${title}" type="${type}"/>\n`;
  yield '</attributes>\n<nodes>\n';
  const sizes = nodeSizes(a.pagerank);
  for (let i = 0; i < g.urls.length; i++) {
    const values = nodeRow(a, i);
    let s = `<node id="${i}" label="${xmlEscape(g.urls[i]!)}"><attvalues>`;
    for (let k = 0; k < values.length; k++) s += `<attvalue for="${k}" value="${xmlEscape(String(values[k]))}"/>`;
    s += `</attvalues><viz:size value="${sizes[i]!.toFixed(2)}"/><viz:position x="${a.layout.x[i]!.toFixed(3)}" y="${a.layout.y[i]!.toFixed(3)}" z="0"/></node>\n`;
    yield s;
  }
  yield '</nodes>\n<edges>\n';
  for (let e = 0; e < g.src.length; e++) {
    // The weight is the number of links behind the edge (a page may link to another several times).
    yield `<edge id="${e}" source="${g.src[e]}" target="${g.dst[e]}" weight="${g.count[e]}"/>\n`;
  }
  yield '</edges>\n</graph>\n</gexf>\n';
}

/** The node attributes in NODE_ATTRS order (the CSV's columns after `id`, too). */
function nodeRow(a: GraphAnalysis, i: number): (string | number)[] {
  const g = a.graph;
  return [
    g.urls[i]!, g.titles[i] ?? '', g.status[i]!, g.depth[i]!, g.sections[g.section[i]!]!, a.pagerank[i]!,
    g.inDegree[i]!, g.outDegree[i]!, a.communities.community[i]!, a.component[i]!,
  ];
}

/** Sizes from PageRank (relative to the average page), kept within 1…20: hubs stand out, none vanish. */
export function nodeSizes(rank: Float64Array): Float32Array {
  const n = rank.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(20, 1 + 2.5 * Math.sqrt(Math.max(0, rank[i]! * n - 0.15)));
  return out;
}

export function* nodesCsvChunks(a: GraphAnalysis): Generator<string> {
  yield `id,${NODE_ATTRS.map(([t]) => t).join(',')}\r\n`;
  for (let i = 0; i < a.graph.urls.length; i++) yield `${i},${nodeRow(a, i).map(csvCell).join(',')}\r\n`;
}

export function* edgesCsvChunks(a: GraphAnalysis): Generator<string> {
  const g = a.graph;
  yield 'source,target,source_url,target_url,links\r\n';
  for (let e = 0; e < g.src.length; e++) {
    yield `${g.src[e]},${g.dst[e]},${csvCell(g.urls[g.src[e]!]!)},${csvCell(g.urls[g.dst[e]!]!)},${g.count[e]}\r\n`;
  }
}
