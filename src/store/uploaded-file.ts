import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { processIdentity, processState } from './process-identity.ts';

/**
 * A file a person uploaded, already on disk in the data folder's temp area, with its size and
 * SHA-256 counted as it arrived. A class, not a plain object: only the web layer's multipart
 * reader makes one, so a job file or a form string can never pose as an upload and point a
 * widget at an arbitrary local path.
 */
export class UploadedFile {
  constructor(
    /** The name the person's browser gave (not a path; may be empty). */
    readonly name: string,
    /** The MIME type the browser declared ("" if none). */
    readonly type: string,
    readonly size: number,
    readonly sha256: string,
    /** Absolute path of the temp file (inside `<dataDir>/tmp/uploads/`). */
    readonly tempPath: string,
  ) {}
}

/** Where uploads wait while a request is being read: inside the data folder, so a move into artifacts is a rename. */
export function uploadTempDir(dataDir: string): string {
  return path.join(dataDir, 'tmp', 'uploads');
}

/**
 * A temp file name that says which process owns it (pid and, on Linux, its start identity), so a
 * sweep at start-up removes only what a dead process left, never a live server's upload in progress
 * (the CLI and the server share a data folder).
 */
export function uploadTempName(unique: string, pid = process.pid): string {
  const who = processIdentity(pid)?.replace(/[^A-Za-z0-9]/g, '') ?? 'x';
  return `${pid}.${who}.${unique}.part`;
}

/** Removes temp uploads left behind by processes that no longer run (a killed server). Returns how many. */
export function sweepStaleUploads(dataDir: string): number {
  const dir = uploadTempDir(dataDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0; // no uploads yet
  }
  let removed = 0;
  for (const name of names) {
    const m = /^(\d+)\.([A-Za-z0-9]+)\.[^.]+\.part$/.exec(name);
    // Anything else in our temp folder is not ours to keep either.
    if (m && ownerRuns(Number(m[1]), m[2]!)) continue;
    try {
      rmSync(path.join(dir, name), { force: true, recursive: true });
      removed++;
    } catch {
      // Gone already, or not ours to remove: the next sweep tries again.
    }
  }
  return removed;
}

function ownerRuns(pid: number, who: string): boolean {
  if (pid !== process.pid) {
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
    const state = processState(pid);
    if (state === 'Z' || state === 'X') return false; // exited, not yet reaped
  }
  // The pid is taken: by the same process only if its start identity matches (pids are reused).
  const now = processIdentity(pid)?.replace(/[^A-Za-z0-9]/g, '');
  return who === 'x' || now === undefined || now === who;
}
