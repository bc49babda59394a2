// Documents kept as text, chunked, embedded into the active set and searched, on a real memory.db.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { activeSet, listSets } from '../../src/ai/memory/embedding-sets.ts';
import { embedPending, runReembed } from '../../src/ai/memory/reembed.ts';
import { VectorMemory } from '../../src/ai/memory/vector-memory.ts';
import { countVectors, EXACT_SCAN_MAX } from '../../src/ai/memory/vector-index.ts';
import { cosine, hashingEmbedder } from '../helpers/hashing-embedder.ts';
import { tempDir } from '../helpers/temp-engine.ts';

const tmp = tempDir('railbook-memdocs-');
const embedder = hashingEmbedder('hash-a', 64);
let mem: VectorMemory;

before(() => {
  mem = VectorMemory.open(tmp.dir, { embedderFor: () => embedder, chunking: { maxTokens: 20, overlapTokens: 4 } });
});
after(() => {
  mem.close();
  tmp.cleanup();
});

test('add, add again unchanged (no-op), replace with new text', () => {
  const first = mem.addDocument({ source: '/notes/cats.md', kind: 'markdown', title: 'Cats', text: 'Cats purr when content. They sleep most of the day.' });
  assert.equal(first.status, 'added');
  assert.equal(first.chunks, 1);
  const again = mem.addDocument({ source: '/notes/cats.md', kind: 'markdown', title: 'Cats', text: 'Cats purr when content. They sleep most of the day.' });
  assert.deepEqual(again, { documentId: first.documentId, status: 'unchanged', chunks: 1 });
  const before = mem.db.prepare('SELECT id FROM chunks WHERE document_id = ?').all(first.documentId);
  const replaced = mem.addDocument({ source: '/notes/cats.md', kind: 'markdown', title: 'Cats, revised', text: 'Cats purr softly when they are content.\n\nCats hunt mice at night, quietly and patiently.' });
  assert.equal(replaced.status, 'replaced');
  assert.equal(replaced.documentId, first.documentId);
  assert.equal(replaced.chunks, 2);
  const after = mem.db.prepare('SELECT id, seq, text FROM chunks WHERE document_id = ? ORDER BY seq').all(first.documentId) as { id: number; text: string }[];
  assert.equal(after.length, 2);
  assert.ok(after.every((c) => !before.some((b) => (b as { id: number }).id === c.id)), 'new chunk ids: the old ones are never reused');
  const docs = mem.documents();
  assert.equal(docs.length, 1);
  assert.equal(docs[0]!.title, 'Cats, revised');
  assert.deepEqual(docs[0]!.embedding, { state: 'waiting' });
});

test('empty text and empty source are refused with a clear message', () => {
  assert.throws(() => mem.addDocument({ source: 'text:empty', kind: 'text', title: 'x', text: '  \n ' }), /no text in it/);
  assert.throws(() => mem.addDocument({ source: ' ', kind: 'text', title: 'x', text: 'hello' }), /needs a source/);
});

test('nothing embedded yet: search finds nothing; the first build makes the active set', async () => {
  assert.deepEqual(await mem.search('cats'), []);
  mem.addDocument({ source: 'https://example.org/dogs', kind: 'html', title: 'Dogs', text: 'Dogs bark at strangers. Dogs fetch sticks and balls in the park.' });
  mem.addDocument({ source: 'run:abc123/summary', kind: 'run-output', title: 'Run summary', text: 'The quarterly revenue grew by twelve percent, driven by exports.' });
  const r = await runReembed(mem.db, embedder);
  assert.equal(r.status, 'done');
  const set = activeSet(mem.db)!;
  assert.equal(set.model, 'hash-a');
  assert.equal(set.dims, 64);
  assert.equal(countVectors(mem.db, set.id), mem.status().chunks);
  for (const d of mem.documents()) assert.deepEqual(d.embedding, { state: 'embedded', model: 'hash-a' });
});

