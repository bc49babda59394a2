import { ArtifactRemote } from './artifact-remote.ts';
import { Artifacts } from './artifacts.ts';
import { EventLog } from './event-log.ts';
import { Executions } from './executions.ts';
import { Profiles } from './profiles.ts';
import { RunQueue, Workers } from './run-queue.ts';
import { RunRepo } from './run-repo.ts';
import { Schedules } from './schedules.ts';
import { Settings } from './settings.ts';
import type { Dialect, SqlDatabase, SqlSession } from './sql.ts';
import { SqliteDatabase } from './sqlite/sqlite-database.ts';

/** The repositories a transaction works through: the same as the store's, bound to the transaction. */
export class StoreTx {
  readonly runs: RunRepo;
  readonly events: EventLog;
  readonly settings: Settings;
  readonly executions: Executions;
  readonly queue: RunQueue;

  constructor(readonly sql: SqlSession) {
    this.runs = new RunRepo(sql);
    this.events = new EventLog(sql);
    this.settings = new Settings(sql);
    this.executions = new Executions(sql);
    this.queue = new RunQueue(sql);
  }

  /** See SqlSession.lock: holds a named lock (a run key not created yet) until the transaction ends. */
  lock(name: string): Promise<void> {
    return this.sql.lock(name);
  }
}

export interface StoreOptions {
  /** `postgres://…` selects PostgreSQL; without it, `<dataDir>/railbook.db` (SQLite). */
  databaseUrl?: string | undefined;
}

/**
 * Everything persisted: runs, events, executions, settings and profiles in a database (SQLite in
 * the data folder by default, or PostgreSQL), and the artifacts beside it in the data folder.
 */
export class Store {
  readonly runs: RunRepo;
  readonly events: EventLog;
  readonly settings: Settings;
  readonly profiles: Profiles;
  readonly executions: Executions;
  /** Runs queued for workers, and the workers (PostgreSQL; see run-queue.ts). */
  readonly queue: RunQueue;
  readonly workers: Workers;
  readonly schedules: Schedules;
  readonly artifacts: Artifacts;

  constructor(
    readonly dataDir: string,
    readonly sql: SqlDatabase,
    /** The PostgreSQL database's URL (the job queue lives there too); undefined on SQLite. */
    readonly databaseUrl?: string | undefined,
  ) {
    this.runs = new RunRepo(sql);
    this.events = new EventLog(sql);
    this.settings = new Settings(sql);
    this.profiles = new Profiles(sql);
    this.executions = new Executions(sql);
    this.queue = new RunQueue(sql);
    this.workers = new Workers(sql);
    this.schedules = new Schedules(sql);
    // With PostgreSQL the database holds the artifacts too: workers elsewhere need nothing else.
    this.artifacts = new Artifacts(dataDir, sql.dialect === 'postgres' ? new ArtifactRemote(sql) : undefined);
  }

  /** Opens (creating and migrating as needed) the database of a data folder, or the PostgreSQL one named. */
  static async open(dataDir: string, opts: StoreOptions = {}): Promise<Store> {
    let sql: SqlDatabase;
    if (opts.databaseUrl) {
      const { PostgresDatabase } = await import('./postgres/postgres-database.ts');
      sql = await PostgresDatabase.open(opts.databaseUrl);
    } else {
      sql = SqliteDatabase.open(dataDir);
    }
    const store = new Store(dataDir, sql, opts.databaseUrl || undefined);
    try {
      await store.profiles.ensureDefault();
    } catch (e) {
      await sql.close();
      throw e;
    }
    return store;
  }

  get backend(): Dialect {
    return this.sql.dialect;
  }

  /** The SQLite file's handle, for what only SQLite has (online backup, integrity check). */
  get sqlite(): SqliteDatabase['raw'] {
    if (!(this.sql instanceof SqliteDatabase)) throw new Error('this store is not on SQLite');
    return this.sql.raw;
  }

  /**
   * Runs `fn` in one transaction (see SqlDatabase.tx): a read-modify-write of a run's state can
   * never interleave with another writer's, in this process or another.
   */
  tx<T>(fn: (t: StoreTx) => Promise<T>): Promise<T> {
    return this.sql.tx((s) => fn(new StoreTx(s)));
  }

  get closed(): boolean {
    return this.sql.closed;
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
