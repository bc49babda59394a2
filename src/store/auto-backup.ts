import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { backupStamp, backupsDir, createBackup } from './backup.ts';
import type { BackupManifest } from './backup-manifest.ts';

export const DEFAULT_BACKUP_EVERY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_BACKUP_KEEP = 7;
/** How often the schedule looks whether a backup is due: a machine asleep at the hour still gets one soon after waking. */
const CHECK_EVERY_MS = 60 * 60 * 1000;

/** Only files named like this are ever rotated away: a backup a person made by hand is theirs to keep. */
const AUTO_NAME = /^railbook-auto-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)\.tar\.gz$/;

export interface AutoBackupOptions {
  dataDir: string;
  /** Default: every 24 hours. */
  everyMs?: number;
  /** How many automatic backups to keep (default 7); older ones are deleted. */
  keep?: number;
  /** false: no timer, nothing written (runNow still works). Default true. */
  enabled?: boolean;
  /** Hears of a failed backup; the schedule goes on. */
  onError?(e: unknown): void;
  /** Hears of each backup written. */
  onBackup?(file: string, manifest: BackupManifest): void;
}

export interface AutoBackupResult {
  file: string;
  manifest: BackupManifest;
  /** Older automatic backups deleted to keep `keep`. */
  deleted: string[];
}

export interface AutoBackup {
  stop(): void;
  /** Writes a backup now and rotates; resolves once both are done. */
  runNow(): Promise<AutoBackupResult>;
}

/**
 * A backup every `everyMs` into `<dataDir>/backups/railbook-auto-<time>.tar.gz`, keeping the newest
 * `keep`. At start, and then every hour (or `everyMs` if shorter), one is made when the newest is
 * older than `everyMs` or there is none — so a server that is never up for a whole day, or a
 * laptop that slept through the hour, still gets its daily backup. A data folder without any run
 * yet is not backed up (nothing to lose). The timer is unref'd: it never keeps the process alive.
 */
export function startAutoBackup(opts: AutoBackupOptions): AutoBackup {
  const everyMs = opts.everyMs ?? DEFAULT_BACKUP_EVERY_MS;
  const keep = opts.keep ?? DEFAULT_BACKUP_KEEP;
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep must be a whole number of at least 1, not ${keep}`);
  if (!(everyMs > 0)) throw new RangeError(`everyMs must be greater than 0, not ${everyMs}`);
  const dir = backupsDir(opts.dataDir);
  let running: Promise<AutoBackupResult> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const runNow = (): Promise<AutoBackupResult> => {
    // One at a time: a slow backup and the next tick must not write two archives at once.
    running ??= (async () => {
      const t = new Date();
      const file = path.join(dir, `railbook-auto-${backupStamp(t)}.tar.gz`);
      const manifest = await createBackup(opts.dataDir, file, { now: t });
      const deleted = await rotate(dir, keep);
      opts.onBackup?.(file, manifest);
      return { file, manifest, deleted };
    })().finally(() => { running = undefined; });
    return running;
  };

  const check = async (): Promise<void> => {
    if (stopped || running) return;
    const age = await newestAge(dir);
    if (stopped || (age !== undefined && age < everyMs) || !hasRuns(opts.dataDir)) return;
    await runNow();
  };
  const tick = (): void => {
    check().catch((e: unknown) => opts.onError?.(e));
  };

  if (opts.enabled !== false) {
    tick();
    timer = setInterval(tick, Math.min(everyMs, CHECK_EVERY_MS));
    timer.unref();
  }

  return {
    stop() {
      stopped = true;
      if (timer) clearInterval(timer);
    },
    runNow,
  };
}

/** Automatic backups in `dir`, oldest first (their names sort by time). */
export async function listAutoBackups(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  return names.filter((n) => AUTO_NAME.test(n)).sort();
}

/** Deletes all but the newest `keep` automatic backups; returns the paths deleted. */
export async function rotate(dir: string, keep: number): Promise<string[]> {
  const all = await listAutoBackups(dir);
  const doomed = all.slice(0, Math.max(0, all.length - keep)).map((n) => path.join(dir, n));
  for (const f of doomed) await rm(f, { force: true });
  return doomed;
}

function hasRuns(dataDir: string): boolean {
  const file = path.join(dataDir, 'railbook.db');
  if (!existsSync(file)) return false;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'").get() !== undefined &&
      db.prepare('SELECT 1 FROM runs LIMIT 1').get() !== undefined;
  } finally {
    db.close();
  }
}

/** Milliseconds since the newest automatic backup was made, from its name; undefined if none. */
async function newestAge(dir: string): Promise<number | undefined> {
  const newest = (await listAutoBackups(dir)).at(-1);
  if (!newest) return undefined;
  const stamp = AUTO_NAME.exec(newest)![1]!;
  const iso = stamp.replace(/T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z$/, 'T$1:$2:$3.$4Z');
  return Date.now() - Date.parse(iso);
}

/** `--backup-keep` / RAILBOOK_BACKUP_KEEP; undefined: the default. */
export function parseBackupKeep(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(n) || n < 1) throw new RangeError(`the number of backups to keep must be a whole number of at least 1, not "${text}"`);
  return n;
}
