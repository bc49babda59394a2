/**
 * Exit codes of the `railbook` command (ARCHITECTURE.md): scripts and schedulers branch on them.
 *   0  success
 *   1  a step failed (the message names the step and why), or an unexpected error
 *   2  bad usage or input: a bad job file, an unknown workflow, run or key, a port in use
 */
export const EXIT = {
  ok: 0,
  stepFailed: 1,
  unexpected: 1,
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one clean line (no stack trace) with a chosen exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: ExitCode = EXIT.usage) {
    super(message);
    this.name = 'CliError';
  }
}
