/** Titles, meta descriptions and h1 headings: missing, duplicated, too long or too short. */
import type { FindingTable, Row, Thresholds } from './types.ts';
import type { Model, Page } from './model.ts';
import { groupBy, table } from './table.ts';

/** Duplicates are compared case- and whitespace-insensitively, as a reader would. */
const norm = (s: string | undefined): string | undefined => s?.replace(/\s+/g, ' ').trim().toLowerCase();

function duplicateRows(pages: Page[], value: (p: Page) => string | undefined, column: string): Row[] {
  const rows: Row[] = [];
  for (const group of groupBy(pages, (p) => norm(value(p))).values()) {
    if (group.length < 2) continue;
    for (const p of group) rows.push({ url: p.url, [column]: value(p) ?? null, pages: group.length });
  }
  return rows;
}

/** missing / duplicate / too long / too short, for titles or descriptions. */
function textTables(m: Model, t: Thresholds, what: 'titles' | 'descriptions'): FindingTable[] {
  const html = m.pages.filter((p) => p.html);
  const value = what === 'titles' ? (p: Page) => p.title : (p: Page) => p.description;
  const max = what === 'titles' ? t.titleMax : t.descriptionMax;
  const min = what === 'titles' ? t.titleMin : t.descriptionMin;
  const col = what === 'titles' ? 'title' : 'description';
  const label = what === 'titles' ? 'title' : 'meta description';
  const present = html.filter((p) => (value(p) ?? '').trim() !== '');
  const length = (p: Page): number => [...(value(p) ?? '')].length;
  const missing = html.filter((p) => (value(p) ?? '').trim() === '').map((p) => ({ url: p.url }));
  const long = present.filter((p) => length(p) > max).map((p) => ({ url: p.url, [col]: value(p) ?? null, length: length(p) }));
  const short = present.filter((p) => length(p) < min).map((p) => ({ url: p.url, [col]: value(p) ?? null, length: length(p) }));
  return [
    table(`${what}.missing`, `Missing ${label}`, what === 'titles' ? 'error' : 'warning', ['url'], missing, t.maxRows),
    table(`${what}.duplicate`, `Duplicate ${label}s`, 'warning', ['url', col, 'pages'], duplicateRows(present, value, col), t.maxRows),
    table(`${what}.too-long`, `${label[0]!.toUpperCase()}${label.slice(1)} over ${max} characters`, 'notice', ['url', col, 'length'], long, t.maxRows),
    table(`${what}.too-short`, `${label[0]!.toUpperCase()}${label.slice(1)} under ${min} characters`, 'notice', ['url', col, 'length'], short, t.maxRows),
  ];
}

function h1Tables(m: Model, t: Thresholds): FindingTable[] {
  const html = m.pages.filter((p) => p.html);
  const nonEmpty = (p: Page): string[] => p.h1.filter((h) => h.trim() !== '');
  const missing = html.filter((p) => nonEmpty(p).length === 0).map((p) => ({ url: p.url }));
  const multiple = html.filter((p) => nonEmpty(p).length > 1).map((p) => ({ url: p.url, count: nonEmpty(p).length, h1: nonEmpty(p).join(' | ') }));
  const first = html.filter((p) => nonEmpty(p).length > 0);
  const duplicate = duplicateRows(first, (p) => nonEmpty(p)[0], 'h1');
  return [
    table('h1.missing', 'Missing h1', 'warning', ['url'], missing, t.maxRows),
    table('h1.multiple', 'Several h1', 'notice', ['url', 'count', 'h1'], multiple, t.maxRows),
    table('h1.duplicate', 'Duplicate h1 (first h1 shared by several pages)', 'notice', ['url', 'h1', 'pages'], duplicate, t.maxRows),
  ];
}

export function contentTables(m: Model, t: Thresholds): FindingTable[] {
  return [...textTables(m, t, 'titles'), ...textTables(m, t, 'descriptions'), ...h1Tables(m, t)];
}
