/**
 * Findings of a crawl, computed from the stored page records only (no fetching): the input of the
 * crawl workflow's findings step and of the model's commentary.
 */
import type { PageRecord } from '../crawl/page-record.ts';
import { DEFAULTS, type AnalyseOptions, type Findings, type Thresholds } from './types.ts';
import { buildModel } from './model.ts';
import { statusCodes, statusTables } from './status-links.ts';
import { contentTables } from './content.ts';
import { indexingTables } from './indexing.ts';
import { exactDuplicateTable, nearDuplicateTable } from './duplicates.ts';
import { depths, orphanTable, siteTables } from './site.ts';

export type { AnalyseOptions, Findings, FindingTable, Row, Cell, Severity, Thresholds } from './types.ts';

export function analyse(pages: Iterable<PageRecord>, opts: AnalyseOptions = {}): Findings {
  const t: Thresholds = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof Thresholds)[]) {
    const v = opts[key];
    if (typeof v === 'number' && !Number.isNaN(v)) t[key] = v;
  }
  const m = buildModel(pages);
  const near = nearDuplicateTable(m, t);
  const tables = [
    ...statusTables(m, t),
    ...contentTables(m, t),
    ...indexingTables(m, t),
    exactDuplicateTable(m, t),
    near.table,
    ...siteTables(m, t),
    orphanTable(m, t, opts.sitemapUrls ?? new Set()),
  ];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table.id] = table.total;
  return {
    pages: m.pages.length,
    statusCodes: statusCodes(m),
    depths: depths(m),
    counts,
    tables,
    // maxRows: Infinity (no cap) becomes null in JSON.
    thresholds: t,
    nearDuplicateComparisons: near.comparisons,
  };
}
