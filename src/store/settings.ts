import type { SqlSession } from './sql.ts';

/** Small key/value settings of the data folder (current profile, CSRF secret, …). */
export class Settings {
  constructor(private readonly db: SqlSession) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]))?.value;
  }

  async set(key: string, value: string): Promise<void> {
    await this.db.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  /** Returns the stored value, storing `make()` first if there is none (atomic across processes). */
  async getOrInit(key: string, make: () => string): Promise<string> {
    await this.db.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, make()]);
    return (await this.get(key))!;
  }
}
