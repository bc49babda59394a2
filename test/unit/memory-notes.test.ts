// Key-value notes and the note tools, on a real memory file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { NOTE_TOOLS, runNoteTool } from '../../src/ai/chat/tools.ts';
import { MemoryDb } from '../../src/ai/memory/memory-db.ts';
import { NOTES_SCHEMA } from '../../src/ai/memory/notes-schema.ts';
import { normaliseKey, NoteError, Notes } from '../../src/ai/memory/notes.ts';
import { tempDir } from '../helpers/temp-engine.ts';

let data: ReturnType<typeof tempDir>;
let memory: MemoryDb;
let notes: Notes;
let clock = 1000;

before(() => {
  data = tempDir('railbook-notes-');
  memory = MemoryDb.open(data.dir, [NOTES_SCHEMA]);
  notes = new Notes(memory, () => clock++);
});

after(() => {
  memory.close();
  data.cleanup();
});

test('keys are normalised: case, spaces and Unicode forms make one note', () => {
  assert.equal(normaliseKey('  Favourite   Colour '), 'favourite colour');
  assert.equal(normaliseKey('Cafe\u0301'), 'café');
  notes.set('Favourite  Colour', 'green', 'person');
  notes.set('favourite colour', 'blue', 'model');
  assert.deepEqual(notes.list().map((n) => [n.key, n.value, n.source]), [['favourite colour', 'blue', 'model']]);
  assert.equal(notes.get('FAVOURITE COLOUR')?.value, 'blue');
});

test('limits: empty, too long or control characters are refused in words', () => {
  assert.throws(() => notes.set('  ', 'x', 'person'), NoteError);
  assert.throws(() => notes.set('k'.repeat(101), 'x', 'person'), /at most 100 characters/);
  assert.throws(() => notes.set('k', 'v'.repeat(2001), 'person'), /at most 2000 characters/);
  assert.throws(() => notes.set('k\u0007', 'v', 'person'), /control characters/);
  assert.throws(() => notes.set('k', ' ', 'person'), /needs a value/);
  assert.equal(notes.set('multi', 'line one\nline two', 'person').value, 'line one\nline two');
});

test('list is most recently updated first; remove says whether there was one', () => {
  notes.set('older', '1', 'person');
  notes.set('newer', '2', 'person');
  assert.deepEqual(notes.list().slice(0, 2).map((n) => n.key), ['newer', 'older']);
  assert.equal(notes.remove('Older'), true);
  assert.equal(notes.remove('older'), false);
  assert.equal(notes.get('older'), undefined);
});

test('the tools remember, recall and forget, and answer mistakes to the model', () => {
  assert.deepEqual(NOTE_TOOLS.map((t) => t.name), ['remember', 'recall', 'forget']);
  const call = (name: string, args: Record<string, unknown>) => runNoteTool(notes, { id: 'x', name, arguments: args });
  assert.match(call('remember', { key: 'Pet', value: 'a cat named Pixel' }).result, /Remembered "pet"/);
  assert.equal(notes.get('pet')?.source, 'model');
  assert.equal(call('recall', { key: 'pet' }).result, 'pet: a cat named Pixel');
  assert.match(call('recall', {}).result, /pet: a cat named Pixel/);
  assert.match(call('recall', { key: 'dog' }).result, /no note "dog"/);
  assert.match(call('forget', { key: 'pet' }).summary, /Forgot/);
  assert.match(call('forget', { key: 'pet' }).result, /no note/);
  assert.match(call('remember', { key: 'x' }).result, /^Error: remember needs/);
  assert.match(call('remember', { key: 'x', value: 'v'.repeat(3000) }).result, /^Error: .*2000/);
  assert.match(call('shout', {}).result, /no tool "shout"/);
  assert.match(call('remember', { key: 'year', value: 1843 }).result, /Remembered/);
  assert.equal(notes.get('year')?.value, '1843');
});
