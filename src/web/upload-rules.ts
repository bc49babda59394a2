import { fieldUploadLimit } from '../engine/upload-limit.ts';
import { uploadTempDir } from '../store/uploaded-file.ts';
import { isUploadField } from '../widgets/file-upload.tsx';
import type { Fields } from '../widgets/widget.ts';
import type { MultipartRules } from './multipart.ts';

/** Largest form without a file: far above any text a person types, far below harm. */
export const FORM_MAX_BYTES = 2 * 1024 * 1024;

/** Each file field of a step and the largest file it takes: its own `maxBytes` if narrower, else the app's limit. */
export function fileLimits(fields: Fields, maxUploadBytes: number): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const [name, w] of Object.entries(fields)) if (isUploadField(w)) limits[name] = fieldUploadLimit(w.maxBytes, maxUploadBytes);
  return limits;
}

/** How a step's multipart form is read, or undefined for a step without file fields (which takes no multipart). */
export function uploadRules(fields: Fields, maxUploadBytes: number, dataDir: string): MultipartRules | undefined {
  const limits = fileLimits(fields, maxUploadBytes);
  if (Object.keys(limits).length === 0) return undefined;
  return { fileLimits: limits, maxTextBytes: FORM_MAX_BYTES, tmpDir: uploadTempDir(dataDir) };
}
