import type { Child } from 'hono/jsx';
import { isPlainObject, toCellText } from './format.ts';

export interface TableOptions {
  /** Which columns, in which order (default: every key, in order of first appearance). */
  columns?: readonly string[];
  caption?: string;
  /** Rows shown at most (default 200); the rest are counted, not rendered. */
  maxRows?: number;
  /**
   * Column headers sort the shown rows (tables.js makes each header a button). Off by default, so
   * the markup of existing tables stays as it was.
   */
  sortable?: boolean;
  /** A filter box above the table narrows the shown rows by text, with a live "N of M rows" count. */
  filterable?: boolean;
}

export const TABLE_DEFAULT_MAX_ROWS = 200;
/** A cell longer than this is cut: one huge value must not make the page unusable. */
export const TABLE_MAX_CELL_CHARS = 1000;

function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

function cell(v: unknown): string {
  const s = toCellText(v);
  return s.length > TABLE_MAX_CELL_CHARS ? `${s.slice(0, TABLE_MAX_CELL_CHARS)}…` : s;
}

/** Rows of records as a table, scrolling sideways inside its own box when wide. */
export function tableView(rows: readonly Record<string, unknown>[], opts: TableOptions = {}): Child {
  if (rows.length === 0) return <p class="table-empty">No rows{opts.caption ? ` in ${opts.caption}` : ''}.</p>;
  const max = Math.max(0, Math.floor(opts.maxRows ?? TABLE_DEFAULT_MAX_ROWS));
  // Output read back from JSON may hold anything; a stray non-object row still shows.
  const shown = rows.slice(0, max).map((r) => (isPlainObject(r) ? r : { value: r as unknown }));
  const cols = opts.columns ? [...opts.columns] : columnsOf(shown);
  const label = opts.caption ?? 'Table';
  const note = shown.length < rows.length ? (
    <p class="table-note"><small>Showing {shown.length} of {rows.length} rows{opts.sortable || opts.filterable ? '; sorting and filtering apply to these' : ''}.</small></p>
  ) : null;
  const scroll = (
    // A focusable, labelled region: keyboard users can scroll a wide table too.
    <div class="table-scroll" role="region" aria-label={label} tabindex={0}>
      <table>
        {opts.caption ? <caption>{opts.caption}</caption> : null}
        <thead>
          <tr>{cols.map((c) => <th scope="col">{c}</th>)}</tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr>{cols.map((c) => <td>{cell(r[c])}</td>)}</tr>
          ))}
        </tbody>
      </table>
      {note}
    </div>
  );
  if (!opts.sortable && !opts.filterable) return scroll;
  // Plain HTML that reads fine without script; tables.js finds the wrapper by its data attributes
  // and adds the sort buttons and the filter box.
  return (
    <div class="data-table" data-sortable={opts.sortable ? 'true' : undefined} data-filterable={opts.filterable ? 'true' : undefined}>
      {scroll}
    </div>
  );
}
