import type { SchemaPart } from './memory-db.ts';

/**
 * Key-value notes: facts the person or the model chose to keep (key normalised, see notes.ts),
 * who wrote them last, and when (Unix milliseconds).
 */
export const NOTES_SCHEMA: SchemaPart = {
  name: 'notes',
  migrations: [
    `CREATE TABLE notes (
       key TEXT PRIMARY KEY,
       value TEXT NOT NULL,
       source TEXT NOT NULL CHECK (source IN ('person', 'model')),
       updated_at INTEGER NOT NULL
     );
     CREATE INDEX notes_updated ON notes (updated_at DESC);`,
  ],
};
