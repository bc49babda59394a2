// findingsWorkbook (src/seo/findings/xlsx.ts): the workbook read back with exceljs — sheet names,
// headers, row counts, types, hyperlinks only for http(s), hostile text never a formula, and a big
// table written row by row (read back with exceljs's streaming reader).
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import { DEFAULTS, type Findings, type FindingTable, type Row } from '../../src/seo/findings/types.ts';
import { SheetNames, XLSX_MAX_CELL_CHARS, findingsWorkbook, writeFindingsWorkbook } from '../../src/seo/findings/xlsx.ts';

function table(id: string, title: string, severity: FindingTable['severity'], columns: string[], rows: Row[], total = rows.length): FindingTable {
  return { id, title, severity, columns, rows, total, more: total - rows.length };
}

function findingsOf(tables: FindingTable[]): Findings {
  return {
    pages: 10,
    statusCodes: { '200': 8, '404': 2 },
    depths: { '0': 1, '1': 9 },
    counts: Object.fromEntries(tables.map((t) => [t.id, t.total])),
    tables,
    thresholds: DEFAULTS,
    nearDuplicateComparisons: 0,
  };
}

const HOSTILE = "=cmd|' /c calc'!A1";

const sample = findingsOf([
  table('titles.long', 'Titles too long', 'notice', ['url', 'title', 'length'], [
    { url: 'https://a.test/1', title: HOSTILE, length: 18 },
    { url: 'https://a.test/2', title: '+SUM(1,2)', length: 9 },
    { url: 'https://a.test/3', title: '-2+3', length: 4 },
    { url: 'https://a.test/4', title: '@SUM(A1)', length: 8 },
  ]),
  table('links.broken', 'Broken internal links', 'error', ['url', 'status', 'linkedFrom', 'ok'], [
    { url: 'https://a.test/missing', status: 404, linkedFrom: 'javascript:alert(1)', ok: false },
    { url: 'ftp://a.test/file', status: 0, linkedFrom: 'https://a.test/', ok: true },
    { url: 'https://a.test/ctl\u0001char', status: 500, linkedFrom: null, ok: false },
  ], 7),
  table('titles.missing', 'Missing titles', 'warning', ['url'], []),
  // Titles that make bad sheet names: forbidden characters, too long, the same after cutting.
  table('x.one', 'Pages: with [odd] / names? * \\ and a very long tail', 'info', ['url'], [{ url: 'https://a.test/odd' }]),
  table('x.two', 'Pages: with [odd] / names? * \\ and a very long tail', 'info', ['url'], [{ url: 'https://a.test/odd2' }]),
  table('x.three', "'History'", 'info', ['url', 'text'], [{ url: 'https://a.test/h', text: 'x'.repeat(XLSX_MAX_CELL_CHARS + 10) }]),
]);

async function load(buf: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  return wb;
}

const rowValues = (ws: ExcelJS.Worksheet, n: number): unknown[] => (ws.getRow(n).values as unknown[]).slice(1);

