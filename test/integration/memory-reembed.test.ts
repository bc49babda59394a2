// Re-embedding on a real memory.db: a new model (and dimension) built beside the active set,
// retrieval on the old set only until the atomic switch, then on the new only; pause and resume,
// cancel, kill -9 in the middle then resume without redoing committed chunks, documents added
// mid-build, and one job per memory file. Embeddings: two (and more) hashing embedders whose
// vectors differ, so every hit can be traced to the model whose vectors scored it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activeSet, buildingSet, chunkCount, getSet, listSets } from '../../src/ai/memory/embedding-sets.ts';
import { cancelReembed, embedPending, runReembed } from '../../src/ai/memory/reembed.ts';
import { countVectors, vecTable } from '../../src/ai/memory/vector-index.ts';
import { VectorMemory, type SearchHit } from '../../src/ai/memory/vector-memory.ts';
import { cosine, hashingEmbedder, type HashingEmbedder } from '../helpers/hashing-embedder.ts';
import { tempDir } from '../helpers/temp-engine.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/reembed-child.ts');
const TOPICS = ['volcano lava eruption', 'violin concerto orchestra', 'glacier ice melting', 'bread yeast oven', 'comet orbit telescope', 'tomato garden soil', 'bicycle chain gears', 'honey bees hive'];
const DIMS: Record<string, number> = { 'hash-a': 48, 'hash-b': 64, 'hash-c': 40, 'hash-d': 32, 'hash-e': 56, 'hash-f': 24 };

const tmp = tempDir('railbook-reembed-');
/** Embedders by model, shared so their counters say what each model was asked. */
const embedders = new Map<string, HashingEmbedder>();
const embedderFor = (model: string): HashingEmbedder => {
  let e = embedders.get(model);
  if (!e) {
    e = hashingEmbedder(model, DIMS[model] ?? 16);
    embedders.set(model, e);
  }
  return e;
};
let mem: VectorMemory;

before(async () => {
  mem = VectorMemory.open(tmp.dir, { embedderFor, chunking: { maxTokens: 16, overlapTokens: 0 } });
  for (let i = 0; i < 40; i++) {
    const t = TOPICS[i % TOPICS.length]!;
    mem.addDocument({ source: `text:doc-${i}`, kind: 'text', title: `Doc ${i}`, text: `Note ${i} about ${t}.\n\nMore on ${t} in note ${i}, part two.` });
  }
  const r = await runReembed(mem.db, embedderFor('hash-a'), { batchSize: 16 });
  assert.equal(r.status, 'done');
});
after(() => {
  mem.close();
  tmp.cleanup();
});

/** Every hit was scored by `model`'s vectors: the model is named, and the score is its cosine. */
function assertAllFrom(hits: SearchHit[], model: string, query: string): void {
  assert.ok(hits.length > 0, 'some hits');
  const e = embedderFor(model);
  for (const h of hits) {
    assert.equal(h.model, model);
    const expected = cosine(e.vector(query), e.vector(h.excerpt));
    assert.ok(Math.abs(h.score - expected) < 1e-4, `score ${h.score} is ${model}'s cosine ${expected}`);
  }
}

function assertComplete(model: string): void {
  const set = activeSet(mem.db)!;
  assert.equal(set.model, model);
  assert.equal(set.dims, DIMS[model]);
  assert.equal(countVectors(mem.db, set.id), chunkCount(mem.db), 'every chunk has its vector');
  assert.equal(set.done, set.total);
  for (const d of mem.documents()) assert.deepEqual(d.embedding, { state: 'embedded', model });
}

