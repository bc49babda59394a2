import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { Workflow } from './workflow.ts';

export interface LoadError {
  file: string;
  message: string;
}

/** The workflows this process knows, by id. */
export class Registry {
  private readonly byId = new Map<string, Workflow>();
  readonly errors: LoadError[] = [];

  constructor(workflows: Workflow[] = []) {
    for (const wf of workflows) this.add(wf);
  }

  add(wf: Workflow): void {
    if (this.byId.has(wf.id)) throw new Error(`two workflows have the id "${wf.id}"`);
    this.byId.set(wf.id, wf);
  }

  get(id: string): Workflow | undefined {
    return this.byId.get(id);
  }

  list(): Workflow[] {
    return [...this.byId.values()].sort((a, b) => a.title.localeCompare(b.title));
  }
}

/** The repository's own `workflows/` folder. */
export const BUILTIN_WORKFLOWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows');

/**
 * Imports every workflow file in `dir` (one workflow per file, its default export). A file
 * that fails to load is reported in `registry.errors` instead of taking the app down with it.
 */
export async function loadWorkflows(dir: string = BUILTIN_WORKFLOWS_DIR): Promise<Registry> {
  const reg = new Registry();
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => /\.(ts|tsx|js|mjs)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('_')).sort();
  } catch {
    return reg;
  }
  for (const f of files) {
    const file = path.join(dir, f);
    try {
      const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
      const wf = mod.default;
      if (!isWorkflow(wf)) throw new Error('its default export is not a workflow (export default workflow({...}).step(...))');
      reg.add(wf);
    } catch (e) {
      reg.errors.push({ file, message: e instanceof Error ? e.message : String(e) });
    }
  }
  return reg;
}

function isWorkflow(v: unknown): v is Workflow {
  const w = v as Partial<Workflow> | null | undefined;
  return typeof w === 'object' && w !== null && typeof w.id === 'string' && typeof w.title === 'string' && Array.isArray(w.steps);
}
