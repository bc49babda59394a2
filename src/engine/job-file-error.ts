/** One thing wrong with a job file, naming the field at fault (`inputs.greet.name`, `key`, `--key`). */
export interface JobProblem {
  field: string;
  message: string;
}

/** Everything wrong with a job file, each problem naming its field. Nothing has been written. */
export class JobFileError extends Error {
  readonly problems: JobProblem[];

  constructor(field: string, message: string, more: JobProblem[] = []) {
    const problems = [{ field, message }, ...more];
    super(problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('\n'));
    this.name = 'JobFileError';
    this.problems = problems;
  }

  /** The field of the first problem. */
  get field(): string {
    return this.problems[0]!.field;
  }

  static of(problems: JobProblem[]): JobFileError {
    return new JobFileError(problems[0]!.field, problems[0]!.message, problems.slice(1));
  }
}

/** One field of a done step whose value in the job differs from what the run holds. */
export interface InputChange {
  step: string;
  stepTitle: string;
  field: string;
  /** What the run holds, and what the job gives, as short text. */
  was: string;
  now: string;
}

/**
 * The job gives a run that already exists other inputs than it holds. Refused (nothing changes)
 * unless the person asks to revert to the first changed step and re-run from there.
 */
export class InputsChangedError extends JobFileError {
  constructor(readonly runKey: string, readonly changes: InputChange[]) {
    super(
      `inputs.${changes[0]!.step}.${changes[0]!.field}`,
      changeText(runKey, changes[0]!),
      changes.slice(1).map((c) => ({ field: `inputs.${c.step}.${c.field}`, message: changeText(runKey, c) })),
    );
    this.name = 'InputsChangedError';
  }

  /** The first step (in workflow order) whose input changed: where a re-run starts. */
  get firstStep(): string {
    return this.changes[0]!.step;
  }
}

function changeText(runKey: string, c: InputChange): string {
  return `run ${runKey} already did step "${c.step}" (${c.stepTitle}) with ${c.was}; the job file gives ${c.now}`;
}