describe('findingsWorkbook', () => {
  test('a summary worst first, then one sheet per non-empty table with its header and rows', async () => {
    const wb = await load(await findingsWorkbook(sample, { site: 'https://a.test/' }));
    const names = wb.worksheets.map((w) => w.name);
    assert.deepEqual(names, ['Summary', 'Broken internal links', 'Titles too long', 'Pages with odd names and a very', 'Pages with odd names and a (2)', 'History sheet']);
    for (const n of names) {
      assert.ok(n.length <= 31, n);
      assert.doesNotMatch(n, /[[\]:*?/\\]/);
    }
    assert.equal(wb.title, 'Crawl findings: https://a.test/');

    const summary = wb.getWorksheet('Summary')!;
    assert.deepEqual(rowValues(summary, 1), ['finding', 'severity', 'rows', 'rows in sheet', 'sheet']);
    assert.equal(summary.rowCount, 1 + sample.tables.length);
    assert.deepEqual(rowValues(summary, 2), ['Broken internal links', 'error', 7, 3, 'Broken internal links']);
    assert.deepEqual(rowValues(summary, 3), ['Missing titles', 'warning', 0, 0]);
    assert.deepEqual(rowValues(summary, 4), ['Titles too long', 'notice', 4, 4, 'Titles too long']);

    for (const ws of wb.worksheets) {
      assert.equal(ws.getRow(1).font?.bold, true, `${ws.name}: bold header`);
      assert.equal(ws.views[0]?.state, 'frozen', `${ws.name}: frozen header`);
      assert.equal((ws.views[0] as ExcelJS.WorksheetViewFrozen).ySplit, 1);
      assert.ok(ws.autoFilter, `${ws.name}: autofilter`);
    }
    const broken = wb.getWorksheet('Broken internal links')!;
    assert.equal(broken.autoFilter, 'A1:D4', 'the filter covers the header and every row');
    assert.equal(summary.autoFilter, `A1:E${1 + sample.tables.length}`);
    assert.deepEqual(rowValues(broken, 1), ['url', 'status', 'linkedFrom', 'ok']);
    assert.equal(broken.rowCount, 4);
    const w = broken.getColumn(1).width!;
    assert.ok(w >= 8 && w <= 60, `url column width ${w}`);
  });

  test('text that looks like a formula stays text; numbers and booleans keep their type', async () => {
    const wb = await load(await findingsWorkbook(sample));
    const ws = wb.getWorksheet('Titles too long')!;
    const titles = [2, 3, 4, 5].map((r) => ws.getCell(r, 2));
    assert.deepEqual(titles.map((c) => c.value), [HOSTILE, '+SUM(1,2)', '-2+3', '@SUM(A1)']);
    for (const c of titles) {
      assert.equal(c.type, ExcelJS.ValueType.String, `${String(c.value)} is a string`);
      assert.equal(c.formula, undefined);
    }
    assert.equal(ws.getCell(2, 3).type, ExcelJS.ValueType.Number);
    assert.equal(ws.getCell(2, 3).value, 18);
    const broken = wb.getWorksheet('Broken internal links')!;
    assert.equal(broken.getCell(2, 4).value, false);
    assert.equal(broken.getCell(2, 4).type, ExcelJS.ValueType.Boolean);
    assert.equal(broken.getCell(4, 3).type, ExcelJS.ValueType.Null);
  });

  test('only http(s) URLs become hyperlinks', async () => {
    const wb = await load(await findingsWorkbook(sample));
    const ws = wb.getWorksheet('Broken internal links')!;
    const link = ws.getCell('A2');
    assert.equal(link.type, ExcelJS.ValueType.Hyperlink);
    assert.equal(link.hyperlink, 'https://a.test/missing');
    assert.equal(link.text, 'https://a.test/missing');
    assert.equal(ws.getCell('B3').value, 0);
    assert.equal(ws.getCell('C3').hyperlink, 'https://a.test/');
    for (const addr of ['C2', 'A3']) {
      assert.equal(ws.getCell(addr).type, ExcelJS.ValueType.String, `${addr} is plain text`);
      assert.equal(ws.getCell(addr).hyperlink, undefined);
    }
    assert.equal(ws.getCell('C2').value, 'javascript:alert(1)');
  });

  test('characters XML cannot hold are dropped; over-long text is cut to what Excel allows', async () => {
    const wb = await load(await findingsWorkbook(sample));
    const ws = wb.getWorksheet('Broken internal links')!;
    assert.equal(ws.getCell('A4').value, 'https://a.test/ctlchar');
    const long = wb.getWorksheet('History sheet')!.getCell('B2').value as string;
    assert.equal(long.length, XLSX_MAX_CELL_CHARS);
    assert.ok(long.endsWith('…'));
  });

  test('no tables: the summary alone', async () => {
    const wb = await load(await findingsWorkbook(findingsOf([])));
    assert.deepEqual(wb.worksheets.map((w) => w.name), ['Summary']);
    assert.equal(wb.getWorksheet('Summary')!.rowCount, 1);
  });

  test('a big table is written row by row to a file and reads back whole', async () => {
    const n = 20_000;
    const rows: Row[] = Array.from({ length: n }, (_, i) => ({ url: `https://big.test/p/${i}`, title: `Page ${i}`, bytes: i * 7 }));
    const dir = mkdtempSync(path.join(tmpdir(), 'railbook-xlsx-'));
    try {
      const file = path.join(dir, 'findings.xlsx');
      await writeFindingsWorkbook(findingsOf([table('big', 'Thin pages', 'warning', ['url', 'title', 'bytes'], rows)]), createWriteStream(file));
      const counts: number[] = [];
      let last: unknown[] = [];
      const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(readFileSync(file)), { hyperlinks: 'ignore', sharedStrings: 'cache', worksheets: 'emit' });
      for await (const sheet of reader) {
        let c = 0;
        for await (const row of sheet) {
          c++;
          last = (row.values as unknown[]).slice(1);
        }
        counts.push(c);
      }
      assert.deepEqual(counts, [2, n + 1], 'summary: header and one row; the table: header and every row');
      assert.equal(last[2], (n - 1) * 7, 'the last row, its number a number');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SheetNames', () => {
  test('Excel-safe, unique regardless of case, never splitting a character', () => {
    const s = new SheetNames();
    assert.equal(s.take('Summary'), 'Summary');
    assert.equal(s.take('summary'), 'summary (2)');
    assert.equal(s.take('a/b\\c?d*e[f]g:h'), 'a b c d e f g h');
    assert.equal(s.take(''), 'Sheet');
    assert.equal(s.take("''"), 'Sheet (2)');
    assert.equal(s.take('history'), 'history sheet');
    assert.equal(s.take(`${'x'.repeat(30)}😀`), 'x'.repeat(30), 'a surrogate pair is not split at 31');
    assert.equal(s.take(`${'y'.repeat(30)}'z`), 'y'.repeat(30), 'no apostrophe at the end after cutting');
    assert.equal(s.take("it's"), "it's", 'an apostrophe inside is fine');
  });
});
