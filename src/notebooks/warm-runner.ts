// A kernel started ahead of need. `railbook run <notebook>` spends most of a short run waiting for
// two things that do not depend on each other: Railbook's own modules loading, and the kernel's
// process starting (Python takes most of a second). Starting the kernel as soon as the notebook is
// read lets the two overlap. The run's first cell then takes this kernel instead of starting one.
//
// The kernel is started before the run exists, so without the run's environment variables
// (RAILBOOK_RUN_KEY, RAILBOOK_ARTIFACTS_DIR): the session sets them with a line of code in the
// kernel's language before any cell runs, and again after every restart. Languages without such a
// line here are not started early.
import type { CellRunner, RunnerState } from './cell-runner.ts';
import { Kernel } from './kernel/kernel.ts';
import type { RunnerChoice } from './runner-choice.ts';

interface Warm {
  runner: Promise<CellRunner>;
  /** Who hears the kernel's state changes once the kernel is taken. */
  listener: ((state: RunnerState) => void) | undefined;
}

const warm = new Map<string, Warm>();

function keyOf(choice: RunnerChoice, cwd: string): string | undefined {
  return choice.kind === 'kernel' ? `${choice.spec.name}\u0000${cwd}` : undefined;
}

/** Starts the chosen kernel now, if its language can be given the run's environment later. */
export function prestartRunner(choice: RunnerChoice, cwd: string): boolean {
  const key = keyOf(choice, cwd);
  if (!key || choice.kind !== 'kernel' || envCode(choice.spec.language, {}) === undefined || warm.has(key)) return false;
  const entry: Warm = { runner: Promise.resolve(undefined as unknown as CellRunner), listener: undefined };
  entry.runner = Kernel.start(choice.spec, { cwd, onStateChange: (s) => entry.listener?.(s) });
  // A kernel that fails to start early is forgotten: starting it normally reports the reason.
  entry.runner.catch(() => {
    if (warm.get(key) === entry) warm.delete(key);
  });
  warm.set(key, entry);
  return true;
}

/** Takes the kernel started early for this choice and folder (once), telling `onStateChange` from now on. */
export function takeWarmRunner(choice: RunnerChoice, cwd: string, onStateChange?: (state: RunnerState) => void): Promise<CellRunner> | undefined {
  const key = keyOf(choice, cwd);
  const entry = key ? warm.get(key) : undefined;
  if (!key || !entry) return undefined;
  warm.delete(key);
  entry.listener = onStateChange;
  return entry.runner;
}

/** Shuts down kernels started early and never taken (the run stopped before its first cell). */
export async function disposeWarmRunners(): Promise<void> {
  const left = [...warm.values()];
  warm.clear();
  await Promise.all(left.map((w) => w.runner.then((r) => r.shutdown(), () => undefined)));
}

/** One line that sets environment variables in a kernel of `language`, or undefined if we cannot write it. */
export function envCode(language: string, env: Record<string, string>): string | undefined {
  const pairs = Object.entries(env);
  switch (language.toLowerCase()) {
    case 'python':
      return `import os as __railbook_os; __railbook_os.environ.update(${JSON.stringify(Object.fromEntries(pairs))}); del __railbook_os`;
    case 'r':
      return pairs.length ? `Sys.setenv(${pairs.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')})` : 'invisible(NULL)';
    case 'julia':
      return pairs.length ? pairs.map(([k, v]) => `ENV[${JSON.stringify(k)}] = ${JSON.stringify(v)}`).join('; ') + ';' : 'nothing;';
    default:
      return undefined;
  }
}
