// Revert and its undo. A revert records, in its `reverted` event, every step state it changed
// exactly as it was; undo puts those back, as long as nothing has changed the run since.
import { statSync } from 'node:fs';
import { isArtifactRef, type ArtifactRef } from '../store/artifact-ref.ts';
import type { EventType, RunEvent } from '../store/event-log.ts';
import type { Artifacts } from '../store/artifacts.ts';
import type { StoreTx } from '../store/store.ts';
import { EngineError } from './errors.ts';
import { emptyStep, type RunState, type StepState } from './run-state.ts';
import type { AnyStep, Workflow } from './workflow.ts';

/** What a `reverted` event's detail holds under `snapshot`. */
export interface RevertSnapshot {
  version: 1;
  /** Each step the revert changed, as it was just before, in workflow order. */
  steps: { id: string; before: StepState }[];
}

/** One step a revert takes an output (or running work) from: what the confirmation lists. */
export interface ClearedStep {
  id: string;
  /** 1-based position in the workflow. */
  number: number;
  title: string;
  /** `work`: its code ran and made the output; `input`: its output is what was entered; `running`: stopped midway. */
  kind: 'work' | 'input' | 'running';
  /** How long its work took (or has been running), if it has work and the times are known. */
  ms: number | null;
}

export interface RevertPreview {
  stepId: string;
  /** Steps that lose an output or running work, in workflow order. Empty: nothing worth confirming. */
  cleared: ClearedStep[];
  /** Sum of `ms` over the cleared steps. */
  totalMs: number;
  /** The run's `updated` when previewed: a confirmation made on an older view can be told apart. */
  updated: string;
}

/** What undo would bring back, for the run page's offer. */
export interface UndoOffer {
  /** The step the run was reverted to. */
  stepId: string;
  at: string;
  /** Steps undo restores that held an output (or were running); the rest only get their input back. */
  restores: ClearedStep[];
}

/** Gives the revert what it needs of the engine without handing it the engine. */
export interface RevertHost {
  /** The run's transaction. */
  tx: StoreTx;
  artifacts: Artifacts;
  /** This process's owner id (executions of other processes cannot be stopped from here). */
  owner: string;
  /** Aborts a step executing in this process. */
  stop(key: string, stepId: string): void;
}

interface Change {
  step: AnyStep;
  index: number;
  before: StepState;
  after: StepState;
}

/** A step's state before a revert, with what the confirmation and the undo offer say about it. */
interface Before {
  id: string;
  index: number;
  title: string;
  hasWork: boolean;
  before: StepState;
}

const described = (c: Change): Before => ({ id: c.step.id, index: c.index, title: c.step.title, hasWork: !!c.step.run, before: c.before });

/**
 * The steps a revert to `stepId` changes, as they are and as they will be; none if the step
 * already asks for input. Throws the revert's refusals (finalized, out of order).
 */
export function planRevert(st: RunState, wf: Workflow, stepId: string): Change[] {
  if (st.finalized) throw new EngineError('finalized', `run "${st.key}" is finalized; unfinalize it before reverting`);
  const idx = wf.steps.findIndex((s) => s.id === stepId);
  const firstOpen = wf.steps.findIndex((s) => st.steps[s.id]?.status !== 'done');
  if (firstOpen >= 0 && idx > firstOpen) {
    throw new EngineError('out_of_order', `cannot revert to "${stepId}": step "${wf.steps[firstOpen]!.id}" before it is not done yet`);
  }
  // Reverting to the step that already asks for input changes nothing.
  const target = st.steps[stepId]?.status ?? 'pending';
  if (target !== 'done' && target !== 'running') return [];
  const changes: Change[] = [];
  wf.steps.forEach((step, index) => {
    if (index < idx) return;
    const before = st.steps[step.id] ?? emptyStep();
    // The reverted step keeps its input so its form comes back as it was; later steps keep
    // theirs only if they asked to.
    const keep = index === idx || step.keepOnRevert === true;
    const after: StepState = { ...emptyStep(), input: keep ? before.input : null };
    if (JSON.stringify(before) !== JSON.stringify(after)) changes.push({ step, index, before, after });
  });
  return changes;
}

