/**
 * Which URL to fetch next, politely: per host at most `perHost` at once, and with a crawl-delay one
 * at a time with the delay between request starts. The frontier itself lives in the store (SQLite);
 * only a small window per host is held here, so a million queued URLs cost disk, not memory.
 */
import type { CrawlStore, UrlRow } from './crawl-store.ts';

interface HostState {
  queue: UrlRow[];
  /** More queued rows may be in the store than in `queue`. */
  dirty: boolean;
  active: number;
  nextAt: number;
  delayMs: number;
  /** Its robots.txt is known (set by the crawler): nothing is handed out before. */
  ready: boolean;
}

export type Next = { row: UrlRow } | { waitMs: number } | { idle: true };

export class Frontier {
  private readonly hosts = new Map<string, HostState>();
  private activeTotal = 0;

  constructor(
    private readonly store: CrawlStore,
    private readonly perHost: number,
    private readonly globalLimit: number,
    private readonly window = 200,
  ) {
    for (const h of store.queuedHosts()) this.noteHost(h);
  }

  /** A host got new queued URLs (or may have). Returns true when the host is new. */
  noteHost(host: string): boolean {
    const s = this.hosts.get(host);
    if (s) {
      s.dirty = true;
      return false;
    }
    this.hosts.set(host, { queue: [], dirty: true, active: 0, nextAt: 0, delayMs: 0, ready: false });
    return true;
  }

  setReady(host: string, delayMs: number | undefined): void {
    const s = this.hosts.get(host);
    if (!s) return;
    s.ready = true;
    s.delayMs = delayMs ?? 0;
  }

  hostsNotReady(): string[] {
    return [...this.hosts].filter(([, s]) => !s.ready).map(([h]) => h);
  }

  get active(): number {
    return this.activeTotal;
  }

  /** Claim the next URL that may be fetched now (marked `fetching` in the store). */
  next(now: number): Next {
    if (this.activeTotal >= this.globalLimit) return { waitMs: -1 };
    let wait = Infinity;
    let pending = this.activeTotal > 0;
    for (const [host, s] of this.hosts) {
      if (s.queue.length === 0 && s.dirty) {
        s.queue = this.store.peekHost(host, this.window);
        s.dirty = s.queue.length >= this.window;
      }
      if (s.queue.length === 0) continue;
      pending = true;
      if (!s.ready) continue;
      const limit = s.delayMs > 0 ? 1 : this.perHost;
      if (s.active >= limit) continue;
      if (s.nextAt > now) {
        wait = Math.min(wait, s.nextAt - now);
        continue;
      }
      const row = s.queue.shift() as UrlRow;
      // Done meanwhile (as a redirect's target): look again.
      if (!this.store.claim(row.id)) return this.next(now);
      s.active++;
      this.activeTotal++;
      s.nextAt = now + s.delayMs;
      return { row };
    }
    if (!pending) return { idle: true };
    return { waitMs: wait === Infinity ? -1 : wait };
  }

  /** A claimed URL is finished (whatever the outcome). */
  release(host: string, now = Date.now()): void {
    const s = this.hosts.get(host);
    if (s) {
      s.active--;
      // The delay also runs from the end of the fetch: the gap between requests is never shorter.
      // (+1: Date.now() is whole milliseconds, and the gap must not come out a fraction short.)
      if (s.delayMs > 0) s.nextAt = Math.max(s.nextAt, now + s.delayMs + 1);
    }
    this.activeTotal--;
  }
}
