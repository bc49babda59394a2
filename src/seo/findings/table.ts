/** Building finding tables: rows are collected in full, then cut to the cap with a count. */
import type { FindingTable, Row, Severity } from './types.ts';

export function table(id: string, title: string, severity: Severity, columns: string[], rows: Row[], maxRows: number): FindingTable {
  const kept = rows.length > maxRows ? rows.slice(0, Math.max(0, maxRows)) : rows;
  return { id, title, severity, columns, rows: kept, total: rows.length, more: rows.length - kept.length };
}

/** Adds one to a counter in a plain (JSON) object. */
export function bump(counts: Record<string, number>, key: string | number): void {
  const k = String(key);
  counts[k] = (counts[k] ?? 0) + 1;
}

/** Groups items by a key, keeping first-seen order; empty keys are skipped. */
export function groupBy<T>(items: Iterable<T>, key: (t: T) => string | undefined): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    if (k === undefined || k === '') continue;
    const list = out.get(k);
    if (list) list.push(t);
    else out.set(k, [t]);
  }
  return out;
}
