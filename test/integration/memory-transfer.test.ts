// `railbook memory export` / `memory import` in this process, on a `memory` command of their own,
// over real memory.db files in temp folders; documents embedded by the hashing embedder (a real,
// deterministic embedding function). What a damaged file does is checked against a snapshot of
// every table: nothing may change.
import { runInProcess } from '../helpers/in-process-cli.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CHAT_SCHEMA_PARTS } from '../../src/ai/chat/chat-memory.ts';
import { Conversations } from '../../src/ai/memory/conversation.ts';
import { DOCUMENTS_SCHEMA } from '../../src/ai/memory/documents-schema.ts';
import { activeSet, listSets } from '../../src/ai/memory/embedding-sets.ts';
import { MemoryDb } from '../../src/ai/memory/memory-db.ts';
import { Notes } from '../../src/ai/memory/notes.ts';
import { runReembed } from '../../src/ai/memory/reembed.ts';
import { VectorMemory } from '../../src/ai/memory/vector-memory.ts';
import { countVectors } from '../../src/ai/memory/vector-index.ts';
import { memoryTransferCommands } from '../../src/cli/commands/memory-transfer.ts';
import { hashingEmbedder } from '../helpers/hashing-embedder.ts';
import { tempDir } from '../helpers/temp-engine.ts';

const files = tempDir('railbook-transfer-files-');
const dirs: { dir: string; cleanup: () => void }[] = [];
const fresh = () => {
  const t = tempDir('railbook-transfer-');
  dirs.push(t);
  return t.dir;
};
after(() => {
  files.cleanup();
  for (const d of dirs) d.cleanup();
});

const nomic = hashingEmbedder('nomic-embed-text', 96);
const other = hashingEmbedder('other-embedder', 48);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], dir: string, io: { stdin?: Buffer; stdoutStream?: Writable } = {}): Promise<Result> {
  return runInProcess(['memory', ...args, '--data-dir', dir], (program, out) =>
    memoryTransferCommands(program.command('memory'), {
      env: {},
      stdout: out.stdout,
      stderr: out.stderr,
      stdin: io.stdin ? (async function* () { yield io.stdin!; })() : undefined,
      stdoutStream: io.stdoutStream,
      now: () => Date.UTC(2026, 11, 1),
    }));
}

function open(dir: string) {
  const memory = MemoryDb.open(dir, [...CHAT_SCHEMA_PARTS, DOCUMENTS_SCHEMA]);
  let t = Date.UTC(2026, 0, 1);
  const clock = () => (t += 1000);
  return { memory, db: memory.db, notes: new Notes(memory, clock), conversations: new Conversations(memory, clock), vectors: VectorMemory.on(memory.db, { embedderFor: (m) => (m === other.model ? other : nomic) }) };
}

/** Every row of every table that holds the memory, and each live set's vector count. */
function snapshot(dir: string): string {
  const { memory, db } = open(dir);
  try {
    const tables = ['notes', 'conversations', 'conversation_current', 'turns', 'documents', 'chunks', 'embedding_sets'];
    const dump: Record<string, unknown> = {};
    for (const t of tables) dump[t] = db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all();
    // The import adds its (empty) table on first use: a table's shape, not the memory's content.
    const hasImported = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'imported_conversations'").get() !== undefined;
    dump['imported_conversations'] = hasImported ? db.prepare('SELECT * FROM imported_conversations ORDER BY rowid').all() : [];
    dump['vectors'] = listSets(db).filter((s) => s.state === 'active' || s.state === 'building').map((s) => countVectors(db, s.id));
    return JSON.stringify(dump);
  } finally {
    memory.close();
  }
}

/** Conversations as a person sees them (no ids): profile, summary, and turns. */
function conversationsOf(dir: string, profile: string) {
  const { memory, conversations } = open(dir);
  try {
    return conversations.exportAll(profile).map((c) => ({
      createdAt: c.createdAt,
      summary: c.summary.text,
      summaryCovers: c.turns.filter((t) => t.id <= c.summary.upto).map((t) => t.content),
      turns: c.turns.map(({ id: _i, conversationId: _c, ...t }) => t),
    }));
  } finally {
    memory.close();
  }
}

