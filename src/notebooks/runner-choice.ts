// Which runner executes a notebook's cells: TypeScript and JavaScript notebooks run in Node itself;
// everything else in the Jupyter kernel the notebook names (or, when it names none or one that is
// not installed, an installed kernel for its language). A notebook whose kernel is missing still
// converts and shows; the choice says so, and the first cell run says how to install it.
import type { CellRunner, RunnerState } from './cell-runner.ts';
import { Kernel } from './kernel/kernel.ts';
import { findKernelspec, findKernelspecs, jupyterDataDirs, type Kernelspec } from './kernel/kernelspecs.ts';
import { missingKernelMessage, noKernelsMessage } from './kernel/missing-kernel.ts';
import type { KernelInfo } from './notebook.ts';

export type RunnerChoice =
  | { kind: 'kernel'; spec: Kernelspec; label: string }
  | { kind: 'node'; language: 'typescript' | 'javascript'; label: string }
  | { kind: 'missing'; label: string; message: string };

type Env = Record<string, string | undefined>;

/** Kernelspec names that are Node-native languages: no external kernel is needed for them. */
const NODE_LANGUAGES = new Set(['typescript', 'javascript']);

/**
 * The runner for a notebook: `override` (`--kernel K`) wins; a TypeScript/JavaScript notebook runs
 * in Node; else the kernelspec the notebook names; else the first installed kernel for its language.
 */
export function chooseRunner(kernel: KernelInfo, language: string, override?: string, env: Env = process.env): RunnerChoice {
  const name = override ?? kernel.name;
  const lang = language.toLowerCase();
  if (override === undefined && NODE_LANGUAGES.has(lang)) return node(lang as 'typescript' | 'javascript');
  if (override !== undefined && NODE_LANGUAGES.has(override.toLowerCase())) return node(override.toLowerCase() as 'typescript' | 'javascript');
  if (name) {
    const spec = findKernelspec(name, env);
    if (spec) return { kind: 'kernel', spec, label: spec.name };
    // A notebook saved elsewhere may name a kernel this machine has under another name.
    if (override === undefined) {
      const alike = byLanguage(lang, env);
      if (alike) return { kind: 'kernel', spec: alike, label: alike.name };
    }
    return { kind: 'missing', label: name, message: missingKernelMessage(name, override === undefined ? lang : undefined, jupyterDataDirs(env)) };
  }
  const spec = byLanguage(lang, env);
  if (spec) return { kind: 'kernel', spec, label: spec.name };
  const listing = findKernelspecs(env);
  const message = listing.specs.length === 0
    ? noKernelsMessage(jupyterDataDirs(env))
    : missingKernelMessage(lang === 'python' ? 'python3' : lang, lang, jupyterDataDirs(env));
  return { kind: 'missing', label: lang, message };
}

function node(language: 'typescript' | 'javascript'): RunnerChoice {
  return { kind: 'node', language, label: `${language} (Node)` };
}

/** The installed kernel for a language: the conventional name first (python3, ir, julia-*), else the first found. */
function byLanguage(lang: string, env: Env): Kernelspec | undefined {
  const specs = findKernelspecs(env).specs.filter((s) => s.language === lang);
  return specs.find((s) => s.name === 'python3' || s.name === 'ir') ?? specs[0];
}

export interface StartRunnerOptions {
  cwd: string;
  env?: Record<string, string> | undefined;
  onStateChange?: ((state: RunnerState) => void) | undefined;
}

/** Starts the chosen runner. A missing kernel throws its message (with how to install one). */
export async function startRunner(choice: RunnerChoice, opts: StartRunnerOptions): Promise<CellRunner> {
  switch (choice.kind) {
    case 'missing':
      throw new Error(choice.message);
    case 'kernel':
      return Kernel.start(choice.spec, { cwd: opts.cwd, env: opts.env, onStateChange: opts.onStateChange });
    case 'node': {
      // Loaded only when a TypeScript notebook runs: Python users never pay for it.
      const { TypeScriptRunner } = await import('./typescript/ts-runner.ts');
      return TypeScriptRunner.start({ cwd: opts.cwd, language: choice.language, env: opts.env, onStateChange: opts.onStateChange });
    }
  }
}
