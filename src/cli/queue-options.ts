import { CliError } from './exit-codes.ts';

/** A positive number of seconds from a flag (or the environment), in ms; undefined when not given. */
export function secondsFrom(flag: string, text: string | undefined, opts: { min?: number } = {}): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  const min = opts.min ?? 0;
  if (!Number.isFinite(n) || n <= min) throw new CliError(`${flag} must be a number of seconds greater than ${min}, not "${text}"`);
  return Math.round(n * 1000);
}

/** A whole number from 1 up, from a flag; undefined when not given. */
export function countFrom(flag: string, text: string | undefined, max = 1000): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CliError(`${flag} must be a whole number from 1 to ${max}, not "${text}"`);
  return n;
}

/**
 * `--lease` / RAILBOOK_LEASE: how long (seconds) a process executing a step on PostgreSQL may go
 * without a heartbeat before others take it for dead. Short leases notice a dead worker sooner
 * and cost a heartbeat query every third of the lease.
 */
export function leaseFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  return secondsFrom(flag !== undefined ? '--lease' : 'RAILBOOK_LEASE', flag ?? env.RAILBOOK_LEASE, { min: 0.3 });
}
