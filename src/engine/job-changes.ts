import { isArtifactRef } from '../store/artifact-ref.ts';
import type { PrepareContext } from '../widgets/widget.ts';
import type { InputChange } from './job-file-error.ts';
import type { JobFile } from './job-file.ts';
import type { RunState } from './run-state.ts';
import { prepareInput } from './step-input.ts';
import type { AnyStep, Workflow } from './workflow.ts';

/**
 * Where a job disagrees with a run that already exists: for each step the run has done (or is
 * doing), the fields the job names whose prepared value differs from the one the run holds.
 * Fields the job leaves out are not compared: leaving a value out means "as the run has it".
 * Files compare by content and name, not by where they are on disk.
 */
export async function changedInputs(wf: Workflow, state: RunState, job: JobFile, ctx: PrepareContext): Promise<InputChange[]> {
  const changes: InputChange[] = [];
  for (const step of wf.steps) {
    const s = state.steps[step.id];
    const given = job.inputs[step.id];
    if (!given || !s?.input || (s.status !== 'done' && s.status !== 'running')) continue;
    changes.push(...(await stepChanges(step, s.input, given, ctx)));
  }
  return changes;
}

/** The changed fields of one step (empty when the job's values are what the run holds). */
export async function stepChanges(step: AnyStep, held: Record<string, unknown>, given: Record<string, unknown>, ctx: PrepareContext): Promise<InputChange[]> {
  let prepared: Record<string, unknown>;
  try {
    prepared = await prepareInput(step, given, ctx);
  } catch {
    // Invalid values are reported by the job check, field by field.
    return [];
  }
  const changes: InputChange[] = [];
  for (const field of Object.keys(given)) {
    if (!(field in step.fields)) continue;
    if (comparable(prepared[field]) === comparable(held[field])) continue;
    changes.push({ step: step.id, stepTitle: step.title, field, was: shown(held[field]), now: shown(prepared[field]) });
  }
  return changes;
}

/** A value as a canonical string; a file by its content hash and name. */
function comparable(v: unknown): string {
  if (isArtifactRef(v)) return JSON.stringify(['file', v.sha256, v.name]);
  if (Array.isArray(v) && v.every(isArtifactRef)) return JSON.stringify(v.map((r) => ['file', r.sha256, r.name]));
  return JSON.stringify(v ?? null);
}

/** A value as a few words for a message: `"Ada"`, `42`, `file notes.txt (sha256 1a2b3c4d…)`. */
function shown(v: unknown): string {
  if (isArtifactRef(v)) return `file ${v.name} (sha256 ${v.sha256.slice(0, 8)}…)`;
  const text = JSON.stringify(v ?? null);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
