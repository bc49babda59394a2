/** The versioned JSON document that is a run's whole state (see ARCHITECTURE.md). */
export const RUN_STATE_SCHEMA = 1;

export const STEP_STATUSES = ['pending', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface StepProgress {
  done: number;
  total?: number | undefined;
  message?: string | undefined;
}

export interface StepState {
  input: Record<string, unknown> | null;
  output: unknown;
  status: StepStatus;
  startedAt: string | null;
  finishedAt: string | null;
  error?: string;
  /** The step's `version` (its code's hash) when it was submitted, for steps that declare one. */
  version?: string;
}

export interface RunState {
  schema: typeof RUN_STATE_SCHEMA;
  workflow: string;
  key: string;
  profile: string;
  created: string;
  updated: string;
  /** When the run was locked, or null while it is open. */
  finalized: string | null;
  /** When the run was archived (hidden from lists, kept); absent or null while it is not. */
  archived?: string | null;
  /** The file its workflow was built from when the run began, for workflows not written as code (a notebook). */
  origin?: { kind: 'notebook'; file: string } | undefined;
  steps: Record<string, StepState>;
}

export function emptyStep(): StepState {
  return { input: null, output: null, status: 'pending', startedAt: null, finishedAt: null };
}

export function newRunState(workflow: string, key: string, profile: string, stepIds: readonly string[], now: string): RunState {
  const steps: Record<string, StepState> = {};
  for (const id of stepIds) steps[id] = emptyStep();
  return { schema: RUN_STATE_SCHEMA, workflow, key, profile, created: now, updated: now, finalized: null, steps };
}
