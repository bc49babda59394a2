import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { SqlDatabase } from './sql.ts';
import { hashFile } from './artifacts.ts';

/** Artifacts are stored in pieces of this size: big enough to be few, small enough to stream. */
const CHUNK_BYTES = 1 << 20;

export interface RemoteFile {
  path: string;
  sha256: string;
  size: number;
  /** When this content was stored (ms since the epoch). */
  storedAt: number;
}

/**
 * SQLite's companions of a database file a step keeps in its folder (a crawl's `crawl.db`): only
 * consistent together with their database while it is open, so never stored on their own. A
 * database closed cleanly has folded them in.
 */
const SQLITE_COMPANION = /-(wal|shm|journal)$/;

/**
 * Artifact files kept in the database itself (PostgreSQL), so a worker on another machine needs
 * nothing but the database URL: each process's data folder becomes a cache of them. A file is
 * stored as 1 MB chunks, then its `artifact_files` row — the row's presence says the file is
 * whole. Paths are the artifact references' own (`artifacts/<run>/<hash>-<name>`), and the content
 * is addressed by hash, so a file is never stored twice under one path.
 */
export class ArtifactRemote {
  constructor(private readonly db: SqlDatabase) {}

  /**
   * Stores a local file (already complete) under its reference path, unless it is stored already.
   * A file stored before with other content (a step's own file that changed, like a crawl's
   * database after more crawling) is replaced.
   */
  async put(run: string, relPath: string, absPath: string, sha256: string, size: number): Promise<void> {
    const have = await this.db.get<{ sha256: string; created: string }>('SELECT sha256, created FROM artifact_files WHERE path = ?', [relPath]);
    if (have?.sha256 === sha256) {
      await markSynced(absPath, Date.parse(have.created));
      return;
    }
    let seq = 0;
    for await (const chunk of createReadStream(absPath, { highWaterMark: CHUNK_BYTES })) {
      await this.db.run('INSERT INTO artifact_chunks (path, seq, data) VALUES (?, ?, ?) ON CONFLICT (path, seq) DO UPDATE SET data = excluded.data', [relPath, seq++, chunk as Buffer]);
    }
    const storedAt = Date.now();
    await this.db.run(`INSERT INTO artifact_files (path, run, sha256, size, chunks, created) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, chunks = excluded.chunks, created = excluded.created`,
    [relPath, run, sha256, size, seq, new Date(storedAt).toISOString()]);
    // Pieces past the end of a file that shrank.
    await this.db.run('DELETE FROM artifact_chunks WHERE path = ? AND seq >= ?', [relPath, seq]);
    await markSynced(absPath, storedAt);
  }

  async has(relPath: string): Promise<RemoteFile | undefined> {
    const r = await this.db.get<RemoteRow>('SELECT path, sha256, size, created FROM artifact_files WHERE path = ?', [relPath]);
    return r && remoteFile(r);
  }

  async listRun(run: string): Promise<RemoteFile[]> {
    const rows = await this.db.all<RemoteRow>('SELECT path, sha256, size, created FROM artifact_files WHERE run = ? ORDER BY path', [run]);
    return rows.map(remoteFile);
  }

  /**
   * Whether the local copy at `absPath` holds the stored content. The copy's modification time is
   * set to the storing time whenever it is stored or fetched, so an unchanged copy is known without
   * reading it; a copy whose time differs is compared by size and hash (and marked when equal).
   */
  async inSync(f: RemoteFile, absPath: string): Promise<boolean> {
    let st;
    try {
      st = await stat(absPath);
    } catch {
      return false;
    }
    if (Math.round(st.mtimeMs) === f.storedAt) return true;
    if (st.size !== f.size || (await hashFile(absPath)) !== f.sha256) return false;
    await markSynced(absPath, f.storedAt);
    return true;
  }

  /**
   * Writes a stored file to `absPath` (a temp name, then a rename: a reader never sees half a
   * file). False if the database does not hold it.
   */
  async fetch(relPath: string, absPath: string): Promise<boolean> {
    const f = await this.db.get<{ chunks: number; size: number | string }>('SELECT chunks, size FROM artifact_files WHERE path = ?', [relPath]);
    if (!f) return false;
    await mkdir(path.dirname(absPath), { recursive: true });
    const tmp = `${absPath}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      for (let seq = 0; seq < Number(f.chunks); seq++) {
        const c = await this.db.get<{ data: Buffer }>('SELECT data FROM artifact_chunks WHERE path = ? AND seq = ?', [relPath, seq]);
        if (!c) throw new Error(`artifact ${relPath} is incomplete in the database (piece ${seq} of ${f.chunks} missing)`);
        await fh.write(c.data);
      }
      await fh.sync();
    } catch (e) {
      await fh.close();
      await rm(tmp, { force: true });
      throw e;
    }
    await fh.close();
    await rename(tmp, absPath);
    await markSynced(absPath, Date.parse((await this.db.get<{ created: string }>('SELECT created FROM artifact_files WHERE path = ?', [relPath]))?.created ?? ''));
    return true;
  }

  /**
   * Stores every file under a run's artifacts folder that the database does not hold, or holds
   * with other content: files a step wrote there itself (a notebook cell writing into
   * RAILBOOK_ARTIFACTS_DIR, a crawl's database that grew). Unchanged files are not read.
   */
  async pushDir(run: string, dataDir: string, dir: string): Promise<number> {
    if (!existsSync(dir)) return 0;
    const known = new Map((await this.listRun(run)).map((f) => [f.path, f]));
    let pushed = 0;
    for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
      if (!e.isFile() || e.name.endsWith('.tmp') || SQLITE_COMPANION.test(e.name)) continue;
      const abs = path.join(e.parentPath, e.name);
      const rel = path.relative(dataDir, abs).split(path.sep).join('/');
      const have = known.get(rel);
      if (have && (await this.inSync(have, abs))) continue;
      const st = await stat(abs);
      await this.put(run, rel, abs, await hashFile(abs), st.size);
      pushed++;
    }
    return pushed;
  }
}

interface RemoteRow {
  path: string;
  sha256: string;
  size: number | string;
  created: string;
}

function remoteFile(r: RemoteRow): RemoteFile {
  return { path: r.path, sha256: r.sha256, size: Number(r.size), storedAt: Date.parse(r.created) };
}

/** Sets a local copy's modification time to its storing time: "this copy is what is stored". */
async function markSynced(absPath: string, storedAt: number): Promise<void> {
  if (!Number.isFinite(storedAt)) return;
  const t = new Date(storedAt);
  await utimes(absPath, t, t).catch(() => {});
}
