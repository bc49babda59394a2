import type { SchemaPart } from './memory-db.ts';

/**
 * Conversations and their turns, per profile. `conversation_current` says which conversation a
 * profile talks in; starting a new one keeps the old. The summary is derived from turns (which
 * are never deleted by summarising): `summary_upto` is the id of the newest turn it covers.
 * `turns_fts` is an external-content FTS5 index over the turns' text, kept by triggers.
 * Times are Unix milliseconds.
 */
export const CONVERSATION_SCHEMA: SchemaPart = {
  name: 'conversation',
  migrations: [
    `CREATE TABLE conversations (
       id INTEGER PRIMARY KEY,
       profile TEXT NOT NULL,
       summary TEXT NOT NULL DEFAULT '',
       summary_upto INTEGER NOT NULL DEFAULT 0,
       created_at INTEGER NOT NULL
     );
     CREATE INDEX conversations_profile ON conversations (profile, id);
     CREATE TABLE conversation_current (
       profile TEXT PRIMARY KEY,
       conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE
     );
     CREATE TABLE turns (
       id INTEGER PRIMARY KEY,
       conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
       role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'comment')),
       content TEXT NOT NULL,
       status TEXT NOT NULL CHECK (status IN ('done', 'stopped', 'failed')),
       error TEXT,
       place TEXT,
       model TEXT,
       citations TEXT,
       created_at INTEGER NOT NULL
     );
     CREATE INDEX turns_conversation ON turns (conversation_id, id);
     CREATE VIRTUAL TABLE turns_fts USING fts5 (content, content = 'turns', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
     CREATE TRIGGER turns_fts_insert AFTER INSERT ON turns BEGIN
       INSERT INTO turns_fts (rowid, content) VALUES (new.id, new.content);
     END;
     CREATE TRIGGER turns_fts_delete AFTER DELETE ON turns BEGIN
       INSERT INTO turns_fts (turns_fts, rowid, content) VALUES ('delete', old.id, old.content);
     END;
     CREATE TRIGGER turns_fts_update AFTER UPDATE OF content ON turns BEGIN
       INSERT INTO turns_fts (turns_fts, rowid, content) VALUES ('delete', old.id, old.content);
       INSERT INTO turns_fts (rowid, content) VALUES (new.id, new.content);
     END;`,
  ],
};
