import type { SqlSession } from './sql.ts';

/** What to do with firings missed while no Railbook process was up to fire them. */
export type MissedPolicy = 'run-once' | 'skip';

export interface Schedule {
  name: string;
  /** The job file (JSON) each firing runs, with the folder its relative paths are read from. */
  job: string;
  workflow: string;
  cron: string;
  /** IANA time zone the cron expression is read in; null: the server's own. */
  tz: string | null;
  missed: MissedPolicy;
  /** PostgreSQL: the queue each firing's run goes to (null: the default queue). */
  queue: string | null;
  /** When it was paused, or null. */
  paused: string | null;
  created: string;
  /** The newest fire time dealt with (fired or skipped), ISO. */
  lastFire: string | null;
}

export type FiringStatus = 'firing' | 'fired' | 'skipped' | 'failed';

export interface Firing {
  schedule: string;
  fireAt: string;
  status: FiringStatus;
  run: string | null;
  at: string;
  error: string | null;
}

interface ScheduleRow { name: string; job: string; workflow: string; cron: string; tz: string | null; missed: string; queue: string | null; paused: string | null; created: string; last_fire: string | null }
interface FiringRow { schedule: string; fire_at: string; status: FiringStatus; run: string | null; at: string; error: string | null }

const toSchedule = (r: ScheduleRow): Schedule => ({
  name: r.name, job: r.job, workflow: r.workflow, cron: r.cron, tz: r.tz, missed: r.missed === 'skip' ? 'skip' : 'run-once',
  queue: r.queue, paused: r.paused, created: r.created, lastFire: r.last_fire,
});
const toFiring = (r: FiringRow): Firing => ({ schedule: r.schedule, fireAt: r.fire_at, status: r.status, run: r.run, at: r.at, error: r.error });

/** Schedules and their firings. */
export class Schedules {
  constructor(private readonly db: SqlSession) {}

  /** Adds a schedule; false if the name is taken. */
  async add(s: Omit<Schedule, 'paused' | 'lastFire'>): Promise<boolean> {
    // Firing starts from now: a new schedule does not make up for times before it existed.
    return (await this.db.run(`INSERT INTO schedules (name, job, workflow, cron, tz, missed, queue, paused, created, last_fire)
      VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?) ON CONFLICT (name) DO NOTHING`,
    [s.name, s.job, s.workflow, s.cron, s.tz, s.missed, s.queue, s.created, s.created])) > 0;
  }

  async get(name: string): Promise<Schedule | undefined> {
    const r = await this.db.get<ScheduleRow>('SELECT * FROM schedules WHERE name = ?', [name]);
    return r && toSchedule(r);
  }

  async list(): Promise<Schedule[]> {
    return (await this.db.all<ScheduleRow>('SELECT * FROM schedules ORDER BY name')).map(toSchedule);
  }

  /** Pauses or resumes; a resumed schedule fires from now on (what fell in the pause is not made up). False if unchanged. */
  async setPaused(name: string, paused: boolean, t: string): Promise<boolean> {
    if (paused) return (await this.db.run('UPDATE schedules SET paused = ? WHERE name = ? AND paused IS NULL', [t, name])) > 0;
    return (await this.db.run('UPDATE schedules SET paused = NULL, last_fire = ? WHERE name = ? AND paused IS NOT NULL', [t, name])) > 0;
  }

  /** Removes the schedule and its firing records (the runs it made stay). */
  async remove(name: string): Promise<boolean> {
    await this.db.run('DELETE FROM schedule_firings WHERE schedule = ?', [name]);
    return (await this.db.run('DELETE FROM schedules WHERE name = ?', [name])) > 0;
  }

  /** Moves the schedule's mark forward to `fireAt` (never back: several servers move it). */
  async advance(name: string, fireAt: string): Promise<void> {
    await this.db.run('UPDATE schedules SET last_fire = ? WHERE name = ? AND (last_fire IS NULL OR last_fire < ?)', [fireAt, name, fireAt]);
  }

  /**
   * Claims one firing: true for exactly one caller per (schedule, fire time), whichever process
   * it is in — the primary key decides, not who woke first.
   */
  async claim(name: string, fireAt: string, status: 'firing' | 'skipped', t: string): Promise<boolean> {
    return (await this.db.run(`INSERT INTO schedule_firings (schedule, fire_at, status, run, at, error) VALUES (?, ?, ?, NULL, ?, NULL)
      ON CONFLICT (schedule, fire_at) DO NOTHING`, [name, fireAt, status, t])) > 0;
  }

  async settle(name: string, fireAt: string, status: 'fired' | 'failed', run: string | null, error: string | null): Promise<void> {
    await this.db.run('UPDATE schedule_firings SET status = ?, run = ?, error = ? WHERE schedule = ? AND fire_at = ?', [status, run, error, name, fireAt]);
  }

  /** A schedule's newest firings, newest first. */
  async firings(name: string, limit = 10): Promise<Firing[]> {
    return (await this.db.all<FiringRow>('SELECT * FROM schedule_firings WHERE schedule = ? ORDER BY fire_at DESC LIMIT ?', [name, limit])).map(toFiring);
  }
}
