import { dbClockMs, type SqlSession } from './sql.ts';
import { processIdentity, processState } from './process-identity.ts';

export interface Execution {
  run: string;
  step: string;
  /** Unique per execution: a late result is recorded only by the execution that still owns the row. */
  id: string;
  pid: number;
  owner: string;
  /** The owner process's identity beyond its pid (see process-identity.ts), if known. */
  proc: string | null;
  started: string;
  progress: string | null;
  /** Who executes it, for people: host and pid, or a worker's name. */
  worker: string | null;
  /** With a lease (PostgreSQL): it ran out before the owner renewed it, so the owner is taken for dead. */
  expired: boolean;
}

/** How long a lease lasts without a heartbeat (the owner renews it every third of that). */
export const LEASE_MS = 30_000;

const COLUMNS = 'run, step, id, pid, owner, proc, started, progress, worker, lease_until';

/**
 * Which process is executing which step. A process that restarts after a crash marks steps whose
 * owner is gone as interrupted, and leaves alone those a live process is still working on.
 *
 * How "gone" is told differs by backend. On SQLite every process is on this machine: the owner's
 * pid and identity are checked directly. On PostgreSQL the owner may be a worker on another
 * machine: it holds a lease that it renews by heartbeat, and a lease that runs out (by the
 * database's clock, the one clock every machine shares) means the owner died.
 */
export class Executions {
  constructor(private readonly db: SqlSession) {}

  private get leases(): boolean {
    return this.db.dialect === 'postgres';
  }

  private get dbNow(): string {
    return dbClockMs(this.db.dialect);
  }

  async claim(run: string, step: string, owner: string, started: string, id: string, worker: string | null = null, leaseMs = LEASE_MS): Promise<void> {
    const lease = this.leases ? `${this.dbNow} + ${Math.round(leaseMs)}` : 'NULL';
    await this.db.run(`INSERT INTO executions (run, step, id, pid, owner, proc, started, progress, worker, lease_until)
      VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ${lease})
      ON CONFLICT (run, step) DO UPDATE SET id = excluded.id, pid = excluded.pid, owner = excluded.owner, proc = excluded.proc,
        started = excluded.started, progress = NULL, worker = excluded.worker, lease_until = excluded.lease_until`,
    [run, step, id, process.pid, owner, ownIdentity(), started, worker]);
  }

  /**
   * Renews the leases of every execution `owner` still holds, and says which those are: one
   * missing from the answer was taken over or released meanwhile (its lease had run out).
   */
  async heartbeat(owner: string, leaseMs = LEASE_MS): Promise<{ run: string; step: string }[]> {
    if (!this.leases) return [];
    return this.db.all<{ run: string; step: string }>(
      `UPDATE executions SET lease_until = ${this.dbNow} + ${Math.round(leaseMs)} WHERE owner = ? RETURNING run, step`, [owner]);
  }

  async release(run: string, step: string): Promise<void> {
    await this.db.run('DELETE FROM executions WHERE run = ? AND step = ?', [run, step]);
  }

  /**
   * Releases the row if it is still this execution's (`id`), in one statement: resolves with its
   * worker, or undefined when the row is gone or belongs to another execution (cancelled, reverted,
   * re-run or taken over meanwhile).
   */
  async releaseOwn(run: string, step: string, id: string): Promise<{ worker: string | null } | undefined> {
    return this.db.get<{ worker: string | null }>('DELETE FROM executions WHERE run = ? AND step = ? AND id = ? RETURNING worker', [run, step, id]);
  }

  async setProgress(run: string, step: string, progress: string): Promise<void> {
    await this.db.run('UPDATE executions SET progress = ? WHERE run = ? AND step = ?', [progress, run, step]);
  }

  async get(run: string, step: string): Promise<Execution | undefined> {
    const row = await this.db.get<Row>(`SELECT ${COLUMNS}, ${this.dbNow} AS db_now FROM executions WHERE run = ? AND step = ?`, [run, step]);
    return row && toExecution(row);
  }

  async all(): Promise<Execution[]> {
    return (await this.db.all<Row>(`SELECT ${COLUMNS}, ${this.dbNow} AS db_now FROM executions`)).map(toExecution);
  }

  /** Whether the owner of an execution is still alive: its lease holds (PostgreSQL), or its process lives (SQLite). */
  alive(ex: Execution): boolean {
    return this.leases ? !ex.expired : ownerAlive(ex);
  }
}

interface Row extends Omit<Execution, 'expired'> {
  lease_until: number | string | null;
  db_now: number | string;
}

function toExecution(r: Row): Execution {
  const { lease_until: until, db_now: dbNow, ...rest } = r;
  return { ...rest, pid: Number(rest.pid), expired: until !== null && Number(until) < Number(dbNow) };
}

/** Whether the process that claimed an execution is still alive: same pid *and* same identity where that is known. */
export function ownerAlive(ex: Pick<Execution, 'pid' | 'proc'>): boolean {
  if (!processAlive(ex.pid)) return false;
  if (!ex.proc) return true;
  const now = processIdentity(ex.pid);
  return now === undefined || now === ex.proc;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // Signal 0 reaches a zombie too: it has exited, its parent just has not reaped it.
    const state = processState(pid);
    return state !== 'Z' && state !== 'X';
  } catch (e) {
    // EPERM: it exists but belongs to someone else — still alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let own: string | null | undefined;
function ownIdentity(): string | null {
  if (own === undefined) own = processIdentity(process.pid) ?? null;
  return own;
}
