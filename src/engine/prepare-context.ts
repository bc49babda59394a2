import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Artifacts } from '../store/artifacts.ts';
import { hashFile, safeName } from '../store/artifacts.ts';
import type { PrepareContext } from '../widgets/widget.ts';
import { DEFAULT_MAX_UPLOAD_BYTES } from './upload-limit.ts';

/**
 * Stores uploads and local files as artifacts of the run. `created` collects the files newly
 * written, so that a submit that is refused after all can remove what it stored.
 */
export function livePrepareContext(artifacts: Artifacts, runKey: string, baseDir = process.cwd(), created: string[] = [], maxUploadBytes = DEFAULT_MAX_UPLOAD_BYTES): PrepareContext {
  const onCreated = (f: string) => created.push(f);
  return {
    dataDir: artifacts.dataDir,
    maxUploadBytes,
    storeBytes: (name, data, mime) => artifacts.writeBytes(runKey, name, data, mime, onCreated),
    storeUpload: (file, name, mime) => artifacts.adopt(runKey, file, { name, mime, onCreated }),
    storeFile: (p, name, mime) => artifacts.copyFrom(runKey, path.resolve(baseDir, p), { name, mime, onCreated }),
    localPath: (p) => path.resolve(baseDir, p),
  };
}

/**
 * Checks files exist and hashes them, writing nothing: lets `railbook run` validate a whole
 * job file before it creates the run, so a bad file leaves no trace.
 */
export function dryPrepareContext(dataDir: string, runKey: string, baseDir = process.cwd(), maxUploadBytes = DEFAULT_MAX_UPLOAD_BYTES): PrepareContext {
  const fake = (name: string, sha256: string, size: number) =>
    ({ artifact: true as const, path: `artifacts/${runKey}/${sha256.slice(0, 12)}-${safeName(name)}`, sha256, size, name });
  return {
    dataDir,
    maxUploadBytes,
    storeUpload: async (file, name) => fake(name?.trim() || file.name || 'upload', file.sha256, file.size),
    localPath: (p) => path.resolve(baseDir, p),
    storeBytes: async (name, data) => fake(name, createHash('sha256').update(data).digest('hex'), data.byteLength),
    storeFile: async (rel, name) => {
      const p = path.resolve(baseDir, rel);
      const st = await stat(p).catch(() => undefined);
      if (!st) throw new Error(`file not found: ${p}`);
      if (!st.isFile()) throw new Error(`not a regular file: ${p}`);
      return fake(name?.trim() || path.basename(p), await hashFile(p), st.size);
    },
  };
}
