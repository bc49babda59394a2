/**
 * What the repositories (runs, events, executions, settings, profiles) need of a database: the
 * same few calls on SQLite and on PostgreSQL. SQL is written once, with `?` placeholders, in the
 * subset both understand; the few places that differ ask `dialect`.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface SqlSession {
  readonly dialect: Dialect;
  all<T>(sql: string, args?: readonly unknown[]): Promise<T[]>;
  get<T>(sql: string, args?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a statement; resolves with the number of rows it changed. */
  run(sql: string, args?: readonly unknown[]): Promise<number>;
  /**
   * Holds a named lock until the transaction ends, for rows that do not exist yet (a new run's
   * key or number). SQLite's transactions already hold the whole database: a no-op there.
   * Outside a transaction it is meaningless and refused.
   */
  lock(name: string): Promise<void>;
}

export interface SqlDatabase extends SqlSession {
  /**
   * Runs `fn` in one transaction. Whatever `fn` reads through its session and writes back can
   * not interleave with another writer's read-modify-write: SQLite takes the write lock up front
   * (BEGIN IMMEDIATE); PostgreSQL rows are locked as they are read for change (`FOR UPDATE`) or
   * by `lock(name)`. Use only the session given to `fn` inside it.
   */
  tx<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  /** The schema version the migrations reached. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
  readonly closed: boolean;
}

/**
 * The database's clock in ms since the epoch, as an SQL expression: leases and worker heartbeats
 * are judged by it, the one clock every machine on the database shares.
 */
export function dbClockMs(dialect: Dialect): string {
  return dialect === 'postgres'
    ? 'CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)'
    : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
}

/** Refuses a call on the database itself from inside one of its transactions (it would wait on itself). */
export class NestedTransactionError extends Error {
  constructor() {
    super('the store was used directly inside one of its own transactions; use the transaction\'s session');
  }
}
