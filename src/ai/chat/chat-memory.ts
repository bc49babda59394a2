/**
 * The chat's part of the memory file, opened: conversations and notes. Whoever opens the memory
 * with more parts (documents, vectors) passes CHAT_SCHEMA_PARTS along with its own and builds
 * Conversations and Notes on the same MemoryDb.
 */
import { CONVERSATION_SCHEMA } from '../memory/conversation-schema.ts';
import { Conversations } from '../memory/conversation.ts';
import { MemoryDb, type SchemaPart } from '../memory/memory-db.ts';
import { NOTES_SCHEMA } from '../memory/notes-schema.ts';
import { Notes } from '../memory/notes.ts';

export const CHAT_SCHEMA_PARTS: readonly SchemaPart[] = [CONVERSATION_SCHEMA, NOTES_SCHEMA];

export interface ChatMemory {
  memory: MemoryDb;
  conversations: Conversations;
  notes: Notes;
}

export function openChatMemory(dataDir: string, extraParts: readonly SchemaPart[] = []): ChatMemory {
  const memory = MemoryDb.open(dataDir, [...CHAT_SCHEMA_PARTS, ...extraParts]);
  return { memory, conversations: new Conversations(memory), notes: new Notes(memory) };
}