/** What a revert to `stepId` would clear, without clearing it. */
export function previewRevert(st: RunState, wf: Workflow, stepId: string, nowMs: number): RevertPreview {
  const idx = wf.steps.findIndex((s) => s.id === stepId);
  const cleared = lostOutputs(planRevert(st, wf, stepId).map(described), idx, nowMs);
  return { stepId, cleared, totalMs: cleared.reduce((sum, c) => sum + (c.ms ?? 0), 0), updated: st.updated };
}

/** Inside the run's transaction: reverts, recording the snapshot undo needs. False if nothing changed. */
export async function applyRevert(host: RevertHost, st: RunState, wf: Workflow, stepId: string, t: string): Promise<boolean> {
  const changes = planRevert(st, wf, stepId);
  if (changes.length === 0) return false;
  const running = changes.filter((c) => c.before.status === 'running');
  for (const c of running) {
    const ex = await host.tx.executions.get(st.key, c.step.id);
    if (ex && ex.owner !== host.owner) {
      throw new EngineError('running', `step "${c.step.id}" is running in another Railbook process (pid ${ex.pid}); stop it there first`);
    }
  }
  for (const c of running) {
    host.stop(st.key, c.step.id);
    await host.tx.events.append(st.key, t, 'cancelled', c.step.id, { reason: 'reverted' });
  }
  for (const c of changes) st.steps[c.step.id] = c.after;
  const snapshot: RevertSnapshot = { version: 1, steps: changes.map((c) => ({ id: c.step.id, before: c.before })) };
  await host.tx.events.append(st.key, t, 'reverted', stepId, { snapshot });
  return true;
}

/** Events that leave a run's steps as they were: they do not end the chance to undo a revert. */
const NEUTRAL: ReadonlySet<EventType> = new Set<EventType>(['profile_renamed', 'archived', 'unarchived']);

/** How many of the newest events are read to find the revert to undo (neutral events are rare). */
export const UNDO_LOOKBACK = 50;

/**
 * The revert that undo would reverse: the newest event that changed the run's steps, if it is a
 * revert with a snapshot. "Until the next submit", precisely: until any later event changes the
 * run's steps or lock (submit, another revert, an undo, finalize…). `events` is newest first.
 */
export function undoableRevert(events: RunEvent[]): { event: RunEvent; snapshot: RevertSnapshot } | { reason: string } {
  const changes = events.filter((e) => !NEUTRAL.has(e.type));
  const last = changes[0];
  if (last?.type === 'reverted') {
    const snapshot = asSnapshot(last.detail?.snapshot);
    return snapshot ? { event: last, snapshot } : { reason: 'this revert was made by an older Railbook that kept no copy of the cleared steps' };
  }
  const i = changes.findIndex((e) => e.type === 'reverted' || e.type === 'revert_undone');
  if (i < 0) return { reason: 'there is no revert to undo' };
  if (changes[i]!.type === 'revert_undone') return { reason: 'the last revert was already undone' };
  const since = changes.slice(0, i);
  const rule = 'a revert can be undone only until the run changes again';
  const submitted = since.findLast((e) => e.type === 'submitted');
  if (submitted) return { reason: `step "${submitted.step}" was submitted after the revert (${rule})` };
  if (since.some((e) => e.type === 'finalized')) return { reason: `the run was finalized after the revert (${rule})` };
  return { reason: `the run changed after the revert ("${since.at(-1)!.type}"; ${rule})` };
}

