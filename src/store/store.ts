import { Artifacts } from './artifacts.ts';
import { openDatabase, type Db } from './database.ts';
import { EventLog } from './event-log.ts';
import { Executions } from './executions.ts';
import { Profiles } from './profiles.ts';
import { RunRepo } from './run-repo.ts';
import { Settings } from './settings.ts';

/** Everything persisted in one data folder: the SQLite database and the artifacts beside it. */
export class Store {
  readonly db: Db;
  readonly runs: RunRepo;
  readonly events: EventLog;
  readonly settings: Settings;
  readonly profiles: Profiles;
  readonly executions: Executions;
  readonly artifacts: Artifacts;

  constructor(readonly dataDir: string) {
    this.db = openDatabase(dataDir);
    this.runs = new RunRepo(this.db);
    this.events = new EventLog(this.db);
    this.settings = new Settings(this.db);
    this.profiles = new Profiles(this.db, this.settings, this.events);
    this.executions = new Executions(this.db);
    this.artifacts = new Artifacts(dataDir);
  }

  /** Runs `fn` in one IMMEDIATE transaction: it takes the write lock up front, so a
   *  read-modify-write of a run's state can never interleave with another process's. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  close(): void {
    this.db.close();
  }
}