const DOCS = [
  { source: '/notes/volcanoes.md', kind: 'markdown', title: 'Volcanoes', text: 'Magma rises and erupts as lava from the volcano crater. '.repeat(40) },
  { source: '/notes/bread.txt', kind: 'text', title: 'Bread', text: 'Knead the dough, let the yeast rise, bake the bread in a hot oven. '.repeat(60) },
  { source: 'https://example.org/garden', kind: 'html', title: 'Garden', text: 'Tomatoes need sun, water and rich soil in the garden.' },
];

let source: string;
let exported: string;

before(async () => {
  source = fresh();
  const m = open(source);
  try {
    m.notes.set('preferred language', 'Dutch', 'person');
    m.notes.set('favourite colour', 'green', 'model');
    m.notes.set('home city', 'Utrecht', 'person');
    const c1 = m.conversations.current('default');
    m.conversations.addTurn(c1, { role: 'user', content: 'what is magma?', status: 'done', place: { workflow: 'hello', runKey: 'r1' } as never });
    const a1 = m.conversations.addTurn(c1, { role: 'assistant', content: 'molten rock [1]', status: 'done', model: 'gemma3', citations: [{ n: 1, documentId: 1, source: '/notes/volcanoes.md', title: 'Volcanoes', excerpt: 'Magma', score: 0.9 }] });
    m.conversations.addTurn(c1, { role: 'user', content: 'and lava?', status: 'stopped' });
    m.conversations.setSummary(c1, { text: 'They asked about magma.', upto: a1.id });
    const c2 = m.conversations.newConversation('default');
    m.conversations.addTurn(c2, { role: 'comment', content: 'a step says hi', status: 'done' });
    m.conversations.addTurn(c2, { role: 'assistant', content: 'boom', status: 'failed', error: 'the model went away' });
    const w = m.conversations.current('work');
    m.conversations.addTurn(w, { role: 'user', content: 'quarterly numbers', status: 'done' });
    for (const d of DOCS) m.vectors.addDocument(d);
    const r = await runReembed(m.db, nomic, { batchSize: 8 });
    assert.equal(r.status, 'done');
  } finally {
    m.memory.close();
  }
  exported = path.join(files.dir, 'memory.jsonl.gz');
  const r = await cli(['export', exported], source);
  assert.equal(r.code, 0, r.stderr);
});

