import type { Engine, ProgressEvent } from './engine.ts';
import { EngineError } from './errors.ts';
import { stepChanges } from './job-changes.ts';
import { checkJob, InputsChangedError, type JobFile } from './job-file.ts';
import { dryPrepareContext } from './prepare-context.ts';
import type { RunState } from './run-state.ts';
import type { AnyStep } from './workflow.ts';

export interface JobObserver {
  /** The run is open (created or resumed); its key is known from here on. */
  onRunOpen?(key: string): void;
  onStepStart?(step: AnyStep, index: number, total: number): void;
  onProgress?(e: ProgressEvent): void;
  /** A running step's output so far (ctx.partial): a notebook cell's printed lines as they come. */
  onPartial?(step: string, output: unknown): void;
  onStepEnd?(step: AnyStep, state: RunState): void;
}

export interface JobResult {
  state: RunState;
  resumed: boolean;
  /** The step that failed (or was cancelled/interrupted), if any. */
  failed?: { step: string; error: string } | undefined;
  /** `signal` stopped it before a step: the rest is left for later (a worker handing the run back). */
  stopped?: boolean | undefined;
}

/**
 * Runs a job headlessly through the same engine operations the web app uses: check the whole
 * file first (nothing written if it is bad), open the run, then submit each step in order and
 * wait for it. Steps already done (a resumed key) are skipped when the job agrees with them;
 * when it gives a done step other values, the job is refused (`InputsChangedError`) or, with
 * `rerunChanged`, the run is reverted to that step and runs again from there.
 *
 * Two jobs may race on one key (in two processes): each step is read afresh before it runs, a
 * step the other job is running is waited for, and its outcome compared like any done step.
 */
export async function runJob(
  engine: Engine,
  job: JobFile,
  opts: {
    key?: string | undefined;
    baseDir?: string | undefined;
    observer?: JobObserver;
    alreadyChecked?: boolean;
    rerunChanged?: boolean | undefined;
    /** Aborted: no further step is started (the one running ends as it will). */
    signal?: AbortSignal | undefined;
  } = {},
): Promise<JobResult> {
  if (!opts.alreadyChecked) await checkJob(engine, job, opts);
  const wf = engine.workflow(job.workflow);
  const { state: opened, created } = await engine.open(wf.id, { key: opts.key ?? job.key, profile: job.profile });
  const key = opened.key;
  const obs = opts.observer ?? {};
  obs.onRunOpen?.(key);
  // Progress comes from the run's one feed (engine.watch), like the web app's progress bars.
  const stopWatching = new AbortController();
  // Only someone listening needs the feed (a worker passes no observer: it reads nothing extra).
  const listening = obs.onProgress !== undefined || obs.onPartial !== undefined;
  const feed = (async () => {
    if (!listening) return;
    for await (const u of engine.watch(key, { signal: stopWatching.signal })) {
      if (u.kind === 'progress') obs.onProgress?.({ run: key, step: u.step, progress: u.progress });
      else if (u.kind === 'partial') obs.onPartial?.(u.step, u.output);
    }
  })().catch(() => {
    // Progress is advisory: a failed read must not fail the job.
  });
  const ctx = dryPrepareContext(engine.store.dataDir, key, opts.baseDir);
  try {
    let state = opened;
    let retries = 0;
    for (let i = 0; i < wf.steps.length; i++) {
      const step = wf.steps[i]!;
      if (opts.signal?.aborted) return { state, resumed: !created, stopped: true };
      state = await notRunningElsewhere(engine, key, step.id);
      const s = state.steps[step.id];
      if (s?.status === 'done') {
        const given = job.inputs[step.id];
        const changes = given && s.input ? await stepChanges(step, s.input, given, ctx) : [];
        if (changes.length === 0) continue;
        if (!opts.rerunChanged) throw new InputsChangedError(key, changes);
        state = await engine.revert(key, step.id);
      }
      obs.onStepStart?.(step, i, wf.steps.length);
      const raw = job.inputs[step.id] ?? engine.formValues(state, step.id);
      let completion: Promise<RunState>;
      try {
        ({ completion } = await engine.submit(key, step.id, raw, { baseDir: opts.baseDir }));
      } catch (e) {
        // Another process took this step between our read and our submit: look again.
        if (e instanceof EngineError && (e.code === 'already_done' || e.code === 'running') && retries++ < MAX_RACE_RETRIES) {
          i--;
          continue;
        }
        throw e;
      }
      state = await completion;
      obs.onStepEnd?.(step, state);
      const done = state.steps[step.id]!;
      if (done.status !== 'done') return { state, resumed: !created, failed: { step: step.id, error: done.error ?? done.status } };
    }
    return { state, resumed: !created };
  } finally {
    stopWatching.abort();
    await feed;
  }
}

const MAX_RACE_RETRIES = 20;
const RACE_POLL_MS = 100;

/** The run's state once the step is not running in another process (a dead owner counts as not running). */
async function notRunningElsewhere(engine: Engine, key: string, stepId: string): Promise<RunState> {
  for (;;) {
    const state = await engine.get(key);
    if (state.steps[stepId]?.status !== 'running') return state;
    await new Promise((r) => setTimeout(r, RACE_POLL_MS));
  }
}
