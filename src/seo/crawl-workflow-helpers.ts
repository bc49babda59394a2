/**
 * The plumbing of workflows/crawl.ts, kept here so the workflow file reads as the story: reading
 * the URL list, deciding whether a crawl's SQLite file is resumed or started afresh, findings from
 * the file, CSV export, and what the model is shown.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { CrawlStore } from './crawl/crawl-store.ts';
import { csvCell } from './csv-cell.ts';
import type { CrawlSummary } from './crawl/crawler.ts';
import type { ExtractionRule } from './crawl/extraction-rules.ts';
import { reextract, type ReextractProgress, type ReextractSummary } from './crawl/reextract.ts';
import { normalizeUrl } from './crawl/scope.ts';
import { analyse, type Findings, type FindingTable, type Severity } from './findings/analyse.ts';
import type { Row } from './findings/types.ts';
import { buildModel } from './findings/model.ts';
import { inlinkCounts } from './findings/status-links.ts';

/** Lines of a URL list: blank lines and `#` comments ignored; each other line must be http(s). */
export function parseUrlList(text: string): { urls: string[]; bad: string[] } {
  const urls: string[] = [];
  const bad: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const u = /^https?:\/\//i.test(t) ? normalizeUrl(t) : undefined;
    if (u) urls.push(u);
    else bad.push(t);
  }
  return { urls, bad };
}

/**
 * Lines of regular expressions (the include/exclude patterns): blank lines skipped, each other
 * line compiled, and a bad one reported with its line number and the reason.
 */
export function patternLines(label: string, text: string): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '') return;
    try {
      new RegExp(t);
    } catch (e) {
      throw new Error(`${label}, line ${i + 1}: "${t}" is not a regular expression (${(e as Error).message})`);
    }
    out.push(t);
  });
  return out;
}

/** What decides a crawl's frontier from the start: change it and the stored crawl no longer fits. */
export interface CrawlSeeds {
  startUrls: string[];
  sitemaps: boolean;
  subdomains: boolean;
}

const SEEDS_META = 'railbook.seeds';

/**
 * Makes the crawl file at `path` ready: kept (the crawl resumes) when it was started with the same
 * seeds, removed when `startOver` is asked or the seeds changed (a different site). Limits (max
 * pages, depth…) may change between runs: a resumed crawl simply goes on under the new ones.
 */
export function prepareCrawlFile(path: string, seeds: CrawlSeeds, startOver: boolean): { resumed: boolean; note: string | undefined } {
  const want = JSON.stringify(seeds);
  let had: string | undefined;
  let pages = 0;
  mkdirSync(dirname(path), { recursive: true });
  {
    const store = new CrawlStore(path);
    try {
      had = store.getMeta(SEEDS_META);
      const c = store.counts();
      pages = c.done + c.failed + c.queued + c.skipped + c.fetching;
    } finally {
      store.close();
    }
  }
  let note: string | undefined;
  if (had !== undefined && (startOver || had !== want)) {
    removeCrawlFile(path);
    note = startOver ? 'Started over: the earlier crawl was removed.' : 'The start URLs or scope changed: the earlier crawl was removed and a new one started.';
  }
  const store = new CrawlStore(path);
  try {
    store.setMeta(SEEDS_META, want);
  } finally {
    store.close();
  }
  return { resumed: note === undefined && pages > 0, note };
}

/** The SQLite file and its WAL companions. */
export function removeCrawlFile(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}

const running = new Map<string, Promise<unknown>>();

/**
 * One crawl per file at a time in this process: a step stopped and run again at once must not
 * race its winding-down predecessor (both would take the same URLs).
 */
export async function exclusive<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const before = running.get(path);
  const mine = (async () => {
    if (before) await before.catch(() => undefined);
    return fn();
  })();
  running.set(path, mine);
  try {
    return await mine;
  } finally {
    if (running.get(path) === mine) running.delete(path);
  }
}

/** Robots.txt per origin, as a line a person reads. */
export function robotsNotes(sum: CrawlSummary): string[] {
  return sum.robots.map((r) => {
    const delay = r.crawlDelayMs !== undefined ? `, crawl-delay ${r.crawlDelayMs / 1000} s` : '';
    return `${r.origin}: ${r.state}${delay}${r.note ? ` (${r.note})` : ''}`;
  });
}

/** Findings over every page in the crawl file (every row: cap them with capFindings); sitemap URLs, the orphan candidates, from the file too. */
export function findingsOf(path: string): Findings {
  const store = new CrawlStore(path);
  try {
    return analyse(store.pages(), { maxRows: Infinity, sitemapUrls: store.sitemapUrls() });
  } finally {
    store.close();
  }
}

