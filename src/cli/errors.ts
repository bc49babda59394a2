import { EngineError } from '../engine/errors.ts';
import { JobFileError } from '../engine/job-file.ts';
import { PathEscapeError } from '../store/artifacts.ts';
import { ProfileError } from '../store/profiles.ts';
import { CliError, EXIT, type ExitCode } from './exit-codes.ts';

/**
 * Turns any error into what the person sees: one line on stderr and an exit code. Errors people
 * can act on (a bad job file, an unknown run, a finalized run) are bad input: exit 2, no stack.
 * Anything else is unexpected: exit 1, with the stack only when RAILBOOK_DEBUG=1.
 */
export function describeError(e: unknown, env: NodeJS.ProcessEnv = process.env): { message: string; exitCode: ExitCode } {
  if (e instanceof CliError) return { message: e.message, exitCode: e.exitCode };
  if (e instanceof JobFileError) return { message: `bad job file: ${e.message}`, exitCode: EXIT.usage };
  if (e instanceof EngineError || e instanceof ProfileError || e instanceof PathEscapeError) return { message: e.message, exitCode: EXIT.usage };
  const debug = env.RAILBOOK_DEBUG === '1';
  if (e instanceof Error) {
    const text = debug && e.stack ? e.stack : `${e.message || e.name}${debug ? '' : ' (set RAILBOOK_DEBUG=1 for details)'}`;
    return { message: `unexpected error: ${text}`, exitCode: EXIT.unexpected };
  }
  return { message: `unexpected error: ${String(e)}`, exitCode: EXIT.unexpected };
}

export function printError(message: string): void {
  process.stderr.write(`railbook: ${message.replace(/\n*$/, '')}\n`);
}
