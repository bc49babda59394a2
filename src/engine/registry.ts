import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Workflow } from './workflow.ts';

export interface LoadError {
  file: string;
  message: string;
}

/** The repository's own `workflows/` folder. */
export const BUILTIN_WORKFLOWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../workflows');

/** Workflow files are .ts/.tsx/.js/.mjs; `_name.ts` files are helpers, not workflows. */
export function isWorkflowFile(name: string): boolean {
  return /\.(ts|tsx|js|mjs)$/.test(name) && !name.endsWith('.d.ts') && !name.startsWith('_') && !name.startsWith('.');
}

/**
 * Turns a file into a workflow. A folder is read with one loader: workflow files are imported as
 * modules (the default); a notebooks folder's files are read and converted (src/notebooks).
 */
export interface WorkflowLoader {
  /** What it reads, for messages ("workflow file", "notebook"). */
  readonly kind: string;
  /** Which files of its folder are workflows (by name). */
  accepts(name: string): boolean;
  /** Builds the workflow; throws an Error whose message says what is wrong with the file. */
  load(file: string, version: string): Promise<Workflow>;
}

/** Workflow files: ES modules whose default export is the workflow. */
export const moduleLoader: WorkflowLoader = {
  kind: 'workflow file',
  accepts: isWorkflowFile,
  async load(file, version) {
    const mod = (await import(pathToFileURL(file).href + version)) as { default?: unknown };
    const wf = mod.default;
    if (!isWorkflow(wf)) throw new Error('its default export is not a workflow (export default workflow({...}).step(...))');
    return wf;
  },
};

/**
 * The workflows this process knows, by id, and which file each came from. A file can be
 * (re)loaded on its own — the server does that when a workflow file is saved — so a change to
 * a workflow applies to the next step submitted, without a restart.
 */
export class Registry {
  private readonly byId = new Map<string, Workflow>();
  private readonly idOfFile = new Map<string, string>();
  /** Which loader reads each folder's files (folders not listed: moduleLoader). */
  private readonly loaders = new Map<string, WorkflowLoader>();
  private loads = 0;
  /** Files that failed to load, and why (kept in sync as files are reloaded). */
  readonly errors: LoadError[] = [];

  constructor(workflows: Workflow[] = []) {
    for (const wf of workflows) this.add(wf);
  }

  add(wf: Workflow, file?: string): void {
    if (this.byId.has(wf.id)) throw new Error(`two workflows have the id "${wf.id}"`);
    this.byId.set(wf.id, wf);
    if (file) this.idOfFile.set(file, wf.id);
  }

  get(id: string): Workflow | undefined {
    return this.byId.get(id);
  }

  list(): Workflow[] {
    return [...this.byId.values()].sort((a, b) => a.title.localeCompare(b.title));
  }

  /** Loads every workflow of a folder, read by `loader` (which later reloads of its files use too). */
  async loadDir(dir: string, loader: WorkflowLoader = moduleLoader): Promise<void> {
    dir = path.resolve(dir);
    this.loaders.set(dir, loader);
    if (!existsSync(dir)) {
      this.setError(dir, `no such ${loader === moduleLoader ? 'workflows' : `${loader.kind}s`} folder`);
      return;
    }
    const files = readdirSync(dir).filter((f) => loader.accepts(f)).sort();
    for (const f of files) await this.loadFile(path.join(dir, f));
  }

  /** The loader of a folder loaded with loadDir (else the module loader). */
  loaderFor(file: string): WorkflowLoader {
    return this.loaders.get(path.dirname(path.resolve(file))) ?? moduleLoader;
  }

  /** Is `file` one this registry would load (a workflow of a known folder)? */
  accepts(file: string): boolean {
    return this.loaderFor(file).accepts(path.basename(file));
  }

  /**
   * Imports (or re-imports) one workflow file, with its folder's loader unless `loader` is given
   * (`railbook run notebook.ipynb` reads a notebook from anywhere). On failure the error is recorded and the
   * previously loaded version, if any, stays in service. A file that no longer exists is
   * removed.
   */
  async loadFile(file: string, loader?: WorkflowLoader): Promise<void> {
    this.clearError(file);
    const previous = this.idOfFile.get(file);
    if (!existsSync(file)) {
      if (previous) this.byId.delete(previous);
      this.idOfFile.delete(file);
      return;
    }
    try {
      // The modification time in the URL makes Node import the new version instead of its
      // cached one (a failed import is cached too, so even a first load carries it).
      const version = `?v=${statSync(file).mtimeMs}.${++this.loads}`;
      const wf = await (loader ?? this.loaderFor(file)).load(file, version);
      if (this.byId.has(wf.id) && wf.id !== previous) {
        const other = [...this.idOfFile].find(([, id]) => id === wf.id)?.[0];
        throw new Error(`two workflows have the id "${wf.id}"${other ? ` (the other is ${other})` : ''}`);
      }
      if (previous) this.byId.delete(previous);
      this.byId.set(wf.id, wf);
      this.idOfFile.set(file, wf.id);
    } catch (e) {
      this.setError(file, e instanceof Error ? e.message : String(e));
    }
  }

  private setError(file: string, message: string): void {
    this.clearError(file);
    this.errors.push({ file, message });
  }

  private clearError(file: string): void {
    const i = this.errors.findIndex((e) => e.file === file);
    if (i >= 0) this.errors.splice(i, 1);
  }
}

/** Loads the workflows of one or several folders into one registry. Broken files become load errors, not crashes. */
export async function loadWorkflows(dirs: string | readonly string[] = BUILTIN_WORKFLOWS_DIR): Promise<Registry> {
  const reg = new Registry();
  for (const dir of typeof dirs === 'string' ? [dirs] : dirs) await reg.loadDir(path.resolve(dir));
  return reg;
}

function isWorkflow(v: unknown): v is Workflow {
  const w = v as Partial<Workflow> | null | undefined;
  return typeof w === 'object' && w !== null && typeof w.id === 'string' && typeof w.title === 'string' && Array.isArray(w.steps);
}
