import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import * as sqliteVec from 'sqlite-vec';

export type MemoryConnection = Database.Database;

/**
 * One part of the memory's schema (conversation, notes, documents and vectors), owned by the
 * module that uses it. Each part keeps its own version, so parts evolve without one shared list.
 * Migrations are append-only: never edit one that has shipped.
 */
export interface SchemaPart {
  name: string;
  migrations: readonly string[];
}

/** The file that holds the assistant's memory, beside the run store's data. */
export const MEMORY_FILE = 'memory.db';

/**
 * The assistant's memory: `<dataDir>/memory.db`, a SQLite file with sqlite-vec loaded, whatever
 * backend holds the runs (DECISIONS §48: memory is personal, exported as one file, and vec0 needs
 * SQLite). WAL and a busy timeout let the server and `railbook chat` share it.
 */
export class MemoryDb {
  private constructor(readonly db: MemoryConnection, readonly file: string) {}

  static open(dataDir: string, parts: readonly SchemaPart[]): MemoryDb {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, MEMORY_FILE);
    const db = new Database(file);
    try {
      db.pragma('busy_timeout = 10000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      sqliteVec.load(db);
      migrate(db, parts);
    } catch (err) {
      db.close();
      throw err;
    }
    return new MemoryDb(db, file);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: MemoryConnection, parts: readonly SchemaPart[]): void {
  const apply = db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS memory_schema (part TEXT PRIMARY KEY, version INTEGER NOT NULL)');
    const get = db.prepare<[string], { version: number }>('SELECT version FROM memory_schema WHERE part = ?');
    const set = db.prepare('INSERT INTO memory_schema (part, version) VALUES (?, ?) ON CONFLICT (part) DO UPDATE SET version = excluded.version');
    for (const part of parts) {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      const current = get.get(part.name)?.version ?? 0;
      if (current > part.migrations.length) {
        throw new Error(`the memory file was written by a newer Railbook (${part.name} schema ${current}; this one knows ${part.migrations.length}); upgrade Railbook`);
      }
      for (let v = current; v < part.migrations.length; v++) {
        db.exec(part.migrations[v]!);
        set.run(part.name, v + 1);
      }
    }
  });
  apply.immediate();
}
