import { createHash, type Hash } from 'node:crypto';
import type { SqlSession } from '../sql.ts';
import type { ArtifactFile } from './artifact-files.ts';
import { count } from './postgres-target.ts';
import type { SqliteSnapshot } from './sqlite-snapshot.ts';
import { PAGE, type TableSpec } from './tables.ts';

/** Reading the copy back inside the migration's transaction and comparing it with the source. */

/** Differences listed before giving up on listing more. */
const MAX_DIFFERENCES = 20;

/**
 * Reads the table back from PostgreSQL beside the source, both in key order, and compares every
 * row's every column; hashes both sides as it goes. Lists the first differences by key.
 */
export async function compareTable(source: SqliteSnapshot, s: SqlSession, table: TableSpec, differences: string[], onRow: (done: number) => void): Promise<{ source: string; target: string }> {
  const hashSource = createHash('sha256');
  const hashTarget = createHash('sha256');
  const mine = source.rows(table)[Symbol.iterator]();
  const theirs = pgRows(s, table);
  let done = 0;
  let listed = 0;
  const note = (d: string) => {
    if (listed++ < MAX_DIFFERENCES) differences.push(d);
  };
  try {
    for (;;) {
      const a = mine.next();
      const b = await theirs.next();
      if (a.done && b.done) break;
      if (a.done || b.done) {
        // One side ran out: the rest of the other is extra (or missing); name the first.
        if (!a.done) note(`${table.name}: ${keyText(table, a.value)} is missing from PostgreSQL`);
        if (!b.done) note(`${table.name}: PostgreSQL holds ${keyText(table, b.value)}, which the data folder does not`);
        drain(hashSource, a.done ? undefined : a.value, mine);
        await drainAsync(hashTarget, b.done ? undefined : b.value, theirs);
        break;
      }
      const [x, y] = [JSON.stringify(a.value), JSON.stringify(b.value)];
      hashSource.update(x + '\n');
      hashTarget.update(y + '\n');
      if (x !== y) note(describeDifference(table, a.value, b.value));
      onRow(++done);
    }
  } finally {
    await theirs.return(undefined);
  }
  return { source: hashSource.digest('hex'), target: hashTarget.digest('hex') };
}

function drain(hash: Hash, first: unknown[] | undefined, rest: Iterator<unknown[]>): void {
  if (first) hash.update(JSON.stringify(first) + '\n');
  for (let r = rest.next(); !r.done; r = rest.next()) hash.update(JSON.stringify(r.value) + '\n');
}

async function drainAsync(hash: Hash, first: unknown[] | undefined, rest: AsyncIterator<unknown[]>): Promise<void> {
  if (first) hash.update(JSON.stringify(first) + '\n');
  for (let r = await rest.next(); !r.done; r = await rest.next()) hash.update(JSON.stringify(r.value) + '\n');
}

function keyText(table: TableSpec, row: unknown[]): string {
  const parts = table.key.map((k) => `${k} ${JSON.stringify(row[table.columns.indexOf(k)])}`);
  return `row ${parts.join(', ')}`;
}

function describeDifference(table: TableSpec, a: unknown[], b: unknown[]): string {
  if (keyText(table, a) !== keyText(table, b)) {
    return `${table.name}: the data folder has ${keyText(table, a)} where PostgreSQL has ${keyText(table, b)}`;
  }
  const cols = table.columns.filter((_, i) => JSON.stringify(a[i]) !== JSON.stringify(b[i]));
  return `${table.name}: ${keyText(table, a)} differs in ${cols.join(', ')}`;
}

/** The table's rows on PostgreSQL, in the order SQLite gives them (text keys compared byte-wise). */
async function* pgRows(s: SqlSession, table: TableSpec): AsyncGenerator<unknown[], void, undefined> {
  const cursor = `railbook_migrate_${table.name}`;
  const order = table.key.map((k) => (table.textKey ? `${k} COLLATE "C"` : k)).join(', ');
  await s.run(`DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${table.columns.join(', ')} FROM ${table.name} ORDER BY ${order}`);
  try {
    for (;;) {
      const page = await s.all<Record<string, unknown>>(`FETCH FORWARD ${PAGE} FROM ${cursor}`);
      for (const r of page) yield table.columns.map((c) => r[c]);
      if (page.length < PAGE) return;
    }
  } finally {
    // After a failed statement the transaction is aborted and rolls back anyway.
    await s.run(`CLOSE ${cursor}`).catch(() => {});
  }
}

/**
 * Reads every stored file back, piece by piece, and checks its row (run, size, hash, piece count)
 * and its bytes (SHA-256 over the pieces) against the file in the data folder; no other file rows
 * or pieces may be there.
 */
export async function verifyArtifacts(s: SqlSession, files: readonly ArtifactFile[], differences: string[], onFile: (done: number) => void): Promise<void> {
  const rows = await count(s, 'artifact_files');
  if (rows !== files.length) differences.push(`artifact_files: ${files.length} files in the data folder, ${rows} rows in PostgreSQL`);
  let pieces = 0;
  let done = 0;
  let listed = 0;
  for (const f of files) {
    const row = await s.get<{ run: string; sha256: string; size: number | string; chunks: number | string }>('SELECT run, sha256, size, chunks FROM artifact_files WHERE path = ?', [f.path]);
    const problem = (what: string) => {
      if (listed++ < MAX_DIFFERENCES) differences.push(`artifact ${f.path}: ${what}`);
    };
    if (!row) {
      problem('not stored in PostgreSQL');
      continue;
    }
    if (row.run !== f.run || row.sha256 !== f.sha256 || Number(row.size) !== f.size) {
      problem(`stored as run ${row.run}, ${row.size} bytes, SHA-256 ${row.sha256.slice(0, 12)}…; the data folder has run ${f.run}, ${f.size} bytes, ${f.sha256.slice(0, 12)}…`);
      continue;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    const chunks = Number(row.chunks);
    for (let seq = 0; seq < chunks; seq++) {
      const c = await s.get<{ data: Buffer }>('SELECT data FROM artifact_chunks WHERE path = ? AND seq = ?', [f.path, seq]);
      if (!c) break;
      hash.update(c.data);
      bytes += c.data.length;
    }
    pieces += chunks;
    const sha = hash.digest('hex');
    if (bytes !== f.size || sha !== f.sha256) problem(`its stored bytes (${bytes}, SHA-256 ${sha.slice(0, 12)}…) differ from the file's (${f.size}, ${f.sha256.slice(0, 12)}…)`);
    onFile(++done);
  }
  const stored = await count(s, 'artifact_chunks');
  if (stored !== pieces) differences.push(`artifact_chunks: ${pieces} pieces belong to the stored files, PostgreSQL holds ${stored}`);
}
