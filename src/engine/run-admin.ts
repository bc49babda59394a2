import { lstat, readdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Store } from '../store/store.ts';
import { now } from './clock.ts';
import { EngineError } from './errors.ts';
import type { RunState } from './run-state.ts';
import { summarizeRun } from './run-summary.ts';
import type { Workflow } from './workflow.ts';

/** What a run holds, as a person deciding whether to delete it needs to know. */
export interface RunInventory {
  key: string;
  workflow: string;
  profile: string;
  finalized: string | null;
  archived: string | null;
  /** Steps done, of the workflow's steps. */
  stepsDone: number;
  stepsTotal: number;
  /** Steps executing right now: the run cannot be deleted until they are stopped. */
  running: string[];
  artifactFiles: number;
  artifactBytes: number;
}

/** What run administration needs from the engine (kept narrow so the engine stays the one door). */
export interface AdminHost {
  store: Store;
  /** The run's state, with steps of dead processes marked interrupted. */
  get(key: string): Promise<RunState>;
  workflow(id: string): Workflow | undefined;
  /** Whether this process still executes a step of the run (a stopped step may still be winding down). */
  executing(key: string): boolean;
  changed(key: string): void;
}

/**
 * Archive, unarchive and delete. Archiving only hides a run from lists: it stays whole and can
 * still be opened by its key and worked on. Deleting removes the run's row, events, executions and
 * artifacts folder; it is refused while a step of the run is running.
 */
export class RunAdmin {
  constructor(private readonly host: AdminHost) {}

  archive(key: string): Promise<RunState> {
    return this.setArchived(key, true);
  }

  unarchive(key: string): Promise<RunState> {
    return this.setArchived(key, false);
  }

  /** What deleting the run would remove; `running` names steps that must be stopped first. */
  async inventory(key: string): Promise<RunInventory> {
    const state = await this.host.get(key);
    const facts = summarizeRun(state, this.host.workflow(state.workflow));
    const files = await countFiles(this.artifactsDir(key));
    return {
      key,
      workflow: state.workflow,
      profile: state.profile,
      finalized: state.finalized,
      archived: state.archived ?? null,
      stepsDone: facts.done,
      stepsTotal: facts.total,
      running: Object.entries(state.steps).filter(([, s]) => s.status === 'running').map(([id]) => id),
      artifactFiles: files.count,
      artifactBytes: files.bytes,
    };
  }

  /** Deletes the run and its artifacts; resolves with what was removed. */
  async delete(key: string): Promise<RunInventory> {
    const before = await this.inventory(key);
    const { store } = this.host;
    await store.tx(async (tx) => {
      const st = await tx.runs.lock(key);
      if (!st) throw new EngineError('not_found', `no run "${key}"`);
      const running = Object.entries(st.steps).filter(([, s]) => s.status === 'running').map(([id]) => id);
      if (running.length) {
        throw new EngineError('running', `run "${key}" has a step running (${running.map((s) => `"${s}"`).join(', ')}); stop it first, then delete the run`);
      }
      if (this.host.executing(key)) {
        throw new EngineError('running', `a step of run "${key}" is still stopping; try again in a moment`);
      }
      await tx.runs.delete(key);
    });
    // The rows are gone; now the files. Renamed first so a run created later under the same
    // key never sees a half-removed folder.
    const dir = this.artifactsDir(key);
    // A leading dot: no run key can start with one, so this never names another run's folder.
    const doomed = path.join(path.dirname(dir), `.deleting-${key}-${randomBytes(4).toString('hex')}`);
    try {
      await rename(dir, doomed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw folderError(key, dir, e);
    }
    try {
      await rm(doomed, { recursive: true, force: true });
    } catch (e) {
      throw folderError(key, doomed, e);
    }
    this.host.changed(key);
    return before;
  }

  private async setArchived(key: string, archived: boolean): Promise<RunState> {
    const { store } = this.host;
    await this.host.get(key); // not_found, and orphaned steps reaped, before taking the lock
    let changed = false;
    const state = await store.tx(async (tx) => {
      const st = await tx.runs.lock(key);
      if (!st) throw new EngineError('not_found', `no run "${key}"`);
      if ((st.archived != null) === archived) return st;
      const t = now();
      // Archiving is not work on the run: its `updated` time stays what it was.
      st.archived = archived ? t : null;
      await tx.runs.update(st);
      await tx.events.append(key, t, archived ? 'archived' : 'unarchived', null);
      changed = true;
      return st;
    });
    if (changed) this.host.changed(key);
    return state;
  }

  /** `<dataDir>/artifacts/<key>`, checked to be exactly one folder below `artifacts/`. */
  private artifactsDir(key: string): string {
    const dir = this.host.store.artifacts.dirFor(key);
    const root = path.join(this.host.store.dataDir, 'artifacts');
    if (path.dirname(dir) !== root || path.basename(dir) !== key) throw new EngineError('bad_key', `run key "${key}" does not name a folder inside ${root}`);
    return dir;
  }
}

function folderError(key: string, dir: string, e: unknown): Error {
  return new Error(`run "${key}" was deleted, but its artifacts folder could not be removed (${(e as Error).message}); remove ${dir} by hand`);
}

/** Files below `dir` and their total size; links are counted, not followed. */
async function countFiles(dir: string): Promise<{ count: number; bytes: number }> {
  let count = 0;
  let bytes = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { count, bytes };
    throw e;
  }
  for (const e of entries) {
    if (e.isDirectory()) continue;
    count++;
    try {
      bytes += (await lstat(path.join(e.parentPath, e.name))).size;
    } catch {
      // Gone meanwhile: nothing to count.
    }
  }
  return { count, bytes };
}
