/** What `railbook migrate` copies from SQLite to PostgreSQL, and what it knowingly leaves out. */

export type TableName = 'profiles' | 'settings' | 'runs' | 'events' | 'run_numbers' | 'run_queue' | 'schedules' | 'schedule_firings';

export interface TableSpec {
  name: TableName;
  /** Every column, in the order rows are copied, compared and hashed: the source's own (see `SqliteSnapshot.tables`). */
  columns: readonly string[];
  /** The primary key: rows are read in its order on both sides. */
  key: readonly string[];
  /** Whether the key is text (PostgreSQL then sorts it byte-wise, as SQLite does). */
  textKey: boolean;
  /** Rows per INSERT at most (see copyTable for the other limits). */
  batch: number;
}

/**
 * What is copied, table by table; the columns are read from the source, so a column a later
 * migration adds is copied and compared without a change here. A new table is not: the source
 * is refused until it is listed here or in NOT_COPIED.
 */
export const TABLES: readonly Omit<TableSpec, 'columns'>[] = [
  { name: 'profiles', key: ['name'], textKey: true, batch: 500 },
  { name: 'settings', key: ['key'], textKey: true, batch: 500 },
  { name: 'runs', key: ['key'], textKey: true, batch: 200 },
  { name: 'events', key: ['id'], textKey: false, batch: 1000 },
  { name: 'run_numbers', key: ['profile', 'workflow'], textKey: true, batch: 500 },
  { name: 'run_queue', key: ['key'], textKey: true, batch: 200 },
  // Schedules are what a person set up; their firings say which fire times are dealt with, so a
  // server on PostgreSQL does not fire them again.
  { name: 'schedules', key: ['name'], textKey: true, batch: 200 },
  { name: 'schedule_firings', key: ['schedule', 'fire_at'], textKey: true, batch: 500 },
];

/**
 * Where PostgreSQL keeps artifact files (DECISIONS §44). Unused on SQLite, so not copied as tables:
 * filled from the data folder's files instead (see storeArtifacts).
 */
export const ARTIFACT_TABLES = ['artifact_files', 'artifact_chunks'];

/**
 * Not copied. `executions`: nothing is running in the source (a live owner is refused) and a dead
 * owner's row would only be reaped again: a run whose state still says "running" becomes
 * interrupted when an engine first starts on PostgreSQL (it finds no execution), as it would
 * have on SQLite. `workers`: PostgreSQL's own, each a live process beating there.
 */
export const NOT_COPIED = ['executions', 'workers', ...ARTIFACT_TABLES];

/** Rows read per page on either side. */
export const PAGE = 500;
