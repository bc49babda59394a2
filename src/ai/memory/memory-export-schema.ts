import type { SchemaPart } from './memory-db.ts';

/**
 * What moving a memory between machines needs to remember (memory-export.ts):
 * - `memory_identity`: this memory file's own id, made on its first export, so a conversation is
 *   named the same wherever it travels (`<memory id>/<conversation id>`);
 * - `imported_conversations`: which local conversation each imported one became, so importing
 *   the same file again adds nothing twice. Deleting the conversation forgets its origin.
 * Needs the conversation part migrated first (the foreign key).
 */
export const MEMORY_TRANSFER_SCHEMA: SchemaPart = {
  name: 'transfer',
  migrations: [
    `CREATE TABLE memory_identity (
       id INTEGER PRIMARY KEY CHECK (id = 1),
       uuid TEXT NOT NULL
     );
     CREATE TABLE imported_conversations (
       origin TEXT PRIMARY KEY,
       conversation_id INTEGER NOT NULL UNIQUE REFERENCES conversations (id) ON DELETE CASCADE
     );`,
  ],
};
