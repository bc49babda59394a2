import type { Statement } from 'better-sqlite3';
import { statementCache } from './statements.ts';
import type { Db } from './database.ts';
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
}

/**
 * Which process is executing which step. A process that restarts after a crash marks steps
 * whose owner is gone as interrupted, and leaves alone those a live process (the CLI next to
 * the server) is still working on.
 */
export class Executions {
  private readonly sql: (text: string) => Statement;

  constructor(db: Db) {
    this.sql = statementCache(db);
  }

  claim(run: string, step: string, owner: string, started: string, id: string): void {
    this.sql('INSERT OR REPLACE INTO executions (run, step, id, pid, owner, proc, started, progress) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)')
      .run(run, step, id, process.pid, owner, ownIdentity(), started);
  }

  release(run: string, step: string): void {
    this.sql('DELETE FROM executions WHERE run = ? AND step = ?').run(run, step);
  }

  setProgress(run: string, step: string, progress: string): void {
    this.sql('UPDATE executions SET progress = ? WHERE run = ? AND step = ?').run(progress, run, step);
  }

  get(run: string, step: string): Execution | undefined {
    return this.sql('SELECT * FROM executions WHERE run = ? AND step = ?').get(run, step) as Execution | undefined;
  }

  all(): Execution[] {
    return this.sql('SELECT * FROM executions').all() as Execution[];
  }
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
