/**
 * The shape of a crawl's findings: plain JSON (a step's output), one table per finding with its
 * rows capped ("and N more"), so a run's output stays small; with `maxRows: Infinity` the same
 * call yields every row, for an artifact.
 */

export type Severity = 'error' | 'warning' | 'notice' | 'info';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface FindingTable {
  /** Stable id, e.g. "titles.duplicate". */
  id: string;
  title: string;
  severity: Severity;
  /** Column keys of every row, in display order; the first is the URL the row is about. */
  columns: string[];
  rows: Row[];
  /** Rows before the cap. */
  total: number;
  /** total - rows.length: "and N more". */
  more: number;
}

export interface AnalyseOptions {
  /** Rows kept per table (default 100). Infinity keeps all. */
  maxRows?: number;
  titleMax?: number;
  titleMin?: number;
  descriptionMax?: number;
  descriptionMin?: number;
  /** Pages with fewer words are thin (default 200). */
  thinWords?: number;
  /** Near-duplicates differ in at most this many simhash bits (default 3, at most 15). */
  nearDuplicateBits?: number;
  slowTtfbMs?: number;
  slowTotalMs?: number;
  heavyBytes?: number;
  /** URLs listed in the site's sitemaps: the candidates for orphans. */
  sitemapUrls?: Set<string>;
}

export interface Thresholds {
  maxRows: number;
  titleMax: number;
  titleMin: number;
  descriptionMax: number;
  descriptionMin: number;
  thinWords: number;
  nearDuplicateBits: number;
  slowTtfbMs: number;
  slowTotalMs: number;
  heavyBytes: number;
}

export const DEFAULTS: Thresholds = {
  maxRows: 100,
  titleMax: 60,
  titleMin: 30,
  descriptionMax: 160,
  descriptionMin: 70,
  thinWords: 200,
  nearDuplicateBits: 3,
  slowTtfbMs: 1000,
  slowTotalMs: 3000,
  heavyBytes: 1_000_000,
};

export interface Findings {
  pages: number;
  /** Status of the first response → pages (a redirect counts as its 3xx; "0" = no response). */
  statusCodes: Record<string, number>;
  /** Depth → pages. */
  depths: Record<string, number>;
  /** Finding id → rows before capping (the summary). */
  counts: Record<string, number>;
  tables: FindingTable[];
  /** The thresholds used, so a reader knows what "too long" meant. */
  thresholds: Thresholds;
  /** Simhash pairs compared for near-duplicates (shows the bucketing works). */
  nearDuplicateComparisons: number;
}