describe('railbook memory export / import', () => {
  test('the file: gzipped JSON lines with a header, every record, the vectors and an end record', async () => {
    const lines = gunzipSync(readFileSync(exported)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual({ ...lines[0], exported_at: 'x', memory: 'x' }, { format: 'railbook-memory', version: 1, exported_at: 'x', memory: 'x', vectors: { model: 'nomic-embed-text', dims: 96 } });
    assert.deepEqual(lines.map((l) => l['type'] ?? 'header'), ['header', 'note', 'note', 'note', 'conversation', 'conversation', 'conversation', 'document', 'document', 'document', 'end']);
    assert.deepEqual(lines.at(-1), { type: 'end', notes: 3, conversations: 3, documents: 3 });
    assert.ok(lines.filter((l) => l['type'] === 'document').every((d) => Array.isArray(d['chunks']) && (d['chunks'] as unknown[]).length > 0));

    // --no-vectors to stdout.
    const chunks: Buffer[] = [];
    const sink = new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } });
    const r = await cli(['export', '-', '--no-vectors'], source, { stdoutStream: sink });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /exported 3 notes, 3 conversations \(6 turns\), 3 documents, no vectors/);
    const plain = gunzipSync(Buffer.concat(chunks)).toString('utf8');
    assert.equal(JSON.parse(plain.split('\n')[0]!).vectors, null);
    assert.ok(!plain.includes('"chunks"'));

    const again = await cli(['export', exported], source);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists: give another file name, or --force/);
    const nowhere = await cli(['export', path.join(files.dir, 'no-such-folder', 'm.jsonl.gz')], source);
    assert.equal(nowhere.code, 2, nowhere.stderr);
    assert.match(nowhere.stderr, /cannot write .*no-such-folder\/m\.jsonl\.gz/);
  });

  test('into an empty memory: everything arrives, the vectors are used as they are, search answers the same', async () => {
    const target = fresh();
    const r = await cli(['import', exported, '--json'], target);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.notes, { added: 3, replaced: 0, kept: 0 });
    assert.deepEqual(report.conversations, { added: 3, merged: 0, unchanged: 0, turns: 6 });
    assert.deepEqual(report.documents, { added: 3, replaced: 0, unchanged: 0 });
    assert.equal(report.vectors.model, 'nomic-embed-text');
    assert.equal(report.vectors.skipped, 0);
    assert.equal(report.waiting, 0);

    for (const profile of ['default', 'work']) assert.deepEqual(conversationsOf(target, profile), conversationsOf(source, profile));
    const a = open(source);
    const b = open(target);
    try {
      assert.deepEqual(b.notes.list(), a.notes.list());
      // The current conversation travels with the profile.
      assert.deepEqual(b.conversations.history('default').map((t) => t.content), a.conversations.history('default').map((t) => t.content));
      assert.deepEqual(b.vectors.documents().map((d) => [d.source, d.chunks, d.embedding]), a.vectors.documents().map((d) => [d.source, d.chunks, d.embedding]));
      const set = activeSet(b.db)!;
      assert.equal(set.model, 'nomic-embed-text');
      assert.equal(set.dims, 96);
      assert.equal(countVectors(b.db, set.id), a.vectors.status().chunks);
      const before = nomic.texts;
      const there = await a.vectors.search('yeast oven', 3);
      const here = await b.vectors.search('yeast oven', 3);
      assert.deepEqual(here.map((h) => [h.source, h.excerpt, h.score.toFixed(5)]), there.map((h) => [h.source, h.excerpt, h.score.toFixed(5)]));
      assert.equal(nomic.texts - before, 2, 'only the two queries were embedded: no document was');
    } finally {
      a.memory.close();
      b.memory.close();
    }

    // The same file again adds nothing.
    const snap = snapshot(target);
    const again = await cli(['import', exported], target);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /notes: 0 added, 0 replaced \(newer there\), 3 kept/);
    assert.match(again.stdout, /conversations: 0 added, 0 given new turns, 3 already here \(0 turns imported\)/);
    assert.match(again.stdout, /documents: 0 added, 0 replaced, 3 unchanged/);
    assert.equal(snapshot(target), snap);

    // There and back: the target's export names the conversations as the source does, so the
    // source recognises its own; a turn added on the other machine comes back into the same one.
    const t = open(target);
    try {
      t.conversations.addTurn(t.conversations.current('default'), { role: 'user', content: 'written on the laptop', status: 'done' });
    } finally {
      t.memory.close();
    }
    const back = path.join(files.dir, 'back.jsonl.gz');
    assert.equal((await cli(['export', back], target)).code, 0);
    const home = await cli(['import', back, '--json'], source);
    assert.equal(home.code, 0, home.stderr);
    assert.deepEqual(JSON.parse(home.stdout).conversations, { added: 0, merged: 1, unchanged: 2, turns: 1 });
    const s = open(source);
    try {
      assert.equal(s.conversations.list('default').length, 2);
      assert.equal(s.conversations.history('default').at(-1)!.content, 'written on the laptop');
    } finally {
      s.memory.close();
    }
  });

  test('into a memory of its own: newer notes win, documents by source, another model’s vectors are not mixed in', async () => {
    const target = fresh();
    const m = open(target);
    try {
      // Older than the source's notes (2026-01-01 …)…
      m.db.prepare("INSERT INTO notes (key, value, source, updated_at) VALUES ('home city', 'Delft', 'person', 1000)").run();
      // …and newer.
      m.db.prepare("INSERT INTO notes (key, value, source, updated_at) VALUES ('favourite colour', 'blue', 'person', ?)").run(Date.UTC(2027, 0, 1));
      m.conversations.addTurn(m.conversations.current('default'), { role: 'user', content: 'mine', status: 'done' });
      m.vectors.addDocument({ source: '/notes/bread.txt', kind: 'text', title: 'Bread', text: 'Sourdough needs a starter.' });
      m.vectors.addDocument({ source: '/notes/own.md', kind: 'markdown', title: 'Own', text: 'Only here.' });
      assert.equal((await runReembed(m.db, other)).status, 'done');
    } finally {
      m.memory.close();
    }
    const r = await cli(['import', exported], target);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /notes: 1 added, 1 replaced \(newer there\), 1 kept/);
    assert.match(r.stdout, /conversations: 3 added/);
    assert.match(r.stdout, /documents: 2 added, 1 replaced, 0 unchanged/);
    assert.match(r.stdout, /vectors \(nomic-embed-text, 96 dimensions\): 0 chunks kept, \d+ not used: the memory here is embedded by other-embedder \(48 dimensions\)/);
    assert.match(r.stderr, /\d+ chunks wait to be embedded/);

    const t = open(target);
    try {
      assert.equal(t.notes.get('home city')!.value, 'Utrecht');
      assert.equal(t.notes.get('favourite colour')!.value, 'blue');
      // The profile keeps talking in its own conversation; the imported ones are beside it.
      assert.deepEqual(t.conversations.history('default').map((x) => x.content), ['mine']);
      assert.equal(t.conversations.list('default').length, 3);
      // Only the other model's set, untouched; the new chunks wait for it.
      assert.deepEqual(listSets(t.db).map((s) => [s.model, s.state]), [['other-embedder', 'active']]);
      assert.ok(t.vectors.documents().some((d) => d.embedding.state === 'waiting'));
      assert.equal((await runReembed(t.db, other)).status, 'done');
      assert.ok(t.vectors.documents().every((d) => d.embedding.state === 'embedded' && d.embedding.model === 'other-embedder'));
      const hits = await t.vectors.search('knead the dough, let the yeast rise', 3);
      assert.ok(hits.some((h) => h.source === '/notes/bread.txt'));
      assert.ok(hits.every((h) => h.model === 'other-embedder'));
    } finally {
      t.memory.close();
    }
  });

  test('a damaged, truncated, foreign or newer file: a clear error naming what is wrong, and nothing changes', async () => {
    const target = fresh();
    const m = open(target);
    try {
      m.notes.set('home city', 'Delft', 'person');
      m.vectors.addDocument({ source: '/notes/own.md', kind: 'markdown', title: 'Own', text: 'Only here.' });
      assert.equal((await runReembed(m.db, nomic)).status, 'done');
    } finally {
      m.memory.close();
    }
    const bytes = readFileSync(exported);
    const lines = gunzipSync(bytes).toString('utf8').trimEnd().split('\n');
    const edit = (fn: (ls: string[]) => string[]) => gzipSync(fn([...lines]).join('\n') + '\n');
    const field = (i: number, patch: Record<string, unknown>) => (ls: string[]) => {
      ls[i] = JSON.stringify({ ...JSON.parse(ls[i]!), ...patch });
      return ls;
    };
    const lastDoc = lines.length - 2;
    const cases: [string, Buffer, RegExp][] = [
      ['cut short (gzip)', bytes.subarray(0, Math.floor(bytes.length * 0.8)), /is truncated or damaged \(gzip: unexpected end of file\)/],
      ['cut short (lines)', edit((ls) => ls.slice(0, -1)), /is truncated: it stops after line 10, before its end record/],
      ['not gzip, not JSON', Buffer.from('PK\u0003\u0004 a zip file'), /is not a Railbook memory export \(it is neither gzip nor JSON lines\)/],
      ['empty', Buffer.alloc(0), /is empty/],
      ['another format', edit(field(0, { format: 'open-webui-chats' })), /is not a Railbook memory export \(its format is "open-webui-chats", not "railbook-memory"\)/],
      ['a newer version', edit(field(0, { version: 2 })), /was written by a newer Railbook \(format version 2; this one reads version 1\): upgrade Railbook/],
      ['a line that is not JSON (the last document)', edit((ls) => { ls[lastDoc] = ls[lastDoc]!.slice(0, 50); return ls; }), /line 10 is not valid JSON/],
      ['a turn of an unknown role', edit((ls) => { const c = JSON.parse(ls[6]!); c.turns[0].role = 'wizard'; ls[6] = JSON.stringify(c); return ls; }), /line 7: turns\[0\]\."role" is "wizard", not one of user, assistant, comment/],
      ['text that does not match its hash', edit(field(lastDoc, { text: 'tampered' })), /line 10: the text of .* does not match its sha256: the file is damaged/],
      ['a vector of the wrong size', edit((ls) => { const d = JSON.parse(ls[lastDoc]!); d.chunks[0].vector = Buffer.alloc(8).toString('base64'); ls[lastDoc] = JSON.stringify(d); return ls; }), /line 10: chunks\[0\]\.vector is not 96 float32 values in base64/],
      ['counts that do not add up', edit(field(lines.length - 1, { documents: 4 })), /is damaged: its end record counts 4 documents, but it holds 3/],
      ['records after the end', edit((ls) => [...ls, ls[1]!]), /line 12: there is more after the end record/],
    ];
    const before = snapshot(target);
    for (const [what, content, message] of cases) {
      const file = path.join(files.dir, 'bad.jsonl.gz');
      writeFileSync(file, content);
      const r = await cli(['import', file], target);
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.match(r.stderr, /nothing was imported/, what);
      assert.equal(snapshot(target), before, `${what}: the memory changed`);
    }
    // Plain (not gzipped) JSON lines are read too, from stdin.
    const r = await cli(['import', '-'], target, { stdin: gunzipSync(bytes) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /documents: 3 added/);
    // This memory embeds with the same model: the vectors join its active set, nothing waits.
    assert.match(r.stdout, /vectors \(nomic-embed-text, 96 dimensions\): \d+ chunks kept\n/);
    assert.doesNotMatch(r.stderr, /wait to be embedded/);
    const t = open(target);
    try {
      assert.deepEqual(listSets(t.db).map((s) => [s.model, s.state]), [['nomic-embed-text', 'active']]);
      assert.equal(countVectors(t.db, activeSet(t.db)!.id), t.vectors.status().chunks);
      assert.ok(t.vectors.documents().every((d) => d.embedding.state === 'embedded'));
    } finally {
      t.memory.close();
    }
    const missing = await cli(['import', path.join(files.dir, 'nope.gz')], target);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.gz: no such file/);
  });

  test('a larger memory streams through: 240 documents, 12 MB of text', async () => {
    const big = fresh();
    const m = open(big);
    try {
      const { sha256 } = await import('../../src/ai/memory/documents.ts');
      const words = ['lava', 'bread', 'garden', 'comet', 'river', 'engine', 'violin', 'harbour'];
      for (let i = 0; i < 240; i++) {
        const text = Array.from({ length: 8000 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' ') + ` doc${i}`;
        m.db.prepare('INSERT INTO documents (source, kind, title, text, sha256, added_at) VALUES (?, ?, ?, ?, ?, ?)').run(`/big/${i}.txt`, 'text', `doc ${i}`, text, sha256(text), i);
      }
    } finally {
      m.memory.close();
    }
    const file = path.join(files.dir, 'big.jsonl.gz');
    const r = await cli(['export', file], big);
    assert.equal(r.code, 0, r.stderr);
    const target = fresh();
    const i = await cli(['import', file, '--json'], target);
    assert.equal(i.code, 0, i.stderr);
    assert.deepEqual(JSON.parse(i.stdout).documents, { added: 240, replaced: 0, unchanged: 0 });
    const total = (dir: string) => {
      const x = open(dir);
      try {
        return x.db.prepare('SELECT count(*) AS docs, sum(length(text)) AS chars, group_concat(sha256) AS hashes FROM documents').get();
      } finally {
        x.memory.close();
      }
    };
    assert.deepEqual(total(target), total(big));
  });
});
