import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, open, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactRef } from './artifact-ref.ts';
import type { UploadedFile } from './uploaded-file.ts';
import type { ArtifactRemote } from './artifact-remote.ts';

export class PathEscapeError extends Error {}

/**
 * Artifact files live under `<dataDir>/artifacts/<run key>/`. Files are written to a temp name
 * and renamed, so a crash never leaves a half-written artifact under its real name.
 *
 * With PostgreSQL (`remote`), every file written here is also stored in the database, and the
 * data folder is a cache of it: a file missing here (written by a worker on another machine) is
 * fetched on first use (`ensureLocal`, `pullRun`).
 */
export class Artifacts {
  constructor(readonly dataDir: string, readonly remote?: ArtifactRemote | undefined) {}

  /** The artifact's local path, fetched from the database first if only the database has it. */
  async ensureLocal(refPath: string): Promise<string> {
    const abs = this.resolve(refPath);
    if (this.remote && !existsSync(abs)) await this.remote.fetch(refPath, abs);
    return abs;
  }

  /**
   * Brings every stored file of a run into the data folder (a worker about to run its steps): the
   * missing ones, and those another process stored again since (a crawl's database that grew).
   */
  async pullRun(runKey: string): Promise<void> {
    if (!this.remote) return;
    for (const f of await this.remote.listRun(runKey)) {
      const abs = this.resolve(f.path);
      if (!(await this.remote.inSync(f, abs))) await this.remote.fetch(f.path, abs);
    }
  }

  /** Stores files a step wrote into the run's folder itself (not through write/copy/adopt). */
  async pushRun(runKey: string): Promise<void> {
    await this.remote?.pushDir(runKey, this.dataDir, this.dirFor(runKey));
  }

  dirFor(runKey: string): string {
    return path.join(this.dataDir, 'artifacts', runKey);
  }

  /** `onCreated` hears of each file this call newly created (not one that already held the same content). */
  async writeBytes(runKey: string, name: string, data: Uint8Array | string, mime?: string, onCreated?: (file: string) => void): Promise<ArtifactRef> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const file = await this.place(runKey, name, sha256, async (tmp) => writeFile(tmp, bytes), onCreated);
    return ref(this.dataDir, file, sha256, bytes.byteLength, name, mime);
  }

  /** Copies a local file in; `name` is the name the person knows it by (default: the file's own). */
  async copyFrom(runKey: string, localPath: string, opts: { name?: string | undefined; mime?: string | undefined; onCreated?: ((file: string) => void) | undefined } = {}): Promise<ArtifactRef> {
    const st = await stat(localPath).catch(() => undefined);
    if (!st) throw new Error(`file not found: ${localPath}`);
    if (!st.isFile()) throw new Error(`not a regular file: ${localPath}`);
    const sha256 = await hashFile(localPath);
    const name = opts.name?.trim() || path.basename(localPath);
    const file = await this.place(runKey, name, sha256, async (tmp) => copyFile(localPath, tmp), opts.onCreated);
    return ref(this.dataDir, file, sha256, st.size, name, opts.mime);
  }

  /**
   * Moves an upload that is already on disk (hashed as it arrived) into the run's artifacts: a
   * rename within the data folder, so a multi-GB file is neither copied nor read again. If the
   * run already holds the same content under the same name, the upload is simply dropped.
   */
  async adopt(runKey: string, upload: UploadedFile, opts: { name?: string | undefined; mime?: string | undefined; onCreated?: ((file: string) => void) | undefined } = {}): Promise<ArtifactRef> {
    const name = opts.name?.trim() || upload.name || 'upload';
    const file = await this.place(runKey, name, upload.sha256, async (tmp) => {
      try {
        await rename(upload.tempPath, tmp);
      } catch (e) {
        // Another filesystem after all (a data folder whose artifacts/ is a mount): copy once.
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        await copyFile(upload.tempPath, tmp);
        await rm(upload.tempPath, { force: true });
      }
    }, opts.onCreated);
    return ref(this.dataDir, file, upload.sha256, upload.size, name, opts.mime);
  }

  /** Absolute path of an artifact, refusing any reference that points outside the data folder. */
  resolve(refPath: string): string {
    return resolveInside(this.dataDir, refPath);
  }

  private async place(runKey: string, name: string, sha256: string, write: (tmp: string) => Promise<void>, onCreated?: (file: string) => void): Promise<string> {
    const dir = this.dirFor(runKey);
    await mkdir(dir, { recursive: true });
    // Content-addressed prefix: two uploads named alike never overwrite each other.
    const file = path.join(dir, `${sha256.slice(0, 12)}-${safeName(name)}`);
    const existed = existsSync(file);
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await write(tmp);
      // On disk before it gets its real name: a crash leaves the old state or the whole file.
      const fh = await open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    if (!existed) onCreated?.(file);
    if (this.remote) await this.remote.put(runKey, path.relative(this.dataDir, file).split(path.sep).join('/'), file, sha256, (await stat(file)).size);
    return file;
  }
}

export function safeName(name: string): string {
  const base = path.basename(name.replace(/\\/g, '/')).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '');
  return (base || 'file').slice(0, 100);
}

export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function ref(dataDir: string, file: string, sha256: string, size: number, name: string, mime?: string): ArtifactRef {
  const r: ArtifactRef = { artifact: true, path: path.relative(dataDir, file).split(path.sep).join('/'), sha256, size, name };
  if (mime) r.mime = mime;
  return r;
}

/** Joins `rel` onto `root` and throws unless the result stays inside `root` (lexically). */
export function resolveInside(root: string, rel: string): string {
  if (rel.includes('\0')) throw new PathEscapeError('path contains a NUL byte');
  const abs = path.resolve(root, rel);
  if (abs !== root && !abs.startsWith(root + path.sep)) throw new PathEscapeError(`path escapes the data folder: ${rel}`);
  return abs;
}

/** Like resolveInside, and also follows symlinks: a link inside the folder pointing out is refused. */
export async function realpathInside(root: string, rel: string): Promise<string> {
  const abs = resolveInside(root, rel);
  const real = await realpath(abs);
  if (real !== root && !real.startsWith(root + path.sep)) throw new PathEscapeError(`path escapes the data folder through a link: ${rel}`);
  return real;
}
