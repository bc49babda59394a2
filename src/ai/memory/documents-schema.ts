import type { SchemaPart } from './memory-db.ts';

/**
 * Vector memory: documents kept as raw text forever (the source of truth), their chunks, the
 * embedding sets (one model and dimension each; at most one active and one building), and the
 * lease that lets one re-embed job at a time run on the file. Each set's vectors live in a vec0
 * table of their own, `vec_set_<id>`, created with the set (vector-index.ts), so two models'
 * vectors never share a table. Chunk ids are AUTOINCREMENT: never reused, so a set's cursor
 * ("every chunk up to this id is embedded") stays true when documents are replaced.
 */
export const DOCUMENTS_SCHEMA: SchemaPart = {
  name: 'documents',
  migrations: [
    `CREATE TABLE documents (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       source TEXT NOT NULL UNIQUE,
       kind TEXT NOT NULL,
       title TEXT NOT NULL,
       text TEXT NOT NULL,
       sha256 TEXT NOT NULL,
       added_at INTEGER NOT NULL
     );
     CREATE TABLE chunks (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
       seq INTEGER NOT NULL,
       start INTEGER NOT NULL,
       "end" INTEGER NOT NULL,
       text TEXT NOT NULL,
       UNIQUE (document_id, seq)
     );
     CREATE TABLE embedding_sets (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       model TEXT NOT NULL,
       dims INTEGER NOT NULL CHECK (dims > 0),
       state TEXT NOT NULL CHECK (state IN ('building', 'active', 'retired', 'cancelled')),
       cursor INTEGER NOT NULL DEFAULT 0,
       generation INTEGER NOT NULL DEFAULT 0,
       done INTEGER NOT NULL DEFAULT 0,
       total INTEGER NOT NULL DEFAULT 0,
       created_at INTEGER NOT NULL,
       activated_at INTEGER,
       ended_at INTEGER
     );
     CREATE UNIQUE INDEX embedding_sets_one_active ON embedding_sets (state) WHERE state = 'active';
     CREATE UNIQUE INDEX embedding_sets_one_building ON embedding_sets (state) WHERE state = 'building';
     CREATE TABLE embed_lease (
       id INTEGER PRIMARY KEY CHECK (id = 1),
       owner TEXT NOT NULL,
       host TEXT NOT NULL,
       pid INTEGER NOT NULL,
       expires_at INTEGER NOT NULL
     );`,
  ],
};
