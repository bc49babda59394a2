import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { create as createTar } from 'tar';
import { hashFile } from './artifacts.ts';
import {
  BACKUP_FORMAT_VERSION, BackupError, DATABASE_NAME, MANIFEST_NAME, databaseFacts, railbookVersion,
  type BackupFile, type BackupManifest, type MissingArtifact,
} from './backup-manifest.ts';
import { RunRepo } from './run-repo.ts';
import { SqliteDatabase } from './sqlite/sqlite-database.ts';

export { BackupError, type BackupManifest } from './backup-manifest.ts';

export interface BackupOptions {
  /** The time written into the manifest (default: now). */
  now?: Date;
  /** Called once the database is copied, before the artifacts are (progress; tests use it to act in between). */
  onSnapshot?: () => void | Promise<void>;
}

/** `<dataDir>/backups`: where backups go by default; never itself part of a backup. */
export function backupsDir(dataDir: string): string {
  return path.join(dataDir, 'backups');
}

/** An ISO time fit for a file name on every system (no colons): 2026-12-01T08-04-51-123Z. */
export function backupStamp(t: Date): string {
  return t.toISOString().replace(/[:.]/g, '-');
}

export function defaultBackupPath(dataDir: string, t = new Date()): string {
  return path.join(backupsDir(dataDir), `railbook-${backupStamp(t)}.tar.gz`);
}

/**
 * Writes a consistent backup of a live data folder to `to` (a .tar.gz): `manifest.json` first,
 * then `railbook.db`, then every artifact file. Others may keep writing meanwhile.
 *
 * Consistency: the database is copied first, with SQLite's online backup API (a snapshot at one
 * instant, never the raw files under WAL). Artifacts are always written before the state that
 * refers to them (Artifacts.place renames a complete file into place; the engine records its
 * reference afterwards), so every artifact the copied database refers to existed at that instant.
 * Copied afterwards, it is still there unless its run was deleted in between (the run's row goes
 * first, then its folder). Such runs are removed from the backup's database copy — the backup
 * shows the folder as it was once the deletion finished — and listed in the manifest. Files
 * written after the snapshot are simply extra. A referenced file missing while its run still
 * exists was missing from the data folder already: listed as `absent` for restore to report.
 */
