import { MIGRATIONS } from '../sqlite/migrations.ts';

/**
 * PostgreSQL schema migrations: the SQLite ones (../sqlite/migrations.ts), step for step, with the
 * few types PostgreSQL spells differently translated — so a schema version means the same tables
 * on both backends, and a new migration is written once. Entry i moves the database from version i
 * to i+1; the version reached is the one row of `railbook_schema`. Column types are chosen so both
 * return identical rows: timestamps and the run state stay TEXT (ISO strings and JSON, compared
 * and sorted as text on both).
 */
const TRANSLATIONS: readonly [RegExp, string][] = [
  // SQLite's rowid alias; PostgreSQL's identity column (a 64-bit id that never repeats).
  [/INTEGER PRIMARY KEY AUTOINCREMENT/g, 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'],
  // Milliseconds since the epoch do not fit PostgreSQL's 32-bit INTEGER (SQLite's is 64-bit).
  [/lease_until INTEGER/g, 'lease_until BIGINT'],
  [/\bBLOB\b/g, 'BYTEA'],
];

export function toPostgres(sqliteSql: string): string {
  return TRANSLATIONS.reduce((sql, [from, to]) => sql.replace(from, to), sqliteSql);
}

export const POSTGRES_MIGRATIONS: readonly string[] = MIGRATIONS.map(toPostgres);

/** The schema version these migrations reach. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.length;
