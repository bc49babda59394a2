import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, type EngineOptions } from '../../src/engine/engine.ts';
import { BUILTIN_WORKFLOWS_DIR, loadWorkflows } from '../../src/engine/registry.ts';
import { resolveDataDir } from '../../src/store/data-dir.ts';
import { Store } from '../../src/store/store.ts';
import type { Backend } from './backends.ts';
import { freshDatabase } from './postgres.ts';

export const FIXTURE_WORKFLOWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/workflows');

export function tempDir(prefix = 'railbook-test-'): { dir: string; cleanup: () => void } {
  const dir = resolveDataDir(mkdtempSync(path.join(tmpdir(), prefix)));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TempEngineOptions {
  /** An existing data folder (it is then not removed on close). */
  dataDir?: string | undefined;
  /** `sqlite` (default) or `postgres` (a fresh database on the test PostgreSQL). */
  backend?: Backend | undefined;
  /** An existing PostgreSQL database (a second engine on the same one, as a second process would be). */
  databaseUrl?: string | undefined;
  engine?: EngineOptions | undefined;
}

export interface TempEngine {
  engine: Engine;
  dataDir: string;
  backend: Backend;
  /** The PostgreSQL database, when the backend is postgres. */
  databaseUrl: string | undefined;
  close: () => Promise<void>;
}

/**
 * A real engine on a real database — a SQLite file in a fresh temp folder, or a fresh database
 * on the test PostgreSQL — with the built-in and fixture workflows.
 */
export async function tempEngine(opts: string | TempEngineOptions = {}): Promise<TempEngine> {
  const o: TempEngineOptions = typeof opts === 'string' ? { dataDir: opts } : opts;
  const backend: Backend = o.databaseUrl ? 'postgres' : (o.backend ?? 'sqlite');
  const tmp = o.dataDir ? { dir: o.dataDir, cleanup: () => {} } : tempDir();
  const db = backend === 'postgres' && !o.databaseUrl ? await freshDatabase() : undefined;
  const databaseUrl = o.databaseUrl ?? db?.url;
  const registry = await loadWorkflows([BUILTIN_WORKFLOWS_DIR, FIXTURE_WORKFLOWS_DIR]);
  if (registry.errors.length) throw new Error(`workflows failed to load: ${registry.errors.map((e) => `${e.file}: ${e.message}`).join('; ')}`);
  const engine = await Engine.start(await Store.open(tmp.dir, { databaseUrl }), registry, o.engine);
  return {
    engine,
    dataDir: tmp.dir,
    backend,
    databaseUrl,
    close: async () => {
      await engine.shutdown();
      await engine.store.close();
      await db?.drop();
      tmp.cleanup();
    },
  };
}