describe('re-embed', () => {
  test('to a model of another dimension: the old set answers during the build, the new one after, documents added meanwhile included', async () => {
    const query = 'glacier ice melting';
    const other = VectorMemory.open(tmp.dir, { embedderFor });
    const seen: number[] = [];
    const b = hashingEmbedder('hash-b', DIMS['hash-b']!, {
      before: async () => {
        if (b.calls !== 2) return;
        // Mid-build: retrieval is the old model's, and a new document is searchable at once.
        const building = buildingSet(mem.db)!;
        assert.equal(building.model, 'hash-b');
        assert.ok(building.done > 0 && building.done < building.total);
        assertAllFrom(await mem.search(query, 8), 'hash-a', query);
        other.addDocument({ source: 'text:late', kind: 'text', title: 'Late', text: 'A walrus basks on the pebble beach.' });
        assert.equal(await embedPending(other.db, embedderFor('hash-a')), 1);
        const late = await other.search('walrus pebble beach', 1);
        assert.equal(late[0]?.source, 'text:late');
        assertAllFrom(late, 'hash-a', 'walrus pebble beach');
      },
    });
    embedders.set('hash-b', b);
    const oldId = activeSet(mem.db)!.id;
    const r = await runReembed(mem.db, b, { batchSize: 16, onProgress: (p) => seen.push(p.done) });
    other.close();
    assert.equal(r.status, 'done');
    assert.ok(r.status === 'done' && r.switched);
    assert.ok(seen.length > 2 && seen.every((d, i) => i === 0 || d > seen[i - 1]!), `progress rises: ${seen.join(',')}`);
    assertComplete('hash-b');
    assertAllFrom(await mem.search(query, 8), 'hash-b', query);
    assert.equal((await mem.search('walrus pebble beach', 1))[0]?.source, 'text:late', 'the document added mid-build is in the new set');
    assert.equal(getSet(mem.db, oldId)?.state, 'retired');
    assert.equal(mem.db.prepare("SELECT name FROM sqlite_master WHERE name = ?").get(vecTable(oldId)), undefined, "the retired set's vectors are dropped");
  });

  test('stopped by its signal it stays resumable and continues without redoing chunks; cancel gives a build up', async () => {
    const c = hashingEmbedder('hash-c', DIMS['hash-c']!);
    embedders.set('hash-c', c);
    const stop = new AbortController();
    const paused = await runReembed(mem.db, c, { batchSize: 8, signal: stop.signal, onProgress: (p) => { if (p.done >= 16) stop.abort(); } });
    assert.equal(paused.status, 'paused');
    const building = buildingSet(mem.db)!;
    assert.equal(building.model, 'hash-c');
    assert.ok(building.done >= 16 && building.done < building.total);
    assertAllFrom(await mem.search('bread yeast', 5), 'hash-b', 'bread yeast');

    const before = c.texts;
    const resumed = await runReembed(mem.db, c, { batchSize: 8 });
    assert.equal(resumed.status, 'done');
    assert.equal(c.texts - before, building.total - building.done, 'only the missing chunks were embedded');
    assertComplete('hash-c');

    const d = hashingEmbedder('hash-d', DIMS['hash-d']!);
    const stopD = new AbortController();
    assert.equal((await runReembed(mem.db, d, { batchSize: 8, signal: stopD.signal, onProgress: () => stopD.abort() })).status, 'paused');
    const cancelled = cancelReembed(mem.db)!;
    assert.equal(cancelled.model, 'hash-d');
    assert.equal(getSet(mem.db, cancelled.id)?.state, 'cancelled');
    assert.equal(buildingSet(mem.db), undefined);
    assert.equal(mem.db.prepare("SELECT name FROM sqlite_master WHERE name = ?").get(vecTable(cancelled.id)), undefined);
    assertComplete('hash-c');
    assertAllFrom(await mem.search('bread yeast', 5), 'hash-c', 'bread yeast');
  });

  test('kill -9 in the middle: the restart completes it, embedding only the missing chunks; nothing lost, never mixed', async () => {
    const docsBefore = mem.documents().length;
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, tmp.dir, 'hash-e', String(DIMS['hash-e']), '60', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    // Killed once a few batches are committed.
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const done = [...out.matchAll(/^progress (\d+) (\d+)$/gm)].map((m) => Number(m[1]));
        if (done.some((n) => n >= 12)) resolve();
      });
      child.on('exit', () => reject(new Error(`the child ended before it was killed: ${out} ${stderr}`)));
    });
    // While it lives, another process's starter is told it is busy, naming it.
    const rival = await runReembed(mem.db, hashingEmbedder('hash-e', DIMS['hash-e']!));
    assert.equal(rival.status, 'busy');
    assert.ok(rival.status === 'busy' && rival.holder.pid === child.pid);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const halfway = buildingSet(mem.db)!;
    assert.equal(halfway.model, 'hash-e');
    assert.ok(halfway.done >= 12 && halfway.done < halfway.total, `${halfway.done}/${halfway.total}`);
    assert.equal(countVectors(mem.db, halfway.id), halfway.done, 'the committed batches are there, nothing half-written');
    assertAllFrom(await mem.search('comet orbit telescope', 6), 'hash-c', 'comet orbit telescope');

    // The dead process's lease does not block the restart.
    const e = hashingEmbedder('hash-e', DIMS['hash-e']!);
    embedders.set('hash-e', e);
    const r = await runReembed(mem.db, e, { batchSize: 4 });
    assert.equal(r.status, 'done');
    assert.equal(e.texts, halfway.total - halfway.done, 'only the chunks the killed run had not committed');
    assert.equal(mem.documents().length, docsBefore, 'no document lost');
    assertComplete('hash-e');
    assertAllFrom(await mem.search('comet orbit telescope', 6), 'hash-e', 'comet orbit telescope');
    assert.deepEqual(listSets(mem.db).filter((s) => s.state === 'active' || s.state === 'building').map((s) => s.model), ['hash-e']);
  });

  test('two starters at once (two connections): one job, the other told it is busy', async () => {
    const second = VectorMemory.open(tmp.dir, { embedderFor });
    try {
      const f1 = hashingEmbedder('hash-f', DIMS['hash-f']!, { delayMs: 5 });
      const f2 = hashingEmbedder('hash-f', DIMS['hash-f']!, { delayMs: 5 });
      const [r1, r2] = await Promise.all([runReembed(mem.db, f1, { batchSize: 8 }), runReembed(second.db, f2, { batchSize: 8 })]);
      const statuses = [r1.status, r2.status].sort();
      assert.deepEqual(statuses, ['busy', 'done']);
      const busy = r1.status === 'busy' ? r1 : r2;
      assert.ok(busy.status === 'busy' && busy.holder.pid === process.pid);
      assert.equal(Math.min(f1.calls, f2.calls), 0, 'the busy one embedded nothing');
      assertComplete('hash-f');
      // Done: the lease is free again.
      assert.equal((await runReembed(second.db, f2, { batchSize: 8 })).status, 'done');
    } finally {
      second.close();
    }
  });
});
