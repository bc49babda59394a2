import { isArtifactRef, type ArtifactRef } from '../store/artifact-ref.ts';

/** "12.3 kB": decimal units, as file managers on macOS and Linux show them. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '? bytes';
  if (n < 1000) return `${n} byte${n === 1 ? '' : 's'}`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** How an artifact is named to a person: "report.csv (12 kB)". */
export function describeArtifact(ref: ArtifactRef): string {
  return `${ref.name} (${formatBytes(ref.size)})`;
}

/** One line of text for any value (a table cell, a list item). Objects become compact JSON. */
export function toCellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid date' : v.toISOString();
  if (isArtifactRef(v)) return describeArtifact(v);
  return safeJson(v);
}

/** JSON.stringify that never throws (cycles, BigInt) — a view must not crash on odd output. */
export function safeJson(v: unknown, indent?: number): string {
  try {
    return JSON.stringify(v, null, indent) ?? String(v);
  } catch {
    // Only reached for cycles or BigInt: redo it marking repeats (a shared, non-cyclic object
    // is marked too, which is acceptable for a fallback view).
    const seen = new WeakSet<object>();
    try {
      return JSON.stringify(v, (_k, x: unknown) => {
        if (typeof x === 'bigint') return x.toString();
        if (typeof x === 'object' && x !== null) {
          if (seen.has(x)) return '[circular]';
          seen.add(x);
        }
        return x;
      }, indent) ?? String(v);
    } catch {
      return String(v);
    }
  }
}

/** A plain `{…}` object (not an array, Date, Map, class instance…). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
