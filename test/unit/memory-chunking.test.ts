// Chunking: spans of the original text, along paragraphs, sentences, then whitespace, with overlap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkText } from '../../src/ai/memory/chunking.ts';

test('short text: one chunk, the text trimmed of surrounding space', () => {
  const text = '\n  Hello there. How are you?  \n';
  assert.deepEqual(chunkText(text), [{ seq: 0, start: 3, end: 28, text: 'Hello there. How are you?' }]);
});

test('empty or blank text: no chunks', () => {
  assert.deepEqual(chunkText(''), []);
  assert.deepEqual(chunkText(' \n\n\t '), []);
});

test('paragraphs are kept whole when they fit, and chunks are exact spans of the text', () => {
  const paras = ['Alpha beta gamma delta.', 'Epsilon zeta eta theta.', 'Iota kappa lambda mu.'];
  const text = paras.join('\n\n');
  const chunks = chunkText(text, { maxTokens: 8, overlapTokens: 0 });
  assert.deepEqual(chunks.map((c) => c.text), paras);
  for (const c of chunks) assert.equal(text.slice(c.start, c.end), c.text);
  assert.deepEqual(chunks.map((c) => c.seq), [0, 1, 2]);
});

test('small paragraphs are packed together up to the size', () => {
  const text = 'One.\n\nTwo.\n\nThree.\n\nFour.';
  const chunks = chunkText(text, { maxTokens: 4, overlapTokens: 0 });
  assert.deepEqual(chunks.map((c) => c.text), ['One.\n\nTwo.', 'Three.\n\nFour.']);
});

test('a long paragraph is cut at sentence ends, never mid-sentence when sentences fit', () => {
  const sentences = Array.from({ length: 12 }, (_, i) => `Sentence number ${i} is here.`);
  const text = sentences.join(' ');
  const chunks = chunkText(text, { maxTokens: 20, overlapTokens: 0 });
  assert.ok(chunks.length > 1);
  for (const c of chunks) {
    assert.ok(c.text.length <= 80, `${c.text.length} chars`);
    assert.match(c.text, /^Sentence number \d+ is here\.( Sentence number \d+ is here\.)*$/);
  }
  // Together they cover every sentence, in order.
  assert.equal(chunks.map((c) => c.text).join(' '), text);
});

test('overlap: a chunk starts with the last sentences of the previous one', () => {
  const text = Array.from({ length: 10 }, (_, i) => `Fact ${i} holds.`).join(' ');
  const chunks = chunkText(text, { maxTokens: 12, overlapTokens: 5 });
  assert.ok(chunks.length > 2);
  for (let i = 1; i < chunks.length; i++) {
    const prev = chunks[i - 1]!;
    const cur = chunks[i]!;
    assert.ok(cur.start < prev.end, 'overlaps the previous chunk');
    assert.ok(cur.start > prev.start, 'moves forward');
    assert.ok(prev.end - cur.start <= 20, 'overlap within its budget');
  }
  assert.equal(chunks.at(-1)!.end, text.length);
});

test('a run-on text with no sentence ends is cut at whitespace; a giant word anywhere', () => {
  const words = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
  const chunks = chunkText(words, { maxTokens: 10, overlapTokens: 0 });
  for (const c of chunks) {
    assert.ok(c.text.length <= 40);
    assert.doesNotMatch(c.text, /^\s|\s$/);
    assert.match(c.text, /^(w\d+ )*w\d+$/, 'whole words');
  }
  const giant = chunkText('x'.repeat(100), { maxTokens: 5, overlapTokens: 0 });
  assert.deepEqual(giant.map((c) => [c.start, c.end]), [[0, 20], [20, 40], [40, 60], [60, 80], [80, 100]]);
});

test('bad options are refused', () => {
  assert.throws(() => chunkText('x', { maxTokens: 0 }), /maxTokens/);
  assert.throws(() => chunkText('x', { maxTokens: 10, overlapTokens: 10 }), /overlapTokens/);
});
