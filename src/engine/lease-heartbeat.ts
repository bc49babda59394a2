import type { Store } from '../store/store.ts';

/**
 * Keeps this process's leases alive while it executes steps (PostgreSQL only: on SQLite a dead
 * owner is told by its process). Beats every third of the lease, so two missed beats in a row
 * still leave it held. A step whose lease was lost anyway (the database was out of reach for
 * longer than the lease, and another worker took the step over) is stopped here: only one
 * execution of a step may go on.
 */
export class LeaseHeartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly owner: string,
    readonly leaseMs: number,
    /** The (run, step) pairs executing here now. */
    private readonly running: () => [string, string][],
    /** Stops a step whose lease is gone. */
    private readonly lost: (run: string, step: string) => void,
  ) {}

  /** Called when a step starts executing: starts beating if it is not already. */
  start(): void {
    if (this.store.backend !== 'postgres' || this.timer) return;
    this.timer = setInterval(() => void this.beat(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async beat(): Promise<void> {
    const mine = this.running();
    if (mine.length === 0) return this.stop();
    let held: { run: string; step: string }[];
    try {
      held = await this.store.executions.heartbeat(this.owner, this.leaseMs);
    } catch {
      // The database is out of reach: try again at the next beat, while the lease lasts.
      return;
    }
    const still = new Set(held.map((h) => `${h.run}\u0000${h.step}`));
    // Steps that started after the beat began were claimed with a fresh lease: judged next time.
    const now = new Set(this.running().map(([r, s]) => `${r}\u0000${s}`));
    for (const [run, step] of mine) {
      const id = `${run}\u0000${step}`;
      if (now.has(id) && !still.has(id)) this.lost(run, step);
    }
  }
}
