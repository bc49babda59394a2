/**
 * Schema migrations, applied in order. Each entry moves the database from version i to i+1; the
 * version reached is recorded in `PRAGMA user_version`. PostgreSQL applies the same list with its
 * types translated (../postgres/migrations.ts): write each in SQL both understand. Never edit a
 * shipped migration: add a new one.
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
  // 4: who executes a step, for people (a worker's name), and the lease a PostgreSQL worker holds
  //    (unused on SQLite, where owners are processes on this machine; kept so both schemas match).
  `
  ALTER TABLE executions ADD COLUMN worker TEXT;
  ALTER TABLE executions ADD COLUMN lease_until INTEGER;
  `,
  // 5: runs queued for workers (PostgreSQL; the table exists on SQLite too so both schemas match),
  //    and the workers themselves, each beating while it lives.
  `
  CREATE TABLE run_queue (
    key          TEXT PRIMARY KEY,
    queue        TEXT NOT NULL,
    status       TEXT NOT NULL,
    job          TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    backoff_ms   INTEGER NOT NULL,
    enqueued     TEXT NOT NULL,
    started      TEXT,
    finished     TEXT,
    worker       TEXT,
    job_id       TEXT,
    error        TEXT
  );
  CREATE INDEX run_queue_by_status ON run_queue (status, queue);
  CREATE TABLE workers (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    queues   TEXT NOT NULL,
    started  TEXT NOT NULL,
    seen_ms  BIGINT NOT NULL,
    stopped  TEXT
  );
  `,
  // 6: schedules (a job file + a cron expression + a time zone) and their firings: one row per
  //    (schedule, fire time), so each firing makes a run once however many servers are up.
  `
  CREATE TABLE schedules (
    name      TEXT PRIMARY KEY,
    job       TEXT NOT NULL,
    workflow  TEXT NOT NULL,
    cron      TEXT NOT NULL,
    tz        TEXT,
    missed    TEXT NOT NULL,
    queue     TEXT,
    paused    TEXT,
    created   TEXT NOT NULL,
    last_fire TEXT
  );
  CREATE TABLE schedule_firings (
    schedule TEXT NOT NULL,
    fire_at  TEXT NOT NULL,
    status   TEXT NOT NULL,
    run      TEXT,
    at       TEXT NOT NULL,
    error    TEXT,
    PRIMARY KEY (schedule, fire_at)
  );
  `,
  // 7: artifact files kept in the database, for PostgreSQL setups where workers on other machines
  //    share nothing but the database (unused on SQLite, where artifacts are files in the data folder).
  `
  CREATE TABLE artifact_files (
    path    TEXT PRIMARY KEY,
    run     TEXT NOT NULL,
    sha256  TEXT NOT NULL,
    size    BIGINT NOT NULL,
    chunks  INTEGER NOT NULL,
    created TEXT NOT NULL
  );
  CREATE INDEX artifact_files_by_run ON artifact_files (run);
  CREATE TABLE artifact_chunks (
    path TEXT NOT NULL,
    seq  INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (path, seq)
  );
  `,
];
