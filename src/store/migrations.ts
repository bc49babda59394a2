/**
 * Schema migrations, applied in order. Each entry moves the database from version i to i+1;
 * the version reached is recorded in `PRAGMA user_version`. Never edit a shipped migration:
 * add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE profiles (
    name    TEXT PRIMARY KEY,
    created TEXT NOT NULL
  );
  CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE runs (
    key       TEXT PRIMARY KEY,
    workflow  TEXT NOT NULL,
    profile   TEXT NOT NULL,
    number    INTEGER,
    created   TEXT NOT NULL,
    updated   TEXT NOT NULL,
    finalized TEXT,
    state     TEXT NOT NULL
  );
  CREATE INDEX runs_by_workflow ON runs (workflow, profile, number);
  CREATE INDEX runs_by_updated ON runs (updated);
  CREATE TABLE events (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    run    TEXT NOT NULL,
    at     TEXT NOT NULL,
    type   TEXT NOT NULL,
    step   TEXT,
    detail TEXT
  );
  CREATE INDEX events_by_run ON events (run, id);
  -- Steps being executed right now, and by which process: lets a restarted process tell its
  -- own dead work (interrupted) from work another live process (CLI or server) is doing.
  CREATE TABLE executions (
    run      TEXT NOT NULL,
    step     TEXT NOT NULL,
    pid      INTEGER NOT NULL,
    owner    TEXT NOT NULL,
    started  TEXT NOT NULL,
    progress TEXT,
    PRIMARY KEY (run, step)
  );
  `,
  // 2: an id per execution (a timestamp is not unique: cancel and re-run can share a millisecond),
  //    and the owner process's identity beyond its pid (pids are reused after a reboot).
  `
  ALTER TABLE executions ADD COLUMN id TEXT NOT NULL DEFAULT '';
  ALTER TABLE executions ADD COLUMN proc TEXT;
  `,
  // 3: archived runs (hidden from lists, kept), and the highest number each profile and workflow
  //    has handed out, so a deleted run's number is never given to a new run (a key a person
  //    wrote down must not come back naming different work).
  `
  ALTER TABLE runs ADD COLUMN archived TEXT;
  CREATE TABLE run_numbers (
    profile  TEXT NOT NULL,
    workflow TEXT NOT NULL,
    last     INTEGER NOT NULL,
    PRIMARY KEY (profile, workflow)
  );
  `,
];
