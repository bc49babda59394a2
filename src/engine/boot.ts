import { resolveDataDir } from '../store/data-dir.ts';
import { Store } from '../store/store.ts';
import { Engine } from './engine.ts';
import { BUILTIN_WORKFLOWS_DIR, loadWorkflows } from './registry.ts';

export interface BootOptions {
  /** `--data-dir`; falls back to RAILBOOK_DATA_DIR, then ./data. */
  dataDir?: string | undefined;
  workflowsDir?: string | undefined;
}

/** Opens the data folder and loads the workflows: what every entry point (serve, run, tests) starts with. */
export async function bootEngine(opts: BootOptions = {}): Promise<Engine> {
  const dataDir = resolveDataDir(opts.dataDir);
  const registry = await loadWorkflows(opts.workflowsDir ?? process.env.RAILBOOK_WORKFLOWS_DIR ?? BUILTIN_WORKFLOWS_DIR);
  return Engine.start(await Store.open(dataDir), registry);
}
