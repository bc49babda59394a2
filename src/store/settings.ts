import type { Statement } from 'better-sqlite3';
import { statementCache } from './statements.ts';
import type { Db } from './database.ts';

/** Small key/value settings of the data folder (current profile, CSRF secret, …). */
export class Settings {
  private readonly sql: (text: string) => Statement;

  constructor(db: Db) {
    this.sql = statementCache(db);
  }

  get(key: string): string | undefined {
    const row = this.sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  set(key: string, value: string): void {
    this.sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Returns the stored value, storing `make()` first if there is none (atomic across processes). */
  getOrInit(key: string, make: () => string): string {
    this.sql('INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)').run(key, make());
    return this.get(key)!;
  }
}
