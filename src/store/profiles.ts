import { EventLog } from './event-log.ts';
import { RunRepo } from './run-repo.ts';
import { Settings } from './settings.ts';
import type { SqlDatabase, SqlSession } from './sql.ts';

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
  private readonly settings: Settings;

  constructor(private readonly db: SqlDatabase) {
    this.settings = new Settings(db);
  }

  /** Makes sure the default profile exists (at open: every data folder has it). */
  async ensureDefault(): Promise<void> {
    await this.db.run('INSERT INTO profiles (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', [DEFAULT_PROFILE, new Date().toISOString()]);
  }

  static validate(name: string): string {
    const n = name.trim();
    if (!NAME.test(n)) throw new ProfileError(`profile name "${name}" must be 1–40 letters, digits, "_" or ".", starting with a letter or digit`);
    return n;
  }

  async list(): Promise<string[]> {
    return (await this.db.all<{ name: string }>('SELECT name FROM profiles ORDER BY name')).map((r) => r.name);
  }

  exists(name: string): Promise<boolean> {
    return existsIn(this.db, name);
  }

  async create(name: string): Promise<string> {
    const n = Profiles.validate(name);
    const added = await this.db.run('INSERT INTO profiles (name, created) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', [n, new Date().toISOString()]);
    if (!added) throw new ProfileError(`profile "${n}" already exists`);
    return n;
  }

  async rename(from: string, to: string): Promise<string> {
    const n = Profiles.validate(to);
    await this.db.tx(async (t) => {
      await t.lock(`profile:${from}`);
      await t.lock(`profile:${n}`);
      if (!(await existsIn(t, from))) throw new ProfileError(`no profile "${from}"`);
      if (await existsIn(t, n)) throw new ProfileError(`profile "${n}" already exists`);
      const settings = new Settings(t);
      const wasCurrent = (await settings.get('profile')) === from;
      await t.run('UPDATE profiles SET name = ? WHERE name = ?', [n, from]);
      // Runs keep their keys; their profile follows the rename so they stay listed under it.
      const time = new Date().toISOString();
      const events = new EventLog(t);
      for (const key of await new RunRepo(t).renameProfile(from, n, time)) {
        // Every change of a run's state has its event, this one included.
        await events.append(key, time, 'profile_renamed', null, { from, to: n });
      }
      if (wasCurrent) await settings.set('profile', n);
    });
    return n;
  }

  async current(): Promise<string> {
    const p = await this.settings.get('profile');
    return p && (await this.exists(p)) ? p : DEFAULT_PROFILE;
  }

  async switch(name: string): Promise<void> {
    if (!(await this.exists(name))) throw new ProfileError(`no profile "${name}"`);
    await this.settings.set('profile', name);
  }
}

async function existsIn(db: SqlSession, name: string): Promise<boolean> {
  return (await db.get('SELECT 1 AS x FROM profiles WHERE name = ?', [name])) !== undefined;
}
