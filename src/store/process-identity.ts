import { readFileSync } from 'node:fs';

/**
 * Who a process is, beyond its pid: on Linux, the boot id and the process's start time (in clock
 * ticks since boot), which together never repeat. A pid alone is reused — after a reboot a dead
 * Railbook's pid may belong to any program, and a step would look "running" forever.
 * Undefined where /proc is not available (macOS, Windows): callers fall back to the pid.
 */
export function processIdentity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTime = fields[19]; // field 22 of proc(5), "starttime"
    if (!startTime) return undefined;
    return `${bootId()}:${startTime}`;
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined;
function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = '';
    }
  }
  return cachedBootId;
}

/**
 * The process's state letter from /proc (R, S, D, Z, …), or undefined where /proc is not
 * available. A zombie (Z) or dead (X) process has exited: only its parent has not reaped it yet,
 * as happens to a killed CLI in a container without an init process.
 */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ', 1)[0] || undefined;
  } catch {
    return undefined;
  }
}
