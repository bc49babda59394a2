import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ArtifactRemote } from '../artifact-remote.ts';
import { hashFile } from '../artifacts.ts';
import type { SqlDatabase, SqlSession } from '../sql.ts';

/** A file in a copied run's artifacts folder, as stored. */
export interface ArtifactFile {
  run: string;
  /** Relative to the data folder, with forward slashes: the reference path runs hold. */
  path: string;
  abs: string;
  size: number;
  sha256: string;
}

/**
 * Every file under `artifacts/<run>/` of a run the database holds (what `pushDir` would store),
 * hashed. Temp files of writes in progress and dot-names (a folder being deleted) are left out,
 * as backup does; folders of runs the database does not hold are named, not stored.
 */
export async function findArtifactFiles(dataDir: string, runs: Set<string>): Promise<{ found: ArtifactFile[]; stray: string[] }> {
  const root = path.join(dataDir, 'artifacts');
  const found: ArtifactFile[] = [];
  const stray: string[] = [];
  const walk = async (run: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(dataDir, rel), { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // deleted meanwhile
      throw e;
    }
    for (const d of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (d.name.startsWith('.') || d.name.endsWith('.tmp')) continue;
      const childRel = `${rel}/${d.name}`;
      const abs = path.join(dataDir, childRel);
      if (d.isDirectory()) {
        await walk(run, childRel);
      } else if (d.isFile()) {
        const st = await stat(abs).catch(() => undefined);
        if (!st) continue; // its run was deleted meanwhile
        found.push({ run, path: childRel, abs, size: st.size, sha256: await hashFile(abs) });
      }
    }
  };
  const tops = existsSync(root) ? (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')) : [];
  for (const d of tops.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (runs.has(d.name)) await walk(d.name, `artifacts/${d.name}`);
    else stray.push(`artifacts/${d.name}`);
  }
  return { found, stray };
}

/**
 * Stores the files in PostgreSQL the way the store itself does (ArtifactRemote.put: 1 MB pieces,
 * then the file's row), inside the migration's transaction.
 */
export async function storeArtifacts(s: SqlSession, files: readonly ArtifactFile[], onFile: (done: number) => void): Promise<void> {
  // ArtifactRemote reads and writes through get/run only: the transaction's session serves.
  const remote = new ArtifactRemote(s as unknown as SqlDatabase);
  let done = 0;
  for (const f of files) {
    await remote.put(f.run, f.path, f.abs, f.sha256, f.size);
    onFile(++done);
  }
}
