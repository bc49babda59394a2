import type { Engine } from '../engine/engine.ts';
import type { Schedule } from '../store/schedules.ts';
import { firesBetween, lastFireBetween, nextFires } from './cron.ts';
import { fireSchedule } from './fire.ts';

/** A fire time older than this when the scheduler started was missed (nobody was up to fire it). */
const MISSED_AFTER_MS = 5_000;
/**
 * A fire time this far in the past is missed too, even with the scheduler running: the machine
 * slept, or the process was stopped (SIGSTOP) — it follows the schedule's policy, not a catch-up.
 */
const LATE_AFTER_MS = 60_000;
/** The longest the scheduler sleeps: schedules added or resumed elsewhere are seen within it. */
const MAX_SLEEP_MS = 1_000;
/** At most this many firings of one schedule are made in one look (a tight schedule after a stall). */
const MAX_FIRES_PER_LOOK = 100;

export interface SchedulerEvents {
  /** A firing made a run (or failed to). */
  onFire?(schedule: string, fireAt: string, result: { key?: string; error?: string }): void;
}

/**
 * Fires schedules while this process runs (`railbook serve`, `railbook worker`). Any number of
 * processes may run one on the same database: each firing is claimed by inserting its
 * (schedule, fire time) row, which exactly one of them manages (store/schedules.ts `claim`); the
 * others see the row and move on.
 *
 * Missed firings — fire times that passed while no process was up — follow the schedule's policy:
 * `run-once` fires once for the newest of them, `skip` records them skipped and waits for the next.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private looking: Promise<void> | undefined;
  private readonly startedAt = Date.now();

  constructor(private readonly engine: Engine, private readonly events: SchedulerEvents = {}) {}

  start(): void {
    this.schedule(0);
  }

  /** Stops firing; resolves once a look in progress is over. Runs already fired go on. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.looking;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.looking = this.look().catch((e: unknown) => {
        process.stderr.write(`railbook: scheduler: ${(e as Error).message}\n`);
      });
      void this.looking.then(() => this.schedule(this.sleepMs()));
    }, ms);
    this.timer.unref();
  }

  private nextWake = Infinity;

  private sleepMs(): number {
    const ms = this.nextWake - Date.now();
    this.nextWake = Infinity;
    // Wake just after the next fire time: the claim is made within milliseconds of it.
    return Math.max(20, Math.min(MAX_SLEEP_MS, Number.isFinite(ms) ? ms + 20 : MAX_SLEEP_MS));
  }

  /** One look at every schedule: fire what is due. */
  async look(): Promise<void> {
    const store = this.engine.store;
    const nowDate = new Date();
    for (const s of await store.schedules.list()) {
      if (this.stopped) return;
      if (s.paused) continue;
      try {
        await this.lookAt(s, nowDate);
      } catch (e) {
        process.stderr.write(`railbook: scheduler: schedule ${s.name}: ${(e as Error).message}\n`);
      }
    }
  }

  private async lookAt(s: Schedule, nowDate: Date): Promise<void> {
    const store = this.engine.store;
    const spec = { cron: s.cron, tz: s.tz };
    const mark = new Date(s.lastFire ?? s.created);
    const missedUntil = new Date(Math.max(this.startedAt - MISSED_AFTER_MS, nowDate.getTime() - LATE_AFTER_MS));
    let from = mark;
    if (mark < missedUntil) {
      const missed = lastFireBetween(spec, mark, missedUntil);
      if (missed) {
        const at = missed.toISOString();
        if (s.missed === 'run-once') await this.fire(s, at);
        else await store.schedules.claim(s.name, at, 'skipped', new Date().toISOString());
        await store.schedules.advance(s.name, at);
      }
      from = missedUntil;
    }
    for (const t of firesBetween(spec, from, nowDate, MAX_FIRES_PER_LOOK)) {
      await this.fire(s, t.toISOString());
      await store.schedules.advance(s.name, t.toISOString());
    }
    const [next] = nextFires(spec, nowDate, 1);
    if (next) this.nextWake = Math.min(this.nextWake, next.getTime());
  }

  private async fire(s: Schedule, fireAt: string): Promise<void> {
    const store = this.engine.store;
    if (!(await store.schedules.claim(s.name, fireAt, 'firing', new Date().toISOString()))) return;
    try {
      // On SQLite the run goes on in the background of this process (engine.shutdown records it interrupted if we stop).
      const { key } = await fireSchedule(this.engine, s);
      await store.schedules.settle(s.name, fireAt, 'fired', key, null);
      this.events.onFire?.(s.name, fireAt, { key });
    } catch (e) {
      const error = (e as Error).message;
      await store.schedules.settle(s.name, fireAt, 'failed', null, error);
      this.events.onFire?.(s.name, fireAt, { error });
    }
  }
}
