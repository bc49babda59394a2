import type { Engine } from '../../engine/engine.ts';
import type { RunState } from '../../engine/run-state.ts';
import type { Workflow } from '../../engine/workflow.ts';
import type { RunView } from '../views/run-page.tsx';
import type { RunLive } from '../views/run-bar.tsx';
import type { CardModel } from '../views/step-card.tsx';
import { renderContext } from './common.ts';
import { RUN_PICKER_MAX_SHOWN, type RunChoice } from '../../widgets/index.ts';

/** What a form shows after a rejected submit: the values sent and a message per field. */
export interface FormOverride {
  stepId: string;
  values: Record<string, unknown>;
  errors: Record<string, string>;
}

export async function cardModel(engine: Engine, wf: Workflow, state: RunState, index: number, csrf: string, override?: FormOverride): Promise<CardModel> {
  const step = wf.steps[index]!;
  const s = state.steps[step.id];
  const status = s?.status ?? 'pending';
  const mine = override?.stepId === step.id ? override : undefined;
  return {
    wfId: wf.id,
    runKey: state.key,
    step,
    number: index + 1,
    status,
    finalized: state.finalized !== null,
    changed: status === 'done' && step.version !== undefined && s?.version !== undefined && s.version !== step.version,
    output: s?.output ?? null,
    error: s?.error,
    startedAt: s?.startedAt ?? null,
    finishedAt: s?.finishedAt ?? null,
    values: mine ? mine.values : status === 'done' || status === 'running' ? {} : engine.formValues(state, step.id),
    errors: mine?.errors ?? {},
    progress: status === 'running' ? await engine.progress(state.key, step.id) : undefined,
    partial: status === 'running' ? engine.partial(state.key, step.id) : undefined,
    renderCtx: renderContext(state),
    csrf,
    maxUploadBytes: engine.maxUploadBytes,
    runChoices: status === 'done' || status === 'running' ? undefined : await runChoices(engine, step, state.profile),
  };
}

/** The runs offered by the step's run pickers: the newest of that workflow in the same profile. */
async function runChoices(engine: Engine, step: Workflow['steps'][number], profile: string): Promise<Record<string, RunChoice[]> | undefined> {
  let out: Record<string, RunChoice[]> | undefined;
  for (const [name, w] of Object.entries(step.fields)) {
    if (!w.runsOf) continue;
    const runs = await engine.store.runs.list({ workflow: w.runsOf, profile, limit: RUN_PICKER_MAX_SHOWN });
    (out ??= {})[name] = runs.map((r) => ({ key: r.key, number: r.number, created: r.created, updated: r.updated, finalized: r.finalized !== null }));
  }
  return out;
}

/** Index of the first step that is not done, or -1 when every step is done. */
export function firstOpen(wf: Workflow, state: RunState): number {
  return wf.steps.findIndex((s) => state.steps[s.id]?.status !== 'done');
}

/** "Run all cells": every done step, then the first open one; later steps are not shown yet. */
export async function runView(engine: Engine, wf: Workflow, state: RunState, csrf: string, opts: { override?: FormOverride | undefined; notice?: string | undefined } = {}): Promise<RunView> {
  const open = firstOpen(wf, state);
  const last = open < 0 ? wf.steps.length - 1 : open;
  const cards: CardModel[] = [];
  for (let i = 0; i <= last; i++) cards.push(await cardModel(engine, wf, state, i, csrf, opts.override));
  return { wf, state, cards, complete: open < 0, csrf, notice: opts.notice, live: await runLive(engine, state.key) };
}

/** The run's live resources, whether "run all" is going on, and where it stands on the queue, for the run bar. */
export async function runLive(engine: Engine, key: string): Promise<RunLive> {
  const canQueue = engine.store.backend === 'postgres';
  const q = canQueue ? await engine.store.queue.get(key) : undefined;
  return {
    resources: engine.resourceStatus(key),
    runningAll: engine.isRunningAll(key),
    canQueue,
    queue: q && { queue: q.queue, status: q.status, attempts: q.attempts, maxAttempts: q.maxAttempts, worker: q.worker, error: q.error },
  };
}

/**
 * The cards from `stepId` on, as they replace that step's card: the step itself and, if it is
 * done, the following visible ones (the next form, or the finish card). Undefined when the step
 * is not visible at all (an earlier step was reverted meanwhile): then the whole run re-renders.
 */
export async function cardsFrom(engine: Engine, wf: Workflow, state: RunState, stepId: string, csrf: string, override?: FormOverride): Promise<RunView | undefined> {
  const v = await runView(engine, wf, state, csrf, { override });
  const at = v.cards.findIndex((m) => m.step.id === stepId);
  if (at < 0) return undefined;
  return { ...v, cards: v.cards.slice(at) };
}
