import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { isArtifactRef, type ArtifactRef } from '../store/artifact-ref.ts';
import type { Engine } from './engine.ts';
import { EngineError } from './errors.ts';
import { dryPrepareContext } from './prepare-context.ts';
import { validateRunKey } from './run-key.ts';
import { prepareInput } from './step-input.ts';
import { changedInputs } from './job-changes.ts';
import { InputsChangedError, JobFileError, type JobProblem } from './job-file-error.ts';

export { InputsChangedError, JobFileError, type JobProblem } from './job-file-error.ts';

/** A run's inputs as a file: re-run headlessly by `railbook run`, written by `railbook export`. */
export interface JobFile {
  workflow: string;
  key?: string | undefined;
  profile?: string | undefined;
  inputs: Record<string, Record<string, unknown>>;
}

const jobSchema = z.object({
  workflow: z.string({ error: 'must be a workflow id (a string)' }).min(1, 'must not be empty'),
  key: z.string({ error: 'must be a string' }).optional(),
  profile: z.string({ error: 'must be a string' }).optional(),
  inputs: z.record(z.string(), z.record(z.string(), z.unknown(), { error: 'each step’s inputs must be an object of field values' }), {
    error: 'must be an object: { "<step id>": { "<field>": value } }',
  }),
}).strict();

export function parseJobText(text: string, source = 'job file'): JobFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new JobFileError('', `${source} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new JobFileError('', `${source} must hold a JSON object`);
  const r = jobSchema.safeParse(json);
  if (!r.success) {
    throw JobFileError.of(r.error.issues.map((issue) => ({
      field: issue.path.join('.'),
      message: issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message,
    })));
  }
  return r.data;
}

/** Reads and parses a job file. Relative file paths inside it are relative to the job file's folder (see `baseDir`). */
export async function readJobFile(file: string): Promise<{ job: JobFile; baseDir: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new JobFileError('', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  // A relative upload path means relative to the job file, not to wherever the command runs.
  return { job: parseJobText(text, file), baseDir: path.dirname(path.resolve(file)) };
}

/**
 * Checks a job against the workflow before anything is written: the workflow and every step
 * exist, the key is well-formed, and each given step input passes the same validation as the
 * form (files are checked for existence, not copied). Every problem is reported at once.
 * `opts.key` is the command line's `--key` (it wins over the file's `"key"`).
 *
 * A key naming an existing run resumes it. If the job gives a done step of that run other
 * values than the run holds, the job is refused (`InputsChangedError`) — unless `rerunChanged`,
 * where the run goes back to the first changed step and runs again from there (see runJob).
 */
export async function checkJob(
  engine: Engine,
  job: JobFile,
  opts: { key?: string | undefined; baseDir?: string | undefined; rerunChanged?: boolean | undefined } = {},
): Promise<void> {
  const problems: JobProblem[] = [];
  const wf = engine.registry.get(job.workflow);
  if (!wf) problems.push({ field: 'workflow', message: `no workflow "${job.workflow}" (known: ${engine.registry.list().map((w) => w.id).join(', ')})` });
  const key = opts.key ?? job.key;
  if (key !== undefined) {
    try {
      validateRunKey(key);
    } catch (e) {
      problems.push({ field: opts.key !== undefined ? '--key' : 'key', message: (e as Error).message });
    }
  }
  if (job.profile !== undefined && !(await engine.store.profiles.exists(job.profile))) problems.push({ field: 'profile', message: `no profile "${job.profile}"` });
  if (!wf) throw JobFileError.of(problems);
  for (const stepId of Object.keys(job.inputs)) {
    if (!wf.steps.some((s) => s.id === stepId)) problems.push({ field: `inputs.${stepId}`, message: `workflow "${wf.id}" has no step "${stepId}" (steps: ${wf.steps.map((s) => s.id).join(', ')})` });
  }
  const ctx = dryPrepareContext(engine.store.dataDir, key ?? 'job-check', opts.baseDir, engine.maxUploadBytes);
  // A resumed run keeps its done steps; they need no input.
  const found = key !== undefined && problems.every((p) => !p.field.endsWith('key')) ? await engine.store.runs.get(key.trim()) : undefined;
  const existing = found?.workflow === wf.id ? found : undefined;
  if (found && !existing) problems.push({ field: opts.key !== undefined ? '--key' : 'key', message: `run "${found.key}" belongs to workflow "${found.workflow}", not "${wf.id}"` });
  for (const step of wf.steps) {
    const given = job.inputs[step.id];
    let values: Record<string, unknown>;
    if (given !== undefined) values = given;
    else {
      // A step left out runs on its suggestion (known only once earlier steps ran) or its
      // defaults: the defaults can and must be checked now, or the run would stop half-way.
      if (step.suggest || existing?.steps[step.id]?.status === 'done') continue;
      values = { ...(existing?.steps[step.id]?.input ?? {}) };
      for (const [name, w] of Object.entries(step.fields)) if (values[name] === undefined && w.initial !== undefined) values[name] = w.initial;
    }
    try {
      await prepareInput(step, values, ctx);
    } catch (e) {
      if (!(e instanceof EngineError) || e.code !== 'invalid_input') throw e;
      const why = given === undefined ? ` (the job file gives no input for step "${step.id}" and it has no default)` : '';
      const entries = Object.entries(e.fieldErrors);
      if (entries.length === 0) entries.push(['', e.message]);
      for (const [field, msg] of entries) problems.push({ field: `inputs.${step.id}${field ? '.' + field : ''}`, message: msg + why });
    }
  }
  if (problems.length) throw JobFileError.of(problems);
  if (existing && !opts.rerunChanged) {
    const changes = await changedInputs(wf, existing, job, ctx);
    if (changes.length) throw new InputsChangedError(existing.key, changes);
  }
}

/** An artifact as a job file names it: where the file is on this machine, and the name the person gave it. */
function uploadOf(engine: Engine, ref: ArtifactRef): { path: string; name: string; mime?: string } {
  const out: { path: string; name: string; mime?: string } = { path: engine.store.artifacts.resolve(ref.path), name: ref.name };
  if (ref.mime) out.mime = ref.mime;
  return out;
}

/** The job file of a run: its workflow, key, profile and every done step's input. Artifacts become absolute local paths. */
export async function exportJob(engine: Engine, key: string): Promise<JobFile> {
  const st = await engine.get(key);
  const wf = engine.workflow(st.workflow);
  const inputs: JobFile['inputs'] = {};
  for (const s of wf.steps) {
    const input = st.steps[s.id]?.input;
    if (!input || st.steps[s.id]?.status !== 'done') continue;
    inputs[s.id] = Object.fromEntries(Object.entries(input).map(([k, v]) => [k, isArtifactRef(v) ? uploadOf(engine, v) : v]));
  }
  return { workflow: st.workflow, key: st.key, profile: st.profile, inputs };
}