/** Inside the run's transaction: restores the steps the last revert cleared. */
export async function applyUndo(host: RevertHost, st: RunState, t: string): Promise<{ stepId: string; restored: string[] }> {
  if (st.finalized) throw new EngineError('finalized', `run "${st.key}" is finalized; unfinalize it before undoing a revert`);
  const found = undoableRevert(await host.tx.events.forRun(st.key, UNDO_LOOKBACK));
  if ('reason' in found) throw new EngineError('undo_unavailable', `cannot undo: ${found.reason}`);
  const missing = missingArtifacts(found.snapshot, (p) => host.artifacts.resolve(p));
  if (missing.length) {
    const names = missing.slice(0, 3).map((r) => r.path).join(', ') + (missing.length > 3 ? ', …' : '');
    throw new EngineError('artifacts_missing', `cannot undo the revert: ${missing.length} file${missing.length === 1 ? '' : 's'} the cleared steps refer to ${missing.length === 1 ? 'is' : 'are'} missing or changed in the data folder (${names}); run those steps again instead`);
  }
  const restored: string[] = [];
  for (const { id, before } of found.snapshot.steps) {
    // A step stopped by the revert cannot resume its work: it comes back ready to re-run.
    st.steps[id] = before.status === 'running'
      ? { ...before, status: 'interrupted', finishedAt: found.event.at, error: 'it was stopped by a revert before it finished; run it again' }
      : structuredClone(before);
    restored.push(id);
  }
  await host.tx.events.append(st.key, t, 'revert_undone', found.event.step, { revert: found.event.id, steps: restored });
  return { stepId: found.event.step ?? '', restored };
}

/** What undo would restore now, or undefined when there is nothing it may undo. */
export function undoOffer(st: RunState, wf: Workflow | undefined, events: RunEvent[]): UndoOffer | undefined {
  if (st.finalized) return undefined;
  const found = undoableRevert(events);
  if ('reason' in found) return undefined;
  const steps = wf?.steps ?? [];
  const idx = steps.findIndex((s) => s.id === found.event.step);
  const befores = found.snapshot.steps.map(({ id, before }): Before => {
    // A step since removed from the workflow file is still named, by its id.
    const index = steps.findIndex((s) => s.id === id);
    const step = steps[index];
    return { id, index, title: step?.title ?? id, hasWork: step ? !!step.run : before.startedAt !== before.finishedAt, before };
  });
  return { stepId: found.event.step ?? '', at: found.event.at, restores: lostOutputs(befores, idx, Date.parse(found.event.at)) };
}

/** Every artifact the snapshot's inputs and outputs refer to whose file is gone or no longer its size. */
export function missingArtifacts(snapshot: RevertSnapshot, resolve: (relPath: string) => string): ArtifactRef[] {
  const refs: ArtifactRef[] = [];
  for (const { before } of snapshot.steps) collectRefs([before.input, before.output], refs);
  // An upload's input and output refer to the same file: check (and name) each file once.
  const unique = [...new Map(refs.map((r) => [r.path, r])).values()];
  return unique.filter((r) => {
    try {
      const st = statSync(resolve(r.path));
      return !st.isFile() || (typeof r.size === 'number' && st.size !== r.size);
    } catch {
      return true;
    }
  });
}

function collectRefs(v: unknown, into: ArtifactRef[]): void {
  if (isArtifactRef(v)) into.push(v);
  else if (Array.isArray(v)) for (const x of v) collectRefs(x, into);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) collectRefs(x, into);
}

/** The changes that take an output or running work away, with how long that work took. */
function lostOutputs(steps: Before[], targetIndex: number, nowMs: number): ClearedStep[] {
  const out: ClearedStep[] = [];
  for (const c of steps) {
    const b = c.before;
    const base = { id: c.id, number: c.index + 1, title: c.title };
    if (b.status === 'running') {
      out.push({ ...base, kind: 'running', ms: span(b.startedAt, new Date(nowMs).toISOString()) });
    } else if (b.status === 'done' && c.hasWork) {
      out.push({ ...base, kind: 'work', ms: span(b.startedAt, b.finishedAt) });
    } else if (b.status === 'done' && c.index !== targetIndex) {
      // A step without work keeps nothing of its own once cleared, but its input is all it took.
      out.push({ ...base, kind: 'input', ms: null });
    }
  }
  return out;
}

function span(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

function asSnapshot(v: unknown): RevertSnapshot | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const s = v as Partial<RevertSnapshot>;
  if (s.version !== 1 || !Array.isArray(s.steps)) return undefined;
  return s.steps.every((x) => typeof x?.id === 'string' && typeof x.before === 'object' && x.before !== null) ? (s as RevertSnapshot) : undefined;
}
