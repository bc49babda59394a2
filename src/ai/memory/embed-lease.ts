/**
 * One re-embed job per memory file, across processes (the web server and `railbook memory
 * reembed` may both try): a single lease row, taken under SQLite's write lock (BEGIN
 * IMMEDIATE). A lease is free when it has expired, or when its holder was a process on this
 * machine that is gone (killed with -9, say) — so a restart takes over at once instead of
 * waiting out the expiry. The holder renews it as it works.
 */
import { hostname } from 'node:os';
import type { MemoryConnection } from './memory-db.ts';

export interface LeaseHolder {
  owner: string;
  host: string;
  pid: number;
  expiresAt: number;
}

export type Claim = { ok: true } | { ok: false; holder: LeaseHolder };

export const DEFAULT_LEASE_MS = 60_000;

type Row = { owner: string; host: string; pid: number; expires_at: number };

export function claimLease(db: MemoryConnection, owner: string, ttlMs = DEFAULT_LEASE_MS, now = Date.now()): Claim {
  const tx = db.transaction((): Claim => {
    const row = db.prepare('SELECT owner, host, pid, expires_at FROM embed_lease WHERE id = 1').get() as Row | undefined;
    if (row && row.owner !== owner && row.expires_at > now && !(row.host === hostname() && !pidAlive(row.pid))) {
      return { ok: false, holder: { owner: row.owner, host: row.host, pid: row.pid, expiresAt: row.expires_at } };
    }
    db.prepare(
      `INSERT INTO embed_lease (id, owner, host, pid, expires_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid, expires_at = excluded.expires_at`,
    ).run(owner, hostname(), process.pid, now + ttlMs);
    return { ok: true };
  });
  return tx.immediate();
}

/** False when the lease is no longer ours (it expired and someone took it). */
export function renewLease(db: MemoryConnection, owner: string, ttlMs = DEFAULT_LEASE_MS, now = Date.now()): boolean {
  return db.prepare('UPDATE embed_lease SET expires_at = ? WHERE id = 1 AND owner = ?').run(now + ttlMs, owner).changes === 1;
}

export function releaseLease(db: MemoryConnection, owner: string): void {
  db.prepare('DELETE FROM embed_lease WHERE id = 1 AND owner = ?').run(owner);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
