import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import type { Statement } from 'better-sqlite3';
import { NestedTransactionError, type SqlDatabase, type SqlSession } from '../sql.ts';
import { openSqliteFile, schemaVersion, type Db } from './sqlite-file.ts';
import { statementCache } from './statements.ts';

/**
 * The embedded default: one SQLite file, reached through better-sqlite3's synchronous calls
 * behind the store's asynchronous interface. A transaction holds the file's write lock (BEGIN
 * IMMEDIATE) for other processes and this connection for other callers in this process: they
 * wait until it ends, so none of them sees a write that may yet be rolled back.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private readonly sql: (text: string) => Statement;
  /**
   * Set while a transaction holds the file; resolves when it ends. Shared by every connection
   * to the same file in this process: better-sqlite3 waits for another connection's lock
   * synchronously, which would block the very event loop that connection needs to finish.
   */
  private readonly fileLock: FileLock;
  private readonly inside: AsyncLocalStorage<FileLock>;

  constructor(readonly raw: Db) {
    this.sql = statementCache(raw);
    const key = path.resolve(raw.name);
    let lock = FILE_LOCKS.get(key);
    if (!lock) FILE_LOCKS.set(key, (lock = { busy: undefined, users: 0, inside: new AsyncLocalStorage<FileLock>() }));
    lock.users++;
    this.fileLock = lock;
    this.inside = lock.inside;
  }

  private get busy(): Promise<void> | undefined {
    return this.fileLock.busy;
  }

  private set busy(p: Promise<void> | undefined) {
    this.fileLock.busy = p;
  }

  static open(dataDir: string): SqliteDatabase {
    return new SqliteDatabase(openSqliteFile(dataDir));
  }

  get closed(): boolean {
    return !this.raw.open;
  }

  all<T>(text: string, args: readonly unknown[] = []): Promise<T[]> {
    return this.direct(() => this.sql(text).all(...args) as T[]);
  }

  get<T>(text: string, args: readonly unknown[] = []): Promise<T | undefined> {
    return this.direct(() => this.sql(text).get(...args) as T | undefined);
  }

  run(text: string, args: readonly unknown[] = []): Promise<number> {
    return this.direct(() => this.sql(text).run(...args).changes);
  }

  lock(): Promise<void> {
    return Promise.reject(new Error('lock() is only meaningful inside a transaction'));
  }

  async tx<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    if (this.busy && this.inside.getStore() === this.fileLock) throw new NestedTransactionError();
    while (this.busy) await this.busy;
    let release!: () => void;
    this.busy = new Promise<void>((r) => { release = r; });
    const session = new SqliteTxSession(this.sql);
    try {
      this.sql('BEGIN IMMEDIATE').run();
      try {
        const out = await this.inside.run(this.fileLock, () => fn(session));
        this.sql('COMMIT').run();
        return out;
      } catch (e) {
        if (this.raw.inTransaction) this.sql('ROLLBACK').run();
        throw e;
      }
    } finally {
      session.ended = true;
      this.busy = undefined;
      release();
    }
  }

  async schemaVersion(): Promise<number> {
    return schemaVersion(this.raw);
  }

  async close(): Promise<void> {
    while (this.busy) await this.busy;
    if (!this.raw.open) return;
    this.raw.close();
    if (--this.fileLock.users === 0) FILE_LOCKS.delete(path.resolve(this.raw.name));
  }

  /** Runs a statement now, or once the transaction holding the connection has ended. */
  private direct<T>(op: () => T): Promise<T> {
    if (this.busy) {
      if (this.inside.getStore() === this.fileLock) return Promise.reject(new NestedTransactionError());
      return this.busy.then(() => this.direct(op));
    }
    try {
      return Promise.resolve(op());
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }
}

interface FileLock {
  busy: Promise<void> | undefined;
  users: number;
  inside: AsyncLocalStorage<FileLock>;
}

/** One lock per database file open in this process (see SqliteDatabase.fileLock). */
const FILE_LOCKS = new Map<string, FileLock>();

/** The session a transaction's body works through: the same statements, without waiting. */
class SqliteTxSession implements SqlSession {
  readonly dialect = 'sqlite' as const;
  ended = false;

  constructor(private readonly sql: (text: string) => Statement) {}

  all<T>(text: string, args: readonly unknown[] = []): Promise<T[]> {
    return this.now(() => this.sql(text).all(...args) as T[]);
  }

  get<T>(text: string, args: readonly unknown[] = []): Promise<T | undefined> {
    return this.now(() => this.sql(text).get(...args) as T | undefined);
  }

  run(text: string, args: readonly unknown[] = []): Promise<number> {
    return this.now(() => this.sql(text).run(...args).changes);
  }

  /** The transaction already holds the whole file. */
  lock(): Promise<void> {
    return this.now(() => undefined);
  }

  private now<T>(op: () => T): Promise<T> {
    if (this.ended) return Promise.reject(new Error('this transaction has ended; its session cannot be used any more'));
    try {
      return Promise.resolve(op());
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }
}
