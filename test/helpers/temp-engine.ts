import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../src/engine/engine.ts';
import { BUILTIN_WORKFLOWS_DIR, loadWorkflows } from '../../src/engine/registry.ts';
import { resolveDataDir } from '../../src/store/data-dir.ts';
import { Store } from '../../src/store/store.ts';

export const FIXTURE_WORKFLOWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/workflows');

export function tempDir(prefix = 'railbook-test-'): { dir: string; cleanup: () => void } {
  const dir = resolveDataDir(mkdtempSync(path.join(tmpdir(), prefix)));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real engine on a real SQLite file in a fresh temp folder, with the built-in and fixture workflows. */
export async function tempEngine(dataDir?: string): Promise<{ engine: Engine; dataDir: string; close: () => void }> {
  const tmp = dataDir ? { dir: dataDir, cleanup: () => {} } : tempDir();
  const registry = await loadWorkflows([BUILTIN_WORKFLOWS_DIR, FIXTURE_WORKFLOWS_DIR]);
  if (registry.errors.length) throw new Error(`workflows failed to load: ${registry.errors.map((e) => `${e.file}: ${e.message}`).join('; ')}`);
  const engine = new Engine(new Store(tmp.dir), registry);
  return {
    engine,
    dataDir: tmp.dir,
    close: () => {
      engine.shutdown();
      engine.store.close();
      tmp.cleanup();
    },
  };
}
