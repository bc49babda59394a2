import type { Child } from 'hono/jsx';

/** One bar: its label and its value. */
export interface BarDatum {
  label: string;
  value: number;
}

/** A bar's colour class (tables.css): the theme's primary colour when none is given. */
export type BarTone = 'good' | 'warn' | 'bad' | 'muted';

export interface BarChartOptions {
  /** What the chart shows: its caption and its accessible name. */
  title: string;
  /** What is counted ("pages"): named in the table of values that screen readers read. */
  unit?: string;
  /** Bars shown at most (default 50); the rest are counted in a note. */
  maxBars?: number;
  /** 'given' (default: the data's own order) or 'value' (largest first). */
  sort?: 'given' | 'value';
  /** Labels longer than this are cut with "…" (default 28); the full label is the bar's tooltip. */
  labelChars?: number;
  /** A colour class per bar, e.g. statusCodeTone for HTTP status codes. */
  tone?: (label: string, value: number) => BarTone | undefined;
}

export const BAR_CHART_DEFAULT_MAX_BARS = 50;

// The SVG's own coordinate system; CSS scales it to the card's width (height follows).
const WIDTH = 640;
/** The label column: as wide as the longest label needs (about 7.5 units a character at 13px), within these. */
const LABEL_MIN = 24;
const LABEL_MAX = 200;
const CHAR_W = 7.5;
const VALUE_W = 80;
const GAP = 8;
const ROW_H = 24;
const BAR_H = 16;
const PAD = 4;
/** Longer labels are cut even in the tooltip and the table of values. */
const MAX_LABEL_CHARS = 500;

/** 2xx good, 3xx a warning, 4xx, 5xx and "0" (no response) bad: for the crawl's status codes. */
export function statusCodeTone(label: string): BarTone | undefined {
  const c = label.trim()[0];
  if (c === '2') return 'good';
  if (c === '3') return 'warn';
  if (c === '4' || c === '5' || label.trim() === '0') return 'bad';
  return undefined;
}

const grouped = new Intl.NumberFormat('en');
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

/** Short enough to fit beside its bar: 12,345 · 1.2M · 3.4e+21. */
export function formatBarValue(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a < 1e6) return grouped.format(n);
  if (a < 1e15) return compact.format(n);
  return n.toExponential(1);
}

function cut(s: string, max: number): string {
  // Array.from counts code points: an emoji is never split in half. A code point is at most two
  // UTF-16 units, so the first 2(max+1) units hold enough of a long string to know it is too long.
  const chars = Array.from(s.length > 2 * (max + 1) ? s.slice(0, 2 * (max + 1)) : s);
  return chars.length > max ? `${chars.slice(0, Math.max(1, max - 1)).join('')}…` : s;
}

function toData(data: readonly BarDatum[] | Readonly<Record<string, number>>): BarDatum[] {
  const list = Array.isArray(data)
    ? (data as readonly BarDatum[])
    : Object.entries(data as Readonly<Record<string, number>>).map(([label, value]) => ({ label, value }));
  // A label is data from outside (a crawled URL, say): one huge label must not bloat the page.
  return list.map((d) => ({ label: cut(String(d.label), MAX_LABEL_CHARS), value: typeof d.value === 'number' ? d.value : Number(d.value) }));
}

/**
 * A horizontal bar chart as inline SVG, drawn on the server: no script, colours from CSS classes
 * (the CSP allows no style attributes) that follow Pico's light and dark themes. Screen readers get
 * the chart's name and a visually hidden table of every value shown.
 */
export function barChart(data: readonly BarDatum[] | Readonly<Record<string, number>>, opts: BarChartOptions): Child {
  const all = toData(data);
  if (all.length === 0) return <p class="chart-empty">No data for {opts.title}.</p>;
  if (opts.sort === 'value') all.sort((a, b) => (Number.isFinite(b.value) ? b.value : -Infinity) - (Number.isFinite(a.value) ? a.value : -Infinity));
  const maxBars = Math.max(1, Math.floor(opts.maxBars ?? BAR_CHART_DEFAULT_MAX_BARS));
  const shown = all.slice(0, maxBars);
  const labelChars = Math.max(2, Math.floor(opts.labelChars ?? 28));
  // Negative, NaN and infinite values draw no bar; their value is still written beside it.
  const drawable = (v: number) => (Number.isFinite(v) && v > 0 ? v : 0);
  const top = shown.reduce((m, d) => Math.max(m, drawable(d.value)), 0);
  const labels = shown.map((d) => cut(d.label, labelChars));
  const labelW = Math.min(LABEL_MAX, Math.max(LABEL_MIN, Math.ceil(Math.max(...labels.map((l) => Array.from(l).length)) * CHAR_W)));
  const barX = labelW + GAP;
  const span = WIDTH - barX - VALUE_W;
  const height = shown.length * ROW_H + PAD * 2;
  const largest = top > 0 ? shown.find((d) => drawable(d.value) === top) : undefined;
  const unit = opts.unit ? ` ${opts.unit}` : '';
  const summary = `${opts.title}: ${shown.length} bar${shown.length === 1 ? '' : 's'}${largest ? `, largest ${cut(largest.label, labelChars)} with ${formatBarValue(largest.value)}${unit}` : ''}.`;
  return (
    <figure class="bar-chart">
      <figcaption>{opts.title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={summary} preserveAspectRatio="xMinYMin meet">
        <title>{summary}</title>
        {shown.map((d, i) => {
          const y = PAD + i * ROW_H;
          const mid = y + ROW_H / 2;
          const v = drawable(d.value);
          // The smallest non-zero value still shows a sliver.
          const w = top > 0 && v > 0 ? Math.max(1, (v / top) * span) : 0;
          const tone = opts.tone?.(d.label, d.value);
          return (
            <g class="bar-row">
              <title>{`${d.label}: ${Number.isFinite(d.value) ? grouped.format(d.value) : String(d.value)}${unit}`}</title>
              <text class="bar-label" x={labelW} y={mid} text-anchor="end" dominant-baseline="central">{labels[i]}</text>
              <rect class={tone ? `bar bar-${tone}` : 'bar'} x={barX} y={mid - BAR_H / 2} width={round(w)} height={BAR_H} rx={2} />
              <text class="bar-value" x={round(barX + w + 6)} y={mid} dominant-baseline="central">{formatBarValue(d.value)}</text>
            </g>
          );
        })}
      </svg>
      <table class="visually-hidden">
        <caption>{opts.title}</caption>
        <thead><tr><th scope="col">Label</th><th scope="col">{opts.unit ?? 'Value'}</th></tr></thead>
        <tbody>
          {shown.map((d) => <tr><th scope="row">{d.label}</th><td>{Number.isFinite(d.value) ? grouped.format(d.value) : String(d.value)}</td></tr>)}
        </tbody>
      </table>
      {shown.length < all.length ? <p class="chart-note"><small>Showing {shown.length} of {all.length} bars.</small></p> : null}
    </figure>
  );
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
