/**
 * The tools the chat model gets: remember, recall and forget key-value notes. A tool call never
 * fails the turn: a bad key or value is answered to the model (so it can try again) and said to
 * the person in the `summary`.
 */
import { NOTE_KEY_MAX, NOTE_VALUE_MAX, NoteError, type Notes } from '../memory/notes.ts';
import type { ToolCall, ToolSpec } from '../provider.ts';

export const NOTE_TOOLS: readonly ToolSpec[] = [
  {
    name: 'remember',
    description: 'Keep a fact about the person or their work for later conversations (replaces the note with the same key).',
    parameters: {
      type: 'object',
      properties: {
        key: { type: 'string', description: `A few words naming the fact, e.g. "preferred language" (at most ${NOTE_KEY_MAX} characters).` },
        value: { type: 'string', description: `The fact (at most ${NOTE_VALUE_MAX} characters).` },
      },
      required: ['key', 'value'],
    },
  },
  {
    name: 'recall',
    description: 'Read one note by its key, or every note when no key is given.',
    parameters: {
      type: 'object',
      properties: { key: { type: 'string', description: 'The note to read; leave out to read all.' } },
    },
  },
  {
    name: 'forget',
    description: 'Remove a note that is wrong or no longer wanted.',
    parameters: {
      type: 'object',
      properties: { key: { type: 'string', description: 'The key of the note to remove.' } },
      required: ['key'],
    },
  },
];

export interface ToolOutcome {
  /** What the model is told. */
  result: string;
  /** What the person is told, in a few words. */
  summary: string;
}

const quote = (s: string) => `“${s.length > 60 ? `${s.slice(0, 59)}…` : s}”`;

export function runNoteTool(notes: Notes, call: ToolCall): ToolOutcome {
  const args = call.arguments;
  const str = (name: string): string | undefined => {
    const v = args[name];
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return undefined;
  };
  try {
    switch (call.name) {
      case 'remember': {
        const key = str('key');
        const value = str('value');
        if (key === undefined || value === undefined) {
          return { result: 'Error: remember needs a "key" and a "value", both text.', summary: 'Tried to remember a note without a key or value' };
        }
        const note = notes.set(key, value, 'model');
        return { result: `Remembered "${note.key}".`, summary: `Remembered ${quote(note.key)}: ${quote(note.value)}` };
      }
      case 'recall': {
        const key = str('key');
        if (key === undefined || key.trim() === '') {
          const all = notes.list();
          if (all.length === 0) return { result: 'There are no notes.', summary: 'Looked at the notes (none yet)' };
          return { result: all.map((n) => `${n.key}: ${n.value}`).join('\n'), summary: `Looked at the notes (${all.length})` };
        }
        const note = notes.get(key);
        if (!note) return { result: `There is no note "${key}".`, summary: `Looked for the note ${quote(key)} (none)` };
        return { result: `${note.key}: ${note.value}`, summary: `Looked at the note ${quote(note.key)}` };
      }
      case 'forget': {
        const key = str('key');
        if (key === undefined) return { result: 'Error: forget needs a "key".', summary: 'Tried to forget a note without a key' };
        const gone = notes.remove(key);
        return gone
          ? { result: `Forgot "${key}".`, summary: `Forgot the note ${quote(key)}` }
          : { result: `There was no note "${key}".`, summary: `Tried to forget ${quote(key)} (there was no such note)` };
      }
      default:
        return { result: `Error: there is no tool "${call.name}"; the tools are remember, recall and forget.`, summary: `Asked for an unknown tool ${quote(call.name)}` };
    }
  } catch (e) {
    if (e instanceof NoteError) return { result: `Error: ${e.message}`, summary: `Could not ${call.name} a note: ${e.message}` };
    throw e;
  }
}
