import type { Statement } from 'better-sqlite3';
import { statementCache } from './statements.ts';
import type { Db } from './database.ts';

export interface Execution {
  run: string;
  step: string;
  pid: number;
  owner: string;
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

  constructor(private readonly db: Db) {
    this.sql = statementCache(db);
  }

  claim(run: string, step: string, owner: string, started: string): void {
    this.sql('INSERT OR REPLACE INTO executions (run, step, pid, owner, started, progress) VALUES (?, ?, ?, ?, ?, NULL)')
      .run(run, step, process.pid, owner, started);
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

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else — still alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
