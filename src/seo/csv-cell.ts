/**
 * One CSV cell (RFC 4180), for every CSV the SEO workflows write: quoted when it holds a comma,
 * quote or line break. Text starting with =, +, -, @ (or a tab or CR) gets an apostrophe, so a
 * spreadsheet does not run a crawled title as a formula; numbers stay numbers (-3 is not defused).
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const t = String(v);
  const s = /^[=+\-@\t\r]/.test(t) ? `'${t}` : t;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
