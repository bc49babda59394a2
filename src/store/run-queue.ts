import { dbClockMs, type SqlSession } from './sql.ts';

export type QueueStatus = 'queued' | 'running' | 'done' | 'failed';

/** A run handed to workers: where it waits, how it went, and how often it may be tried. */
export interface QueuedRun {
  key: string;
  queue: string;
  status: QueueStatus;
  /** The job file (JSON) the run was queued with: a worker runs its remaining steps from it. */
  job: string;
  /** Attempts started so far (a retry after a failure or a dead worker is another attempt). */
  attempts: number;
  maxAttempts: number;
  /** The wait before the first retry; it doubles with each further one. */
  backoffMs: number;
  enqueued: string;
  started: string | null;
  finished: string | null;
  /** The worker running it (or that ran it last). */
  worker: string | null;
  /** The queue library's job id of the attempt in flight. */
  jobId: string | null;
  error: string | null;
}

interface Row {
  key: string; queue: string; status: QueueStatus; job: string; attempts: number; max_attempts: number; backoff_ms: number;
  enqueued: string; started: string | null; finished: string | null; worker: string | null; job_id: string | null; error: string | null;
}

const toQueued = (r: Row): QueuedRun => ({
  key: r.key, queue: r.queue, status: r.status, job: r.job, attempts: Number(r.attempts), maxAttempts: Number(r.max_attempts),
  backoffMs: Number(r.backoff_ms), enqueued: r.enqueued, started: r.started, finished: r.finished, worker: r.worker, jobId: r.job_id, error: r.error,
});

/**
 * The queued runs' bookkeeping. The queue library only delivers "run this key" messages; which
 * attempt a run is on, who runs it and how it ended is kept here, beside the runs, so a message
 * delivered twice (a dead worker's job unlocked later) is recognised and dropped.
 */
export class RunQueue {
  constructor(private readonly db: SqlSession) {}

  async add(q: { key: string; queue: string; job: string; maxAttempts: number; backoffMs: number; enqueued: string }): Promise<void> {
    await this.db.run(`INSERT INTO run_queue (key, queue, status, job, attempts, max_attempts, backoff_ms, enqueued)
      VALUES (?, ?, 'queued', ?, 0, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET queue = excluded.queue, status = 'queued', job = excluded.job, attempts = 0,
        max_attempts = excluded.max_attempts, backoff_ms = excluded.backoff_ms, enqueued = excluded.enqueued,
        started = NULL, finished = NULL, error = NULL, job_id = NULL`,
    [q.key, q.queue, q.job, q.maxAttempts, q.backoffMs, q.enqueued]);
  }

  async get(key: string): Promise<QueuedRun | undefined> {
    const r = await this.db.get<Row>('SELECT * FROM run_queue WHERE key = ?', [key]);
    return r && toQueued(r);
  }

  /** Several runs' queue rows at once (for lists), by key. */
  async many(keys: readonly string[]): Promise<Map<string, QueuedRun>> {
    if (keys.length === 0) return new Map();
    const rows = await this.db.all<Row>(`SELECT * FROM run_queue WHERE key IN (${keys.map(() => '?').join(', ')})`, keys);
    return new Map(rows.map((r) => [r.key, toQueued(r)]));
  }

  /**
   * Takes a queued run for one attempt: only one worker's claim succeeds, and a stale delivery
   * (the run is not queued any more) gets undefined.
   */
  async claim(key: string, worker: string, jobId: string, t: string): Promise<QueuedRun | undefined> {
    const r = await this.db.get<Row>(`UPDATE run_queue SET status = 'running', attempts = attempts + 1, worker = ?, job_id = ?, started = ?, finished = NULL
      WHERE key = ? AND status = 'queued' RETURNING *`, [worker, jobId, t, key]);
    return r && toQueued(r);
  }

