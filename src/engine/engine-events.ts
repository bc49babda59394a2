import type { RunState } from './run-state.ts';
import type { Progress } from './workflow.ts';

// What the engine tells its callers and listeners: a submit's result and the events on its bus.

export interface SubmitResult {
  /** The state right after the input was accepted (the step is `done`, or `running` if it has work to do). */
  state: RunState;
  /** Resolves with the state once the step has finished, failed or been cancelled. Never rejects. */
  completion: Promise<RunState>;
}

export interface ProgressEvent {
  run: string;
  step: string;
  progress: Progress;
}

export interface PartialEvent {
  run: string;
  step: string;
  output: unknown;
}

export interface EngineEvents {
  progress: [ProgressEvent];
  /** A running step's output so far (ctx.partial), at most every PARTIAL_INTERVAL_MS. */
  partial: [PartialEvent];
  /** A run's resources changed (a kernel started, went busy, died, was shut down). */
  resources: [string];
  /** A run's state changed (any step, any cause). */
  change: [string];
}
