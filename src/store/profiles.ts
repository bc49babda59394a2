import type { Statement } from 'better-sqlite3';
import { statementCache } from './statements.ts';
import type { Db } from './database.ts';
import type { EventLog } from './event-log.ts';
import type { Settings } from './settings.ts';

export const DEFAULT_PROFILE = 'default';
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.]{0,39}$/;

export class ProfileError extends Error {}

/**
 * Profiles group runs (a client, a project). A profile's name is part of new run keys, so it
 * may not contain "-" — not because keys are split on it (they never are), but so keys stay
 * readable. Renaming a profile keeps existing run keys as they were: keys are names people wrote
 * down.
 */
export class Profiles {
  private readonly sql: (text: string) => Statement;

  constructor(private readonly db: Db, private readonly settings: Settings, private readonly events: EventLog) {
    this.sql = statementCache(db);
    this.sql('INSERT OR IGNORE INTO profiles (name, created) VALUES (?, ?)').run(DEFAULT_PROFILE, new Date().toISOString());
  }

  static validate(name: string): string {
    const n = name.trim();
    if (!NAME.test(n)) throw new ProfileError(`profile name "${name}" must be 1–40 letters, digits, "_" or ".", starting with a letter or digit`);
    return n;
  }

  list(): string[] {
    return (this.sql('SELECT name FROM profiles ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }

  exists(name: string): boolean {
    return this.sql('SELECT 1 FROM profiles WHERE name = ?').get(name) !== undefined;
  }

  create(name: string): string {
    const n = Profiles.validate(name);
    if (this.exists(n)) throw new ProfileError(`profile "${n}" already exists`);
    this.sql('INSERT INTO profiles (name, created) VALUES (?, ?)').run(n, new Date().toISOString());
    return n;
  }

  rename(from: string, to: string): string {
    const n = Profiles.validate(to);
    const tx = this.db.transaction(() => {
      if (!this.exists(from)) throw new ProfileError(`no profile "${from}"`);
      if (this.exists(n)) throw new ProfileError(`profile "${n}" already exists`);
      const wasCurrent = this.current() === from;
      this.sql('UPDATE profiles SET name = ? WHERE name = ?').run(n, from);
      // Runs keep their keys; their profile column follows the rename so they stay listed under it.
      const runs = this.sql('SELECT key, state FROM runs WHERE profile = ?').all(from) as { key: string; state: string }[];
      const t = new Date().toISOString();
      for (const r of runs) {
        const state = JSON.parse(r.state) as { profile: string; updated: string };
        state.profile = n;
        state.updated = t;
        this.sql('UPDATE runs SET profile = ?, updated = ?, state = ? WHERE key = ?').run(n, t, JSON.stringify(state), r.key);
        // Every change of a run's state has its event, this one included.
        this.events.append(r.key, t, 'profile_renamed', null, { from, to: n });
      }
      if (wasCurrent) this.settings.set('profile', n);
    });
    tx.immediate();
    return n;
  }

  current(): string {
    const p = this.settings.get('profile');
    return p && this.exists(p) ? p : DEFAULT_PROFILE;
  }

  switch(name: string): void {
    if (!this.exists(name)) throw new ProfileError(`no profile "${name}"`);
    this.settings.set('profile', name);
  }
}
