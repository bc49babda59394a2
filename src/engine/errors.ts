export type EngineErrorCode =
  | 'not_found'      // no such workflow, run or step
  | 'bad_key'        // a typed run key with characters we do not allow
  | 'invalid_input'  // the step's input failed validation (see fieldErrors)
  | 'finalized'      // the run is locked
  | 'out_of_order'   // an earlier step is not done yet
  | 'already_done'   // submit on a done step: revert to it first
  | 'running'        // the step is executing right now
  | 'not_complete'   // finalize before every step is done
  | 'undo_unavailable'  // nothing to undo: no revert, or the run changed since
  | 'artifacts_missing' // undo would restore references to files that are gone
  | 'workflow_mismatch';

/** An error the person can act on; `code` lets the web layer pick a status and the CLI an exit code. */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    /** For invalid_input: a message per field name ("" for the whole form). */
    readonly fieldErrors: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/**
 * Thrown by a step's work to fail with an output to show (a notebook cell's traceback and what it
 * printed before): the step is `failed` with `message` as its error, and `output` is kept.
 */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly output: unknown,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}
