import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { link, lstat, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { extract } from 'tar';
import { hashFile } from './artifacts.ts';
import { BackupError, DATABASE_NAME, MANIFEST_NAME, databaseFacts, parseManifest, type BackupManifest } from './backup-manifest.ts';
import { MIGRATIONS } from './sqlite/migrations.ts';

export interface RestoreReport {
  dataDir: string;
  manifest: BackupManifest;
  runs: number;
  events: number;
  artifactFiles: number;
  /** Bytes of artifact files restored. */
  bytes: number;
  /** Restored, but worth knowing: artifacts the data folder was already missing when it was backed up. */
  warnings: string[];
}

/** How many problems one error lists before saying "and N more". */
const SHOWN_PROBLEMS = 10;

/**
 * Restores a backup made by createBackup into an empty data folder (created if need be). Nothing
 * lands in the folder until everything is verified: the archive is unpacked into a staging folder
 * inside it, every file's size and SHA-256 is checked against the manifest, the database passes
 * `PRAGMA integrity_check` and holds the runs and events the manifest counted, and every artifact
 * a run refers to is present with the content it recorded. Any failure removes the staging folder
 * and throws a BackupError naming each problem ("artifacts/x/y: checksum mismatch").
 */
export async function restoreBackup(file: string, dataDir: string): Promise<RestoreReport> {
  const archive = path.resolve(file);
  const st = await stat(archive).catch(() => undefined);
  if (!st?.isFile()) throw new BackupError(`no backup file at ${archive}`);
  const root = path.resolve(dataDir);
  await mkdir(root, { recursive: true });
  const present = await readdir(root);
  if (present.length) {
    throw new BackupError(`the data folder ${root} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}); restore only into an empty or new folder`);
  }
  const stage = await mkdtemp(path.join(root, '.restore-'));
  try {
    await unpack(archive, stage);
    const manifest = await readManifest(stage);
    await verifyFiles(stage, manifest);
    const report = verifyDatabase(path.join(stage, DATABASE_NAME), manifest);
    await moveIntoPlace(stage, root);
    return { dataDir: root, manifest, ...report };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/**
 * Unpacks only plain files and folders at relative paths: an absolute path, a `..` step, a link
 * or a device in the archive refuses the whole archive (node-tar would skip some with a warning;
 * a backup holding any of them was not written by Railbook).
 */
async function unpack(archive: string, stage: string): Promise<void> {
  const problems: string[] = [];
  try {
    await extract({
      file: archive,
      cwd: stage,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      filter: (p, entry) => {
        const why = entryProblem(p, 'type' in entry ? entry.type : 'File');
        if (why) problems.push(why);
        return why === undefined;
      },
    });
  } catch (e) {
    if (problems.length) throw refusal(problems);
    throw new BackupError(`${path.basename(archive)} is not a readable Railbook backup (${(e as Error).message})`);
  }
  if (problems.length) throw refusal(problems);
}

function entryProblem(p: string, type: string): string | undefined {
  const shown = JSON.stringify(p);
  if (type !== 'File' && type !== 'OldFile' && type !== 'Directory') return `${shown}: ${type} entries are not allowed in a backup`;
  if (p.includes('\0') || p.includes('\\')) return `${shown}: unusual characters in the path`;
  if (path.posix.isAbsolute(p) || /^[A-Za-z]:/.test(p)) return `${shown}: absolute path`;
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) return `${shown}: path leaves the data folder ("..")`;
  const top = parts[0];
  if (top !== MANIFEST_NAME && top !== DATABASE_NAME && top !== 'artifacts') return `${shown}: not part of a Railbook backup`;
  return undefined;
}

async function readManifest(stage: string): Promise<BackupManifest> {
  const text = await readFile(path.join(stage, MANIFEST_NAME), 'utf8').catch(() => undefined);
  if (text === undefined) throw new BackupError(`not a Railbook backup: no ${MANIFEST_NAME} in it`);
  return parseManifest(text);
}

/** Every listed file present with its size and checksum; nothing present that is not listed. */
async function verifyFiles(stage: string, manifest: BackupManifest): Promise<void> {
  const problems: string[] = [];
  const listed = new Set<string>();
  for (const f of manifest.files) {
    if (entryProblem(f.path, 'File') || f.path === MANIFEST_NAME) {
      problems.push(`${MANIFEST_NAME}: lists an impossible path ${JSON.stringify(f.path)}`);
      continue;
    }
    listed.add(f.path);
    const st = await lstat(path.join(stage, f.path)).catch(() => undefined);
    if (!st?.isFile()) problems.push(`${f.path}: missing from the archive`);
    else if (st.size !== f.size) problems.push(`${f.path}: size ${st.size} bytes, the manifest says ${f.size}`);
    else if (await hashFile(path.join(stage, f.path)) !== f.sha256) problems.push(`${f.path}: checksum mismatch`);
  }
  if (!listed.has(DATABASE_NAME)) problems.push(`${MANIFEST_NAME}: does not list ${DATABASE_NAME}`);
  for (const rel of await filesUnder(stage, 'artifacts')) {
    if (!listed.has(rel)) problems.push(`${rel}: in the archive but not in the manifest`);
  }
  if (problems.length) throw refusal(problems);
}

function verifyDatabase(dbFile: string, manifest: BackupManifest): Omit<RestoreReport, 'dataDir' | 'manifest'> {
  let db: Database.Database;
  try {
    db = new Database(dbFile, { fileMustExist: true });
  } catch (e) {
    throw new BackupError(`${DATABASE_NAME}: cannot be opened (${(e as Error).message})`);
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  try {
    const check = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (check.join() !== 'ok') throw refusal(check.map((c) => `${DATABASE_NAME}: integrity check: ${c}`));
    const facts = databaseFacts(db);
    if (facts.schemaVersion > MIGRATIONS.length) problems.push(`${DATABASE_NAME}: schema ${facts.schemaVersion} is newer than this Railbook knows (${MIGRATIONS.length}); upgrade Railbook`);
    if (facts.schemaVersion !== manifest.schemaVersion) problems.push(`${DATABASE_NAME}: schema ${facts.schemaVersion}, the manifest says ${manifest.schemaVersion}`);
    if (facts.runs !== manifest.counts.runs) problems.push(`${DATABASE_NAME}: ${facts.runs} runs, the manifest says ${manifest.counts.runs}`);
    if (facts.events !== manifest.counts.events) problems.push(`${DATABASE_NAME}: ${facts.events} events, the manifest says ${manifest.counts.events}`);
    // Every artifact a run refers to must be here with the content it recorded — unless the
    // backup itself found it already missing from the data folder (reported, not refused).
    const files = new Map(manifest.files.map((f) => [f.path, f]));
    const absent = new Set(manifest.missingArtifacts.filter((m) => m.reason === 'absent').map((m) => `${m.run}\n${m.path}`));
    for (const r of facts.refs) {
      const f = files.get(r.path);
      if (f && f.sha256 === r.sha256) continue;
      if (!f && absent.has(`${r.run}\n${r.path}`)) {
        warnings.push(`${r.path}: referenced by run ${r.run}, but already missing from the data folder when it was backed up`);
      } else {
        problems.push(f ? `${r.path}: content differs from what run ${r.run} recorded` : `${r.path}: referenced by run ${r.run} but not in the archive`);
      }
    }
    if (problems.length) throw refusal(problems);
    const artifacts = manifest.files.filter((f) => f.path !== DATABASE_NAME);
    return { runs: facts.runs, events: facts.events, artifactFiles: artifacts.length, bytes: artifacts.reduce((n, f) => n + f.size, 0), warnings };
  } finally {
    db.close();
  }
}

/** Moves the verified database and artifacts into the data folder, never over anything that appeared meanwhile. */
async function moveIntoPlace(stage: string, root: string): Promise<void> {
  const dbTarget = path.join(root, DATABASE_NAME);
  // link() fails if the name exists; rename() would silently replace it.
  await link(path.join(stage, DATABASE_NAME), dbTarget).catch((e: NodeJS.ErrnoException) => {
    throw new BackupError(e.code === 'EEXIST' ? `${dbTarget} appeared while restoring; nothing was restored` : `cannot place ${DATABASE_NAME}: ${e.message}`);
  });
  await unlink(path.join(stage, DATABASE_NAME));
  const artifacts = path.join(stage, 'artifacts');
  if (existsSync(artifacts)) {
    const target = path.join(root, 'artifacts');
    try {
      if (existsSync(target)) throw new BackupError(`${target} appeared while restoring`);
      await rename(artifacts, target);
    } catch (e) {
      await rm(dbTarget, { force: true });
      throw e;
    }
  }
}

async function filesUnder(base: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(path.join(base, rel), { withFileTypes: true }).catch(() => []);
  for (const d of entries) {
    const child = `${rel}/${d.name}`;
    if (d.isDirectory()) out.push(...await filesUnder(base, child));
    else out.push(child);
  }
  return out;
}

function refusal(problems: string[]): BackupError {
  const shown = problems.slice(0, SHOWN_PROBLEMS);
  const more = problems.length > SHOWN_PROBLEMS ? `\n  … and ${problems.length - SHOWN_PROBLEMS} more` : '';
  return new BackupError(`the backup was not restored:\n  ${shown.join('\n  ')}${more}`);
}
