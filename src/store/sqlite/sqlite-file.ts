import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { MIGRATIONS } from './migrations.ts';

export type Db = Database.Database;

/**
 * Opens (creating if needed) `<dataDir>/railbook.db` in WAL mode and brings its schema up to
 * date. A busy timeout lets the CLI and a running server share the file: a writer waits for
 * the other's transaction instead of failing.
 */
export function openSqliteFile(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'railbook.db'));
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: Db): void {
  const apply = db.transaction(() => {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    const current = schemaVersion(db);
    if (current > MIGRATIONS.length) {
      throw new Error(`the database was written by a newer Railbook (schema ${current}; this one knows ${MIGRATIONS.length}); upgrade Railbook`);
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }
  });
  apply.immediate();
}
