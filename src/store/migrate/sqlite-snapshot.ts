import Database from 'better-sqlite3';
import path from 'node:path';
import { ownerAlive } from '../executions.ts';
import { MIGRATIONS } from '../sqlite/migrations.ts';
import { MigrateError } from './migrate-error.ts';
import { NOT_COPIED, PAGE, TABLES, type TableName, type TableSpec } from './tables.ts';

/**
 * The source database, read through one read transaction on a read-only connection: every read
 * sees the database as it was at the first one, whatever other processes write meanwhile (WAL).
 */
export class SqliteSnapshot {
  private readonly counts = new Map<TableName, number>();

  private constructor(private readonly db: Database.Database) {}

  static open(file: string): SqliteSnapshot {
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
    } catch (e) {
      throw new MigrateError('refused', `cannot read ${file}: ${(e as Error).message}`);
    }
    try {
      db.pragma('busy_timeout = 10000');
      db.exec('BEGIN');
      let version: number;
      try {
        // The first read: the snapshot starts here.
        version = db.pragma('user_version', { simple: true }) as number;
        db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
      } catch (e) {
        throw new MigrateError('refused', `cannot read ${file}: ${(e as Error).message}`);
      }
      if (version < MIGRATIONS.length) {
        throw new MigrateError('refused', `the database in ${path.dirname(file)} is at schema ${version}, written by an older Railbook; open it once with this one to bring it up to date (e.g. railbook runs --data-dir ${path.dirname(file)}), then migrate`);
      }
      if (version > MIGRATIONS.length) {
        throw new MigrateError('refused', `the database in ${path.dirname(file)} was written by a newer Railbook (schema ${version}; this one knows ${MIGRATIONS.length}); upgrade Railbook`);
      }
      return new SqliteSnapshot(db);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /**
   * The tables to copy, with the source's columns. A table neither copied nor knowingly left out
   * (a later migration's) stops the migration rather than being left behind unnoticed.
   */
  tables(): TableSpec[] {
    const present = (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").all() as { name: string }[]).map((r) => r.name);
    const unknown = present.filter((t) => !NOT_COPIED.includes(t) && !TABLES.some((x) => x.name === t));
    if (unknown.length) throw new Error(`railbook migrate does not know the table${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; add ${unknown.length === 1 ? 'it' : 'them'} to src/store/migrate/tables.ts`);
    return TABLES.map((t) => {
      const columns = (this.db.prepare(`PRAGMA table_info(${t.name})`).all() as { name: string; cid: number }[]).sort((a, b) => a.cid - b.cid).map((c) => c.name);
      if (!columns.length) throw new Error(`the data folder's database has no table ${t.name}`);
      return { ...t, columns };
    });
  }

  hasTables(names: readonly string[]): boolean {
    const found = this.db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN (${names.map(() => '?').join(', ')})`).get(...names) as { n: number };
    return found.n === names.length;
  }

  /** Every run's key. */
  runKeys(): Set<string> {
    return new Set((this.db.prepare('SELECT key FROM runs').raw(true).all() as [string][]).map((r) => r[0]));
  }

  /** Executions whose owner process still lives (a step running now), and how many others there are. */
  liveExecutions(): { live: { run: string; step: string; pid: number }[]; stale: number } {
    const rows = this.db.prepare('SELECT run, step, pid, proc FROM executions ORDER BY run, step').all() as { run: string; step: string; pid: number; proc: string | null }[];
    const live = rows.filter((r) => ownerAlive({ pid: Number(r.pid), proc: r.proc }));
    return { live, stale: rows.length - live.length };
  }

  count(table: TableName): number {
    let n = this.counts.get(table);
    if (n === undefined) {
      n = (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
      this.counts.set(table, n);
    }
    return n;
  }

  maxEventId(): number {
    return (this.db.prepare('SELECT MAX(id) AS n FROM events').get() as { n: number | null }).n ?? 0;
  }

  /** The highest event id AUTOINCREMENT has handed out, deleted events included. */
  eventSequence(): number {
    const row = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  /** Every row of the table in key order, a page at a time (each page read whole, so awaiting between rows is safe). */
  *rows(table: TableSpec): Generator<unknown[], void, undefined> {
    const cols = table.columns.join(', ');
    const order = table.key.join(', ');
    const first = this.db.prepare(`SELECT ${cols} FROM ${table.name} ORDER BY ${order} LIMIT ?`).raw(true);
    const after = this.db.prepare(`SELECT ${cols} FROM ${table.name} WHERE (${order}) > (${table.key.map(() => '?').join(', ')}) ORDER BY ${order} LIMIT ?`).raw(true);
    const keyAt = table.key.map((k) => table.columns.indexOf(k));
    let last: unknown[] | undefined;
    for (;;) {
      const page = (last ? after.all(...last, PAGE) : first.all(PAGE)) as unknown[][];
      yield* page;
      if (page.length < PAGE) return;
      const end = page[page.length - 1]!;
      last = keyAt.map((i) => end[i]);
    }
  }

  close(): void {
    if (!this.db.open) return;
    if (this.db.inTransaction) this.db.exec('COMMIT');
    this.db.close();
  }
}
