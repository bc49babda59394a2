/**
 * Exact duplicates (same content hash) and near-duplicates (simhash within k bits).
 * Near-duplicates use the pigeonhole trick: cut the 64 bits into k+1 bands; two fingerprints
 * within k bits agree exactly on at least one band, so only fingerprints sharing a band are
 * compared — not all n² pairs.
 */
import type { FindingTable, Row, Thresholds } from './types.ts';
import type { Model, Page } from './model.ts';
import { groupBy, table } from './table.ts';
import { halves, hammingHalves } from '../crawl/simhash.ts';

/** A bucket bigger than this (a template repeated on thousands of pages) is compared in windows. */
export const BUCKET_CAP = 256;

export function exactDuplicateTable(m: Model, t: Thresholds): FindingTable {
  const rows: Row[] = [];
  for (const group of groupBy(m.pages.filter((p) => p.html), (p) => p.contentHash).values()) {
    if (group.length < 2) continue;
    for (const p of group) rows.push({ url: p.url, duplicateOf: group[0]!.url, pages: group.length });
  }
  return table('duplicates.exact', 'Exact duplicates (same visible text)', 'warning', ['url', 'duplicateOf', 'pages'], rows, t.maxRows);
}

class UnionFind {
  private parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n).map((_, i) => i);
  }
  find(i: number): number {
    while (this.parent[i] !== i) {
      this.parent[i] = this.parent[this.parent[i]!]!;
      i = this.parent[i]!;
    }
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

export function nearDuplicateTable(m: Model, t: Thresholds): { table: FindingTable; comparisons: number } {
  const k = Math.max(0, Math.min(15, Math.floor(t.nearDuplicateBits)));
  // One representative per exact-duplicate group: those are reported as exact duplicates.
  const reps: Page[] = [];
  const seenHash = new Set<string>();
  for (const p of m.pages) {
    if (!p.html || p.simhash === undefined || p.contentHash === undefined || seenHash.has(p.contentHash)) continue;
    seenHash.add(p.contentHash);
    reps.push(p);
  }
  // Distinct fingerprints; pages sharing one are 0 bits apart.
  const byValue = groupBy(reps, (p) => p.simhash?.toLowerCase());
  const values = [...byValue.keys()];
  const hi = new Uint32Array(values.length);
  const lo = new Uint32Array(values.length);
  const buckets = new Map<string, number[]>();
  const bands = k + 1;
  const width = Math.floor(64 / bands);
  /** bandKeys[i * bands + b]: band b of fingerprint i. */
  const bandKeys: string[] = [];
  values.forEach((v, i) => {
    [hi[i], lo[i]] = halves(v);
    const big = BigInt('0x' + v);
    for (let b = 0; b < bands; b++) {
      const bits = b === bands - 1 ? 64 - width * b : width;
      const key = `${b}:${(big >> BigInt(width * b)) & ((1n << BigInt(bits)) - 1n)}`;
      bandKeys.push(key);
      const list = buckets.get(key);
      if (list) list.push(i);
      else buckets.set(key, [i]);
    }
  });

  const uf = new UnionFind(values.length);
  const nearest = new Int32Array(values.length).fill(-1);
  const nearestBits = new Int32Array(values.length).fill(65);
  let comparisons = 0;
  const compare = (a: number, b: number, band: number): void => {
    // A pair sharing several bands is compared in the first one only (no set of seen pairs:
    // that would hold millions of entries when a template makes big buckets).
    for (let e = 0; e < band; e++) if (bandKeys[a * bands + e] === bandKeys[b * bands + e]) return;
    comparisons++;
    const d = hammingHalves(hi[a]!, lo[a]!, hi[b]!, lo[b]!);
    if (d > k) return;
    uf.union(a, b);
    if (d < nearestBits[a]! || (d === nearestBits[a]! && b < nearest[a]!)) [nearestBits[a], nearest[a]] = [d, b];
    if (d < nearestBits[b]! || (d === nearestBits[b]! && a < nearest[b]!)) [nearestBits[b], nearest[b]] = [d, a];
  };
  for (const [key, list] of buckets) {
    const band = Number(key.slice(0, key.indexOf(':')));
    for (let i = 0; i < list.length; i++) {
      const end = Math.min(list.length, i + 1 + BUCKET_CAP);
      for (let j = i + 1; j < end; j++) compare(list[i]!, list[j]!, band);
    }
  }

  // Clusters of pages: a fingerprint shared by several pages, or fingerprints within k bits.
  const clusters = groupBy(values.map((_, i) => i), (i) => String(uf.find(i)));
  const entries: { row: Row; cluster: number; page: number }[] = [];
  for (const members of clusters.values()) {
    const pages = members.flatMap((i) => byValue.get(values[i]!)!);
    if (pages.length < 2) continue;
    const first = pages.reduce((a, b) => (b.index < a.index ? b : a));
    for (const i of members) {
      const same = byValue.get(values[i]!)!;
      for (const p of same) {
        const twin = same.find((q) => q !== p);
        const other = twin ?? byValue.get(values[nearest[i]!]!)?.[0];
        const row: Row = { url: p.url, similarTo: other?.url ?? null, bits: twin ? 0 : nearestBits[i]!, cluster: first.url, pages: pages.length };
        entries.push({ row, cluster: first.index, page: p.index });
      }
    }
  }
  entries.sort((a, b) => a.cluster - b.cluster || a.page - b.page);
  const rows = entries.map((e) => e.row);
  return {
    table: table('duplicates.near', `Near-duplicates (simhash within ${k} bits)`, 'warning', ['url', 'similarTo', 'bits', 'cluster', 'pages'], rows, t.maxRows),
    comparisons,
  };
}
