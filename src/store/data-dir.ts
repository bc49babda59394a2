import { mkdirSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** `--data-dir` wins over `RAILBOOK_DATA_DIR`, which wins over `./data`. */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.RAILBOOK_DATA_DIR ?? 'data';
  const abs = path.resolve(chosen);
  mkdirSync(abs, { recursive: true });
  // Resolve symlinks once so that later containment checks compare real paths.
  return realpathSync(abs);
}