test('search returns the right document first, with its citation fields and score', async () => {
  const hits = await mem.search('quarterly revenue exports', 3);
  assert.ok(hits.length >= 1);
  const top = hits[0]!;
  assert.equal(top.source, 'run:abc123/summary');
  assert.equal(top.title, 'Run summary');
  assert.match(top.excerpt, /quarterly revenue grew/);
  assert.equal(top.model, 'hash-a');
  assert.equal(typeof top.chunkId, 'number');
  assert.equal(typeof top.documentId, 'number');
  const text = mem.db.prepare('SELECT text FROM documents WHERE id = ?').get(top.documentId) as { text: string };
  assert.equal(text.text.slice(top.start, top.end), top.excerpt);
  // The score is the cosine similarity of the query's and the chunk's vectors.
  assert.ok(Math.abs(top.score - cosine(embedder.vector('quarterly revenue exports'), embedder.vector(top.excerpt))) < 1e-5);
  for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1]!.score >= hits[i]!.score, 'nearest first');
  const dogs = await mem.search('which animal barks at strangers', 1);
  assert.equal(dogs[0]?.source, 'https://example.org/dogs');
});

test('a document added later waits, then embedPending makes it searchable; replacing drops its old vectors', async () => {
  mem.addDocument({ source: 'text:owls', kind: 'text', title: 'Owls', text: 'Owls hoot in the forest at midnight.' });
  const owls = mem.documents().find((d) => d.source === 'text:owls')!;
  assert.deepEqual(owls.embedding, { state: 'waiting' });
  assert.equal(await embedPending(mem.db, embedder), 1);
  assert.equal((await mem.search('owls hoot midnight', 1))[0]?.source, 'text:owls');
  const set = activeSet(mem.db)!;
  const before = countVectors(mem.db, set.id);
  mem.addDocument({ source: 'text:owls', kind: 'text', title: 'Owls', text: 'Owls are birds of prey.' });
  assert.equal(countVectors(mem.db, set.id), before - 1, "the replaced text's vectors are gone at once");
  assert.equal(await embedPending(mem.db, embedder), 1);
  assert.equal(countVectors(mem.db, set.id), before);
  assert.ok(mem.removeDocument('text:owls'));
  assert.equal(countVectors(mem.db, set.id), before - 1);
  assert.equal(mem.removeDocument('text:owls'), false);
  assert.equal(listSets(mem.db).length, 1);
});

test('above the exact-scan size the two-pass search still finds the right chunk', async () => {
  // More chunks than EXACT_SCAN_MAX, so the coarse (sign bits) pass then exact re-ranking is used.
  const words = ['amber', 'basalt', 'cedar', 'delta', 'ember', 'fjord', 'granite', 'harbor', 'indigo', 'juniper', 'kelp', 'lagoon'];
  const paras: string[] = [];
  for (let i = 0; i <= EXACT_SCAN_MAX; i++) paras.push(`${words[i % 12]} ${words[(i * 7) % 12]} ${words[(i * 5 + 3) % 12]} item${i} with some filler words`);
  mem.addDocument({ source: 'text:bulk', kind: 'text', title: 'Bulk', text: paras.join('\n\n') });
  mem.addDocument({ source: 'text:needle', kind: 'text', title: 'Needle', text: 'zebra xylophone quokka narwhal' });
  await embedPending(mem.db, embedder, { batchSize: 512 });
  assert.ok(activeSet(mem.db)!.done > EXACT_SCAN_MAX);
  const hits = await mem.search('quokka narwhal zebra', 5);
  assert.equal(hits[0]?.source, 'text:needle');
  const exact = await mem.search('quokka narwhal zebra', 5, { exact: true });
  assert.equal(exact[0]?.chunkId, hits[0]?.chunkId);

  // The in-memory sign bits follow the table: a document added since is found, one removed is not.
  mem.addDocument({ source: 'text:late-needle', kind: 'text', title: 'Late needle', text: 'walrus pelican ocelot tapir' });
  await embedPending(mem.db, embedder);
  assert.equal((await mem.search('ocelot tapir walrus', 1))[0]?.source, 'text:late-needle');
  assert.ok(mem.removeDocument('text:late-needle'));
  assert.ok((await mem.search('ocelot tapir walrus', 3)).every((h) => h.source !== 'text:late-needle'));
  mem.addDocument({ source: 'text:needle', kind: 'text', title: 'Needle', text: 'zebra xylophone quokka narwhal, revised' });
  await embedPending(mem.db, embedder);
  const revised = await mem.search('quokka narwhal zebra', 1);
  assert.equal(revised[0]?.source, 'text:needle');
  assert.match(revised[0]!.excerpt, /revised/);
});
