import type { Store, StoreTx } from '../store/store.ts';
import { now } from './clock.ts';
import { EngineError } from './errors.ts';
import { formatRunKey, validateRunKey } from './run-key.ts';
import { newRunState, type RunState } from './run-state.ts';
import type { Workflow } from './workflow.ts';

/** What opening a run needs of the engine. */
export interface OpenHost {
  store: Store;
  /** The run's state, with steps of dead processes marked interrupted. */
  get(key: string): Promise<RunState>;
  /** Inside a transaction: marks the run's orphaned steps interrupted (see orphans.ts). */
  reap(tx: StoreTx, st: RunState): Promise<RunState>;
}

/** The key a new run of this workflow in this profile (default: the current one) would get. */
export async function nextRunKey(store: Store, workflowId: string, profile?: string): Promise<string> {
  profile ??= await store.profiles.current();
  let n = (await store.runs.maxNumber(profile, workflowId)) + 1;
  while (await store.runs.exists(formatRunKey(profile, workflowId, n))) n++;
  return formatRunKey(profile, workflowId, n);
}

/**
 * Creates a run, or resumes it if the key exists. Without a key, takes the next free number of
 * the profile and workflow — never one a deleted run had (`run_numbers`).
 */
export async function openRun(
  host: OpenHost,
  wf: Workflow,
  opts: { key?: string | undefined; profile?: string | undefined },
): Promise<{ state: RunState; created: boolean }> {
  const { store } = host;
  const typed = opts.key !== undefined && opts.key.trim() !== '' ? validateRunKey(opts.key) : undefined;
  // Resuming an existing run needs no profile: that is looked up only to create one.
  if (typed && opts.profile === undefined) {
    const existing = await store.runs.summary(typed);
    if (existing?.workflow === wf.id) return { state: await host.get(typed), created: false };
  }
  const profile = opts.profile ?? (await store.profiles.current());
  if (!(await store.profiles.exists(profile))) throw new EngineError('not_found', `no profile "${profile}"`);
  return store.tx(async (tx) => {
    // Two processes creating the same key, or numbering runs of the same workflow, take turns.
    await tx.lock(typed ? `run:${typed}` : `numbers:${JSON.stringify([profile, wf.id])}`);
    if (typed) {
      const existing = await tx.runs.lock(typed);
      if (existing) {
        if (existing.workflow !== wf.id) throw new EngineError('workflow_mismatch', `run "${typed}" belongs to workflow "${existing.workflow}", not "${wf.id}"`);
        return { state: await host.reap(tx, existing), created: false };
      }
    }
    let number: number | null = null;
    let key = typed;
    if (!key) {
      number = (await tx.runs.maxNumber(profile, wf.id)) + 1;
      while (await tx.runs.exists(formatRunKey(profile, wf.id, number))) number++;
      key = formatRunKey(profile, wf.id, number);
      // A key typed by someone else may be this very one: take its lock too.
      await tx.lock(`run:${key}`);
    }
    const t = now();
    const state = newRunState(wf.id, key, profile, wf.steps.map((s) => s.id), t);
    // A notebook read from anywhere is known to this process only: the run remembers the file.
    if (wf.origin) state.origin = { kind: wf.origin.kind, file: wf.origin.file };
    await tx.runs.insert(state, number);
    await tx.events.append(key, t, 'created', null, { workflow: wf.id, profile });
    return { state, created: true };
  });
}