  /** Ends an attempt: done, failed for good, or back to queued (a retry, or handed back by a stopping worker). */
  async settle(key: string, worker: string, to: QueueStatus, t: string, error: string | null, opts: { uncount?: boolean } = {}): Promise<boolean> {
    const finished = to === 'done' || to === 'failed' ? t : null;
    const uncount = opts.uncount ? ', attempts = attempts - 1' : '';
    return (await this.db.run(`UPDATE run_queue SET status = ?, finished = ?, error = ?${uncount} WHERE key = ? AND status = 'running' AND worker = ?`,
      [to, finished, error, key, worker])) > 0;
  }

  /** A run that could not be handed to the queue at all. */
  async failQueued(key: string, t: string, error: string): Promise<void> {
    await this.db.run(`UPDATE run_queue SET status = 'failed', finished = ?, error = ? WHERE key = ? AND status = 'queued'`, [t, error, key]);
  }

  /** Runs being run by any of these (dead) workers. */
  async runningBy(workers: readonly string[]): Promise<QueuedRun[]> {
    if (workers.length === 0) return [];
    const rows = await this.db.all<Row>(`SELECT * FROM run_queue WHERE status = 'running' AND worker IN (${workers.map(() => '?').join(', ')})`, workers);
    return rows.map(toQueued);
  }

  async counts(): Promise<Record<QueueStatus, number>> {
    const rows = await this.db.all<{ status: QueueStatus; n: number }>('SELECT status, CAST(COUNT(*) AS INTEGER) AS n FROM run_queue GROUP BY status');
    const out: Record<QueueStatus, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }
}

export interface WorkerRow {
  id: string;
  name: string;
  queues: string;
  started: string;
  /** Last heartbeat, by the database's clock (ms since the epoch). */
  seenMs: number;
  stopped: string | null;
}

/** The workers: each registers itself and beats; one not seen for a lease's time is dead. */
export class Workers {
  constructor(private readonly db: SqlSession) {}

  private get dbNow(): string {
    return dbClockMs(this.db.dialect);
  }

  async register(id: string, name: string, queues: readonly string[], t: string): Promise<void> {
    await this.db.run(`INSERT INTO workers (id, name, queues, started, seen_ms, stopped) VALUES (?, ?, ?, ?, ${this.dbNow}, NULL)`, [id, name, queues.join(','), t]);
  }

  async beat(id: string): Promise<void> {
    await this.db.run(`UPDATE workers SET seen_ms = ${this.dbNow} WHERE id = ?`, [id]);
  }

  async stopped(id: string, t: string): Promise<void> {
    await this.db.run('UPDATE workers SET stopped = ? WHERE id = ?', [t, id]);
  }

  /** Workers not stopped cleanly and not seen for `afterMs`: taken for dead. */
  async dead(afterMs: number): Promise<WorkerRow[]> {
    const rows = await this.db.all<{ id: string; name: string; queues: string; started: string; seen_ms: number | string; stopped: string | null }>(
      `SELECT * FROM workers WHERE stopped IS NULL AND seen_ms < ${this.dbNow} - ?`, [Math.round(afterMs)]);
    return rows.map((r) => ({ id: r.id, name: r.name, queues: r.queues, started: r.started, seenMs: Number(r.seen_ms), stopped: r.stopped }));
  }

  /** Marks a dead worker as gone, so it is dealt with once. */
  async buried(id: string, t: string): Promise<boolean> {
    return (await this.db.run('UPDATE workers SET stopped = ? WHERE id = ? AND stopped IS NULL', [`dead ${t}`, id])) > 0;
  }

  async all(): Promise<WorkerRow[]> {
    const rows = await this.db.all<{ id: string; name: string; queues: string; started: string; seen_ms: number | string; stopped: string | null }>('SELECT * FROM workers ORDER BY started DESC');
    return rows.map((r) => ({ id: r.id, name: r.name, queues: r.queues, started: r.started, seenMs: Number(r.seen_ms), stopped: r.stopped }));
  }
}