/** A table as CSV (see csvCell: formulas defused, numbers kept). */
export function tableCsv(t: FindingTable): string {
  const lines = [t.columns.map(csvCell).join(',')];
  for (const r of t.rows) lines.push(t.columns.map((c) => csvCell(r[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, notice: 2, info: 3 };

/** The non-empty tables, worst first (severity, then how many rows). */
export function worstTables(f: Findings): FindingTable[] {
  return f.tables.filter((t) => t.total > 0).sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.total - a.total);
}

/** One page as the model reads it in the commentary's sample. */
export interface SampledPage {
  url: string;
  why: string;
  status: number;
  depth: number;
  inlinks: number;
  title: string | null;
  metaDescription: string | null;
  h1: string[];
  wordCount: number;
}

/**
 * A few pages for the model to read, not only counts: the start page, the most linked-to pages,
 * and the first page of each of the worst findings (so it can name what is wrong on a real page).
 */
export function pageSample(path: string, f: Findings, max = 8): SampledPage[] {
  const store = new CrawlStore(path);
  try {
    const records = [...store.pages()];
    const model = buildModel(records);
    const inlinks = inlinkCounts(model);
    const byUrl = new Map(records.map((r) => [r.url, r]));
    const picked = new Map<string, string>();
    const pick = (url: string | undefined, why: string): void => {
      if (url !== undefined && byUrl.has(url) && !picked.has(url) && picked.size < max) picked.set(url, why);
    };
    pick(records.find((r) => r.depth === 0)?.url, 'the start page');
    for (const t of worstTables(f).slice(0, Math.ceil(max / 2))) pick(String(t.rows[0]?.['url'] ?? ''), `first row of "${t.title}"`);
    const popular = [...inlinks].sort((a, b) => b[1] - a[1]).slice(0, max);
    for (const [url] of popular) pick(url, 'among the most linked-to pages');
    return [...picked].map(([url, why]) => {
      const r = byUrl.get(url)!;
      const x = r.extract;
      return {
        url, why, status: r.status, depth: r.depth, inlinks: inlinks.get(url) ?? 0,
        title: x?.title ?? null, metaDescription: x?.metaDescription ?? null, h1: x?.h1.slice(0, 3) ?? [], wordCount: x?.wordCount ?? 0,
      };
    });
  } finally {
    store.close();
  }
}

/** What the model is shown: the counts, the first rows of the worst tables and a sample of pages (within its budget). */
export function commentaryData(f: Findings, sample: SampledPage[] = [], tables = 6, rows = 5): unknown {
  const counts = Object.fromEntries(Object.entries(f.counts).filter(([, n]) => n > 0));
  return {
    pages: f.pages,
    statusCodes: f.statusCodes,
    depths: f.depths,
    findingCounts: counts,
    worst: worstTables(f).slice(0, tables).map((t) => ({ finding: t.title, severity: t.severity, total: t.total, firstRows: t.rows.slice(0, rows) })),
    samplePages: sample,
  };
}

/** The same findings with each table cut to `maxRows` ("and N more"): small enough for a run's state. */
export function capFindings(f: Findings, maxRows: number): Findings {
  const tables = f.tables.map((t) => {
    const rows = t.rows.slice(0, maxRows);
    return { ...t, rows, more: t.total - rows.length };
  });
  return { ...f, tables, thresholds: { ...f.thresholds, maxRows } };
}

/** What custom extraction found: a row per HTML page (its URL, then the values of each rule). */
export interface CustomValues {
  summary: ReextractSummary;
  /** Rule name → pages where it found at least one value. */
  found: Record<string, number>;
  table: FindingTable;
}

/**
 * Runs `rules` over the crawl file's stored pages (the rendered HTML where the crawl rendered), with
 * no request to the site, leaving the stored records as they are: the step's output alone holds the
 * values, so reverting the step forgets them.
 */
export async function customValues(path: string, rules: ExtractionRule[], opts: { signal?: AbortSignal; onProgress?: (p: ReextractProgress) => void } = {}): Promise<CustomValues> {
  const rows: Row[] = [];
  const found: Record<string, number> = Object.fromEntries(rules.map((r) => [r.name, 0]));
  const summary = await reextract(path, {
    rules,
    update: false,
    ...opts,
    onPage: (rec) => {
      const custom = rec.extract?.custom;
      if (!custom) return;
      const row: Row = { url: rec.url };
      for (const r of rules) {
        const v = custom[r.name] ?? [];
        if (v.length > 0) found[r.name]! += 1;
        row[r.name] = v.join(' | ');
      }
      rows.push(row);
    },
  });
  const table: FindingTable = { id: 'custom', title: 'Custom extraction', severity: 'info', columns: ['url', ...rules.map((r) => r.name)], rows, total: rows.length, more: 0 };
  return { summary, found, table };
}
