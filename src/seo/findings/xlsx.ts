/**
 * Findings as an Excel workbook: a Summary sheet (worst first), then one sheet per non-empty table
 * with a bold, frozen header and an autofilter. Written with exceljs's streaming WorkbookWriter,
 * row by row, so a table of hundreds of thousands of rows never exists as cell objects all at once.
 *
 * Cell text comes from the crawled site. Strings are written as text cells, never as formulas, so
 * a title like "=cmd|' /c calc'!A1" stays text; only http(s) URLs become hyperlinks.
 */
import { PassThrough, type Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Cell, Findings, FindingTable, Severity } from './types.ts';

export interface WorkbookOptions {
  /** The crawled site, written into the workbook's properties (its title). */
  site?: string;
}

/** Excel's own limits: more than these and Excel "repairs" (damages) the file. */
export const XLSX_MAX_ROWS = 1_048_576;
export const XLSX_MAX_CELL_CHARS = 32_767;
export const XLSX_MAX_HYPERLINKS = 65_530;
export const XLSX_MAX_URL_CHARS = 2_079;
export const XLSX_MAX_SHEET_NAME = 31;

const RANK: Record<Severity, number> = { error: 0, warning: 1, notice: 2, info: 3 };
const LINK_FONT: Partial<ExcelJS.Font> = { color: { argb: 'FF0563C1' }, underline: true };
/** Rows written between pauses that let the zip stream drain. */
const ROWS_PER_TURN = 2000;
/** Rows looked at to size a column. */
const WIDTH_SAMPLE = 1000;

/** The workbook in memory (zipped, so far smaller than the rows): for an artifact or a download. */
export async function findingsWorkbook(findings: Findings, opts: WorkbookOptions = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (c: Buffer) => chunks.push(c));
  await writeFindingsWorkbook(findings, sink, opts);
  return Buffer.concat(chunks);
}

/** The same workbook written to a stream (a file, an HTTP response); resolves once it is all written. */
export async function writeFindingsWorkbook(findings: Findings, stream: Writable, opts: WorkbookOptions = {}): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false });
  wb.creator = 'Railbook';
  wb.created = new Date();
  if (opts.site) wb.title = `Crawl findings: ${xmlSafe(opts.site)}`;

  const ordered = [...findings.tables].sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.total - a.total);
  const names = new SheetNames();
  names.take('Summary');
  const withSheets = ordered.map((t) => ({ t, sheet: t.total > 0 ? names.take(t.title || t.id) : undefined }));

  const summary = startSheet(wb, 'Summary', ['finding', 'severity', 'rows', 'rows in sheet', 'sheet'], [40, 10, 10, 14, 32]);
  for (const { t, sheet } of withSheets) {
    summary.addRow([text(t.title), t.severity, t.total, sheet ? Math.min(t.rows.length, XLSX_MAX_ROWS - 1) : 0, sheet ?? null]).commit();
  }
  filterRows(summary, 5, withSheets.length);
  summary.commit();

  for (const { t, sheet } of withSheets) {
    if (sheet) await writeTable(wb, sheet, t);
  }
  await wb.commit();
}

function startSheet(wb: ExcelJS.stream.xlsx.WorkbookWriter, name: string, header: string[], widths: number[]): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  filterRows(ws, header.length, 0);
  ws.columns = widths.map((width) => ({ width }));
  const row = ws.addRow(header.map(text));
  row.font = { bold: true };
  row.commit();
  return ws;
}

/** The autofilter over the header and `rows` rows below it; the writer puts it in the sheet when it is committed. */
function filterRows(ws: ExcelJS.Worksheet, columns: number, rows: number): void {
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1 + rows, column: Math.max(1, columns) } };
}

async function writeTable(wb: ExcelJS.stream.xlsx.WorkbookWriter, name: string, t: FindingTable): Promise<void> {
  const ws = startSheet(wb, name, t.columns, columnWidths(t));
  const rows = t.rows.length > XLSX_MAX_ROWS - 1 ? t.rows.slice(0, XLSX_MAX_ROWS - 1) : t.rows;
  let links = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const values: ExcelJS.CellValue[] = [];
    const linked: number[] = [];
    for (let c = 0; c < t.columns.length; c++) {
      const v = r[t.columns[c]!] ?? null;
      if (links < XLSX_MAX_HYPERLINKS && isLink(v)) {
        values.push({ text: v, hyperlink: v });
        linked.push(c + 1);
        links++;
      } else {
        values.push(cellValue(v));
      }
    }
    const row = ws.addRow(values);
    for (const c of linked) row.getCell(c).font = LINK_FONT;
    row.commit();
    // Let the zip stream take what was written: otherwise every row piles up in memory first.
    if (i % ROWS_PER_TURN === ROWS_PER_TURN - 1) await new Promise((r) => setImmediate(r));
  }
  filterRows(ws, t.columns.length, rows.length);
  ws.commit();
}

/** Numbers stay numbers, booleans booleans; text is cleaned of what XML cannot hold and cut to Excel's limit. */
export function cellValue(v: Cell | undefined): ExcelJS.CellValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'boolean') return v;
  return text(String(v));
}

function text(s: string): string {
  const clean = xmlSafe(s);
  return clean.length > XLSX_MAX_CELL_CHARS ? `${clean.slice(0, XLSX_MAX_CELL_CHARS - 1)}…` : clean;
}

/** Control characters, lone surrogates and U+FFFE/FFFF are not allowed in XML: Excel would refuse the file. */
function xmlSafe(s: string): string {
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
}

/** An absolute http(s) URL short enough for Excel to open as a link. */
function isLink(v: Cell | undefined): v is string {
  if (typeof v !== 'string' || v.length > XLSX_MAX_URL_CHARS || !/^https?:\/\//i.test(v)) return false;
  if (xmlSafe(v) !== v || /\s/.test(v)) return false;
  return URL.canParse(v);
}

/** Wide enough for the header and most values in the first rows, within 8–60 characters. */
function columnWidths(t: FindingTable): number[] {
  const sample = t.rows.length > WIDTH_SAMPLE ? t.rows.slice(0, WIDTH_SAMPLE) : t.rows;
  return t.columns.map((c) => {
    let w = c.length;
    for (const r of sample) {
      const v = r[c];
      const len = v === null || v === undefined ? 0 : typeof v === 'number' ? String(v).length + 1 : String(v).length;
      if (len > w) w = len;
    }
    return Math.min(60, Math.max(8, w + 2));
  });
}

/**
 * Sheet names as Excel wants them: at most 31 characters, none of []:*?/\, not starting or ending
 * with an apostrophe, not "History", and unique regardless of case.
 */
export class SheetNames {
  private readonly used = new Set<string>();

  take(wanted: string): string {
    let base = xmlSafe(wanted).replace(/[[\]:*?/\\]/g, ' ').replace(/\s+/g, ' ').trim().replace(/^'+|'+$/g, '').trim();
    if (base === '' || base.toLowerCase() === 'history') base = base === '' ? 'Sheet' : `${base} sheet`;
    for (let n = 1; ; n++) {
      const suffix = n === 1 ? '' : ` (${n})`;
      const name = `${clip(base, XLSX_MAX_SHEET_NAME - suffix.length).replace(/'+$/, '').trimEnd()}${suffix}`;
      if (!this.used.has(name.toLowerCase())) {
        this.used.add(name.toLowerCase());
        return name;
      }
    }
  }
}

/** The first `max` UTF-16 units, never splitting a surrogate pair. */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  const code = s.charCodeAt(max - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