export async function createBackup(dataDir: string, to: string, opts: BackupOptions = {}): Promise<BackupManifest> {
  const root = path.resolve(dataDir);
  const dbFile = path.join(root, DATABASE_NAME);
  if (!existsSync(dbFile)) throw new BackupError(`no Railbook database in ${root} (expected ${DATABASE_NAME})`);
  const target = path.resolve(to);
  if (target.startsWith(path.join(root, 'artifacts') + path.sep)) throw new BackupError('a backup cannot be written inside the artifacts folder it backs up');
  const stage = await makeStage(root);
  const partial = `${target}.${randomBytes(4).toString('hex')}.partial`;
  try {
    const snapshotFile = path.join(stage, DATABASE_NAME);
    const live = new Database(dbFile, { fileMustExist: true });
    let missing: MissingArtifact[];
    let staged: string[];
    try {
      live.pragma('busy_timeout = 10000');
      // All pages in one step: one read transaction, so a busy writer cannot keep restarting it.
      await live.backup(snapshotFile, { progress: () => 1_000_000_000 });
      await opts.onSnapshot?.();
      staged = await stageArtifacts(root, stage);
      missing = await settleMissing(snapshotFile, live, new Set(staged));
    } finally {
      live.close();
    }
    const snapshot = new Database(snapshotFile);
    let facts;
    try {
      facts = databaseFacts(snapshot);
      // Back to a single file: the archive carries railbook.db alone, no -wal beside it.
      snapshot.pragma('journal_mode = DELETE');
    } finally {
      snapshot.close();
    }
    const files: BackupFile[] = [];
    for (const rel of [DATABASE_NAME, ...staged]) files.push(await describe(stage, rel));
    const artifactFiles = files.filter((f) => f.path !== DATABASE_NAME);
    const manifest: BackupManifest = {
      format: 'railbook-backup',
      formatVersion: BACKUP_FORMAT_VERSION,
      railbookVersion: railbookVersion(),
      created: (opts.now ?? new Date()).toISOString(),
      schemaVersion: facts.schemaVersion,
      counts: { runs: facts.runs, events: facts.events, artifactFiles: artifactFiles.length, bytes: artifactFiles.reduce((n, f) => n + f.size, 0) },
      files,
      missingArtifacts: missing,
    };
    await writeFile(path.join(stage, MANIFEST_NAME), JSON.stringify(manifest, null, 2) + '\n');
    await mkdir(path.dirname(target), { recursive: true });
    // Streamed from disk through gzip to disk: a multi-GB artifacts folder never sits in memory.
    await createTar({ gzip: true, file: partial, cwd: stage, portable: true }, [MANIFEST_NAME, ...files.map((f) => f.path)]);
    const fh = await open(partial, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(partial, target);
    return manifest;
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/**
 * Links every artifact file into the staging folder (a copy where links cannot be made). Artifact
 * files are never changed in place, only created whole and deleted, so a link is a frozen copy
 * that costs no space. Temp files of writes in progress and folders being deleted are left out.
 */
async function stageArtifacts(root: string, stage: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(root, rel), { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // deleted meanwhile
      throw e;
    }
    for (const d of entries) {
      const childRel = `${rel}/${d.name}`;
      if (d.name.startsWith('.') || d.name.endsWith('.tmp')) continue; // `.deleting-<key>-…`, a write in progress
      if (d.isDirectory()) await walk(childRel);
      else if (d.isFile() && await placeCopy(path.join(root, childRel), path.join(stage, childRel))) out.push(childRel);
    }
  };
  await walk('artifacts');
  return out.sort();
}

/** Links (else copies) `from` to `to`; false when `from` vanished meanwhile (its run was deleted). */
async function placeCopy(from: string, to: string): Promise<boolean> {
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await link(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw e;
  }
  try {
    await copyFile(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/**
 * Finds the artifacts the database copy refers to that were not copied, tells a run deleted during
 * the backup from a file already missing, and removes the deleted runs from the copy.
 */
async function settleMissing(snapshotFile: string, live: Database.Database, staged: Set<string>): Promise<MissingArtifact[]> {
  const snapshot = new Database(snapshotFile);
  try {
    const missing: MissingArtifact[] = [];
    const created = (db: Database.Database, key: string) => (db.prepare('SELECT created FROM runs WHERE key = ?').get(key) as { created: string } | undefined)?.created;
    for (const r of databaseFacts(snapshot).refs) {
      if (staged.has(r.path)) continue;
      // Same key and same creation time: the same run, still there. Otherwise it was deleted
      // (perhaps a new run took its key since).
      const deleted = created(live, r.run) !== created(snapshot, r.run);
      missing.push({ path: r.path, run: r.run, reason: deleted ? 'run-deleted' : 'absent' });
    }
    const deletedRuns = new Set(missing.filter((m) => m.reason === 'run-deleted').map((m) => m.run));
    if (deletedRuns.size) {
      await new SqliteDatabase(snapshot).tx(async (t) => {
        const runs = new RunRepo(t);
        for (const key of deletedRuns) await runs.delete(key);
      });
    }
    return missing;
  } finally {
    snapshot.close();
  }
}

async function describe(stage: string, rel: string): Promise<BackupFile> {
  const file = path.join(stage, rel);
  const st = await lstat(file);
  return { path: rel, size: st.size, sha256: await hashFile(file) };
}

/** A staging folder inside the data folder (so artifacts can be linked), named for its process. */
async function makeStage(root: string): Promise<string> {
  const parent = path.join(root, 'tmp', 'backup');
  await mkdir(parent, { recursive: true });
  await sweepStaleStages(parent);
  const stage = path.join(parent, `${process.pid}.${randomBytes(4).toString('hex')}`);
  await mkdir(stage);
  return stage;
}

/** Removes staging folders a killed backup left behind (their process no longer runs). */
async function sweepStaleStages(parent: string): Promise<void> {
  for (const name of await readdir(parent)) {
    const pid = Number(/^(\d+)\./.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    await rm(path.join(parent, name), { recursive: true, force: true }).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
