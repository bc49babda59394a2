import { formatSpan } from '../../engine/duration.ts';

/** "2025-11-24 09:05:12" in the server's local time (the server is the person's own machine). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "3.2 s", "1 min 05 s": how long it took from one time to another ("" if either is missing). */
export function formatDuration(fromIso: string | null | undefined, toIso: string | null | undefined): string {
  if (!fromIso || !toIso) return '';
  return formatSpan(new Date(toIso).getTime() - new Date(fromIso).getTime());
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** True if `iso` falls on today's date (server local time). */
export function isToday(iso: string | null | undefined, now: Date = new Date()): boolean {
  if (!iso) return false;
  const d = new Date(iso);
  return !Number.isNaN(d.getTime()) && sameDay(d, now);
}

/**
 * A moment as a person scans it in a list: "09:05:12" today, "2025-11-21 09:05" on another day.
 * Views put the full `formatTime` in the element's title.
 */
export function formatWhen(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const full = formatTime(iso);
  return sameDay(d, now) ? full.slice(11) : full.slice(0, 16);
}

/** 1234567 → "1,234,567": long counts stay readable. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}

/** Engine and validation messages are clauses ('no run "x"'); shown on their own they read as a sentence. */
export function sentence(s: string): string {
  const t = s.trim();
  if (t === '') return t;
  return `${t[0]!.toUpperCase()}${t.slice(1)}${/[.!?…]$/.test(t) ? '' : '.'}`;
}
