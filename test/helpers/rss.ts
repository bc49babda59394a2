// Memory of a process as Linux reports it: VmRSS (resident now) and VmHWM (the resident peak
// since it started), from /proc/<pid>/status. Tests assert generous bounds on growth, never times.
import { readFileSync } from 'node:fs';

export interface Memory {
  /** Resident set size now, in bytes. */
  rss: number;
  /** Highest resident set size so far, in bytes. */
  peak: number;
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

export const MiB = 1024 * 1024;
