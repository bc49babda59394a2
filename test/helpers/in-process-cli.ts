// A `railbook` command run in the test's own process: the command on a program of its own, its
// output collected through the writers it is given (the test runner's reporter owns
// process.stdout), its errors reported and mapped to exit codes as main() does. For commands
// whose tests change what a child process could not be given (an HTTP client, where Ollama is).
import { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { describeError } from '../../src/cli/errors.ts';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  /** What was drawn on the progress stream (bars, status lines). */
  progress: string;
}

export interface Captured {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  progressStream: Writable;
}

/**
 * Registers commands with `register` (given the writers to pass to them), then runs `args`
 * (without the leading "railbook"). `onOutput` sees stdout as it grows, `onProgress` the progress.
 */
export async function runInProcess(
  args: string[],
  register: (program: Command, io: Captured) => void,
  watch: { onStdout?: (text: string) => void; onProgress?: (all: string) => void } = {},
): Promise<InProcessResult> {
  const r: InProcessResult = { code: 0, stdout: '', stderr: '', progress: '' };
  const io: Captured = {
    stdout: (t) => {
      r.stdout += t;
      watch.onStdout?.(t);
    },
    stderr: (t) => {
      r.stderr += t;
    },
    progressStream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        r.progress += chunk.toString();
        watch.onProgress?.(r.progress);
        cb();
      },
    }),
  };
  const program = new Command('railbook').exitOverride();
  register(program, io);
  try {
    await program.parseAsync(['node', 'railbook', ...args]);
  } catch (e) {
    if (e instanceof CommanderError) {
      r.code = e.exitCode === 0 ? 0 : 2;
    } else {
      const d = describeError(e);
      r.stderr += `railbook: ${d.message}\n`;
      r.code = d.exitCode;
    }
  }
  return r;
}
