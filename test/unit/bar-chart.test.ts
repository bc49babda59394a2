// barChart (src/widgets/bar-chart.tsx): server-drawn SVG bars, no script, no style attributes,
// an accessible name and a hidden table of values; edge cases from none to many bars.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDocument } from 'htmlparser2';
import { selectAll as cssAll, selectOne as cssOne } from 'css-select';
import type { Document, Element } from 'domhandler';
import { textContent } from 'domutils';
import { BAR_CHART_DEFAULT_MAX_BARS, barChart, formatBarValue, statusCodeTone } from '../../src/widgets/bar-chart.tsx';

async function html(node: unknown): Promise<string> {
  return String(await (node as { toString(): unknown }).toString());
}

async function parse(node: unknown) {
  const out = await html(node);
  return { out, doc: parseDocument(out, { lowerCaseAttributeNames: false }) };
}

const selectOne = (q: string, d: Document | Element): Element | null => cssOne(q, d) as Element | null;
const selectAll = (q: string, d: Document | Element): Element[] => cssAll(q, d) as Element[];
const num = (el: Element | null, attr: string): number => Number(el?.attribs[attr]);

describe('barChart', () => {
  test('bars scale to the largest value, with labels, values and an accessible name', async () => {
    const { out, doc } = await parse(barChart({ '200': 120, '301': 30, '404': 3, '500': 0 }, { title: 'Status codes', unit: 'pages', tone: statusCodeTone }));
    const svg = selectOne('svg', doc)!;
    assert.equal(svg.attribs.role, 'img');
    assert.equal(svg.attribs['aria-label'], 'Status codes: 4 bars, largest 200 with 120 pages.');
    assert.equal(textContent(selectOne('figcaption', doc)!), 'Status codes');
    const bars = selectAll('rect', doc);
    assert.equal(bars.length, 4);
    const widths = bars.map((b) => num(b, 'width'));
    assert.ok(widths[0]! > widths[1]! && widths[1]! > widths[2]! && widths[2]! > 0, `descending widths: ${widths}`);
    assert.equal(widths[3], 0, 'a zero draws no bar');
    assert.ok(Math.abs(widths[1]! / widths[0]! - 0.25) < 0.01, 'widths are proportional');
    assert.deepEqual(bars.map((b) => b.attribs.class), ['bar bar-good', 'bar bar-warn', 'bar bar-bad', 'bar bar-bad']);
    assert.deepEqual(selectAll('.bar-label', doc).map((t) => textContent(t)), ['200', '301', '404', '500']);
    assert.deepEqual(selectAll('.bar-value', doc).map((t) => textContent(t)), ['120', '30', '3', '0']);
    // The hidden table screen readers read.
    const cells = selectAll('table.visually-hidden tbody tr', doc).map((tr) => selectAll('th, td', tr).map((c) => textContent(c)));
    assert.deepEqual(cells, [['200', '120'], ['301', '30'], ['404', '3'], ['500', '0']]);
    assert.equal(textContent(selectOne('table.visually-hidden thead th:last-child', doc)!), 'pages');
    // The CSP allows no inline styles or scripts.
    assert.doesNotMatch(out, /style=|<script|on[a-z]+=/i);
  });

  test('no rows is a short note, not an empty chart', async () => {
    const out = await html(barChart({}, { title: 'Depths' }));
    assert.equal(out, '<p class="chart-empty">No data for Depths.</p>');
    assert.equal(await html(barChart([], { title: 'Depths' })), out);
  });

  test('one row fills the width; a list of {label, value} works like a record', async () => {
    const { doc } = await parse(barChart([{ label: 'only', value: 7 }], { title: 'One' }));
    const rect = selectOne('rect', doc)!;
    assert.equal(rect.attribs.class, 'bar');
    const [, , w] = selectOne('svg', doc)!.attribs.viewBox!.split(' ').map(Number);
    assert.ok(num(rect, 'x') + num(rect, 'width') < w!, 'the bar leaves room for its value');
    assert.ok(num(rect, 'width') > w! / 2);
    assert.equal(selectOne('svg', doc)!.attribs['aria-label'], 'One: 1 bar, largest only with 7.');
  });

  test('huge values are written short, their exact value in the tooltip and the table', async () => {
    const { doc } = await parse(barChart({ a: 1e21, b: 5e20, c: 2_500_000, d: 12_345 }, { title: 'Big' }));
    assert.deepEqual(selectAll('.bar-value', doc).map((t) => textContent(t)), ['1.0e+21', '5.0e+20', '2.5M', '12,345']);
    assert.equal(textContent(selectOne('g.bar-row title', doc)!), 'a: 1,000,000,000,000,000,000,000');
    const widths = selectAll('rect', doc).map((b) => num(b, 'width'));
    assert.ok(widths.every((x) => Number.isFinite(x)));
    assert.ok(widths[3]! >= 1, 'a tiny share still shows a sliver');
    assert.equal(formatBarValue(999_999), '999,999');
    assert.equal(formatBarValue(-3), '-3');
  });

  test('long labels are cut with …, the whole label kept in the tooltip; markup in labels is text', async () => {
    const long = `https://example.com/${'very-long-segment/'.repeat(10)}<script>alert(1)</script>`;
    const { out, doc } = await parse(barChart([{ label: long, value: 1 }, { label: '😀'.repeat(40), value: 2 }], { title: 'Long', labelChars: 20 }));
    const labels = selectAll('.bar-label', doc).map((t) => textContent(t));
    assert.equal(labels[0], `${long.slice(0, 19)}…`);
    assert.equal(labels[1], `${'😀'.repeat(19)}…`, 'cut between characters, not inside an emoji');
    assert.equal(textContent(selectOne('g.bar-row title', doc)!), `${long}: 1`);
    assert.doesNotMatch(out, /<script>/);
    assert.match(out, /&lt;script&gt;/);
  });

  test('up to 50 bars by default; more are counted in a note; sort by value on request', async () => {
    const data = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`d${i}`, i]));
    const { doc } = await parse(barChart(data, { title: 'Many' }));
    assert.equal(selectAll('rect', doc).length, BAR_CHART_DEFAULT_MAX_BARS);
    assert.equal(textContent(selectOne('.chart-note', doc)!), 'Showing 50 of 80 bars.');
    const [, , , h] = selectOne('svg', doc)!.attribs.viewBox!.split(' ').map(Number);
    const lastY = Math.max(...selectAll('rect', doc).map((r) => num(r, 'y') + num(r, 'height')));
    assert.ok(lastY <= h!, 'every bar is inside the picture');
    const sorted = await parse(barChart(data, { title: 'Top', sort: 'value', maxBars: 3 }));
    assert.deepEqual(selectAll('.bar-label', sorted.doc).map((t) => textContent(t)), ['d79', 'd78', 'd77']);
  });

  test('negative, NaN and infinite values draw no bar but are still shown', async () => {
    const { doc } = await parse(barChart([{ label: 'neg', value: -5 }, { label: 'nan', value: Number.NaN }, { label: 'inf', value: Infinity }, { label: 'ok', value: 2 }], { title: 'Odd' }));
    assert.deepEqual(selectAll('rect', doc).map((b) => num(b, 'width')), [0, 0, 0, num(selectAll('rect', doc)[3]!, 'width')]);
    assert.ok(num(selectAll('rect', doc)[3]!, 'width') > 0);
    assert.deepEqual(selectAll('.bar-value', doc).map((t) => textContent(t)), ['-5', 'NaN', 'Infinity', '2']);
    const allZero = await parse(barChart({ a: 0 }, { title: 'Zero' }));
    assert.equal(selectOne('svg', allZero.doc)!.attribs['aria-label'], 'Zero: 1 bar.');
  });

  test('status code tones', () => {
    assert.equal(statusCodeTone('200'), 'good');
    assert.equal(statusCodeTone('308'), 'warn');
    assert.equal(statusCodeTone('404'), 'bad');
    assert.equal(statusCodeTone('503'), 'bad');
    assert.equal(statusCodeTone('0'), 'bad');
    assert.equal(statusCodeTone('1xx'), undefined);
  });
});
