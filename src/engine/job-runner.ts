import type { Engine, ProgressEvent } from './engine.ts';
import { checkJob, type JobFile } from './job-file.ts';
import type { RunState } from './run-state.ts';
import type { AnyStep } from './workflow.ts';

export interface JobObserver {
  /** The run is open (created or resumed); its key is known from here on. */
  onRunOpen?(key: string): void;
  onStepStart?(step: AnyStep, index: number, total: number): void;
  onProgress?(e: ProgressEvent): void;
  onStepEnd?(step: AnyStep, state: RunState): void;
}

export interface JobResult {
  state: RunState;
  resumed: boolean;
  /** The step that failed (or was cancelled/interrupted), if any. */
  failed?: { step: string; error: string } | undefined;
}

/**
 * Runs a job headlessly through the same engine operations the web app uses: check the whole
 * file first (nothing written if it is bad), open the run, then submit each step in order and
 * wait for it. Steps already done (a resumed key) are skipped.
 */
export async function runJob(
  engine: Engine,
  job: JobFile,
  opts: { key?: string | undefined; baseDir?: string | undefined; observer?: JobObserver; alreadyChecked?: boolean } = {},
): Promise<JobResult> {
  if (!opts.alreadyChecked) await checkJob(engine, job, opts);
  const wf = engine.workflow(job.workflow);
  const { state: opened, created } = engine.open(wf.id, { key: opts.key ?? job.key, profile: job.profile });
  const key = opened.key;
  const obs = opts.observer ?? {};
  obs.onRunOpen?.(key);
  const onProgress = (e: ProgressEvent) => { if (e.run === key) obs.onProgress?.(e); };
  engine.bus.on('progress', onProgress);
  try {
    let state = opened;
    for (const [i, step] of wf.steps.entries()) {
      if (state.steps[step.id]?.status === 'done') continue;
      obs.onStepStart?.(step, i, wf.steps.length);
      const raw = job.inputs[step.id] ?? engine.formValues(state, step.id);
      const { completion } = await engine.submit(key, step.id, raw, { baseDir: opts.baseDir });
      state = await completion;
      obs.onStepEnd?.(step, state);
      const s = state.steps[step.id]!;
      if (s.status !== 'done') return { state, resumed: !created, failed: { step: step.id, error: s.error ?? s.status } };
    }
    return { state, resumed: !created };
  } finally {
    engine.bus.off('progress', onProgress);
  }
}
