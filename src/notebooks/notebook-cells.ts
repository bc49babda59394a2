// The step parts that make a notebook cell a step — its work, its render, its code, its version —
// for one notebook's kernel. The notebook loader builds every step with it, and so does a workflow
// file written by `railbook convert`, so a converted notebook behaves exactly like the notebook:
//
//   const nb = notebookCells({ language: 'python', kernel: 'python3', cwd: NOTEBOOK_DIR });
//   workflow({ id: 'sales', title: 'Sales' })
//     .step({ id: 'load', title: 'Load', fields: {}, ...nb.code('load', 'Load', `df = read()`) })
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { RenderContext, StepContext, StepSource } from '../engine/workflow.ts';
import type { ArtifactRef } from '../store/artifact-ref.ts';
import type { CellOutput } from './cell-output.ts';
import { runCell, type CellEnvironment } from './cell-step.ts';
import { cellView } from './cell-view.tsx';
import type { KernelInfo } from './notebook.ts';
import { parameterValue } from './parameter-fields.ts';
import { injectParameters, parseParameters, type Json, type ParameterSpec, type ParameterType } from './parameters.ts';
import { chooseRunner, type RunnerChoice } from './runner-choice.ts';

export interface NotebookCellsOptions {
  /** The notebook's language (python, r, julia, typescript, javascript, …). */
  language: string;
  /** The kernelspec to run in (default: an installed one for the language; TypeScript runs in Node). */
  kernel?: string | undefined;
  /** Folder the code runs in, so relative paths work as in Jupyter (default: the current folder). */
  cwd?: string | undefined;
  /** What the notebook file said about its kernel (name, language), when there is a file. */
  kernelInfo?: KernelInfo | undefined;
  env?: Record<string, string | undefined> | undefined;
}

/** Jupyter-book's and papermill's tags, as flags. */
export interface CellFlags {
  /** `skip-execution`: shown, not run. */
  skip?: boolean | undefined;
  /** `raises-exception`: an error is the expected output; the step still completes. */
  raisesException?: boolean | undefined;
  /** `remove-input` / `hide-input`: the code is not shown. */
  hideCode?: boolean | undefined;
  /** `remove-output` / `hide-output`: the outputs are not shown. */
  hideOutput?: boolean | undefined;
}

/** The parts of a step definition a cell provides; spread them into `.step({ id, title, fields, ... })`. */
export interface CellStepParts<I> {
  run: (ctx: StepContext<I, Record<string, unknown>>) => Promise<CellOutput> | CellOutput;
  render: (output: CellOutput, ctx: RenderContext) => ReturnType<typeof cellView>;
  source: StepSource;
  version: string;
  submitLabel: string;
}

export interface NotebookCells {
  readonly choice: RunnerChoice;
  readonly language: string;
  /** A code cell as a step: no input, runs the code in the run's kernel. */
  code(id: string, title: string, code: string, flags?: CellFlags): CellStepParts<Record<string, never>>;
  /**
   * A `parameters` cell as a step: runs the cell, then the values the person entered as an
   * `injected-parameters` cell after it. The step's fields are the caller's (any widgets); each
   * field named like a parameter in the cell overrides its default.
   */
  parameters(id: string, title: string, code: string, flags?: CellFlags): CellStepParts<Record<string, unknown>>;
}

export function notebookCells(opts: NotebookCellsOptions): NotebookCells {
  const language = opts.language.toLowerCase();
  const choice = chooseRunner(opts.kernelInfo ?? { language }, language, opts.kernel, opts.env);
  const titles = new Map<string, string>();
  const env: CellEnvironment = { choice, cwd: path.resolve(opts.cwd ?? '.'), titles };

  const parts = <I>(id: string, title: string, code: string, flags: CellFlags, run: CellStepParts<I>['run']): CellStepParts<I> => {
    titles.set(id, title);
    return {
      run,
      render: (output, ctx) => cellView(output, ctx, { hideOutput: flags.hideOutput === true, title }),
      source: { code, language, hidden: flags.hideCode === true },
      version: hashCode(code),
      submitLabel: flags.skip ? 'Continue' : 'Run cell',
    };
  };

  return {
    choice,
    language,
    code(id, title, code, flags = {}) {
      const codeHash = hashCode(code);
      return parts(id, title, code, flags, (ctx) => {
        if (flags.skip) return skipped('code', code);
        return runCell(env, { step: id, kind: 'code', code: [code], codeHash, raisesException: flags.raisesException === true }, ctx);
      });
    },
    parameters(id, title, code, flags = {}) {
      const codeHash = hashCode(code);
      // Read once: the specs turn what a field holds into what the code receives (an upload → its path).
      const specs = safeSpecs(code, language);
      const types: Record<string, ParameterType> = Object.fromEntries(specs.map((p) => [p.name, p.type]));
      const p = parts<Record<string, unknown>>(id, title, code, flags, (ctx) => {
        // An upload reaches the code as the absolute path of its stored copy.
        const values = valuesFor(specs, ctx.input, (ref) => ctx.artifacts.resolve(ref));
        if (flags.skip) return { ...skipped('parameters', code), values };
        const injected = injectParameters(values, language, types);
        return runCell(env, { step: id, kind: 'parameters', code: [code, injected], codeHash, raisesException: flags.raisesException === true, values }, ctx as StepContext<unknown, Record<string, unknown>>);
      });
      return { ...p, submitLabel: flags.skip ? 'Continue' : 'Run with these values' };
    },
  };
}

/** The values the code receives, for every parameter (one left out keeps the cell's default). */
export function valuesFor(specs: ParameterSpec[], input: Record<string, unknown>, resolve: (ref: ArtifactRef) => string): Record<string, Json> {
  const values: Record<string, Json> = {};
  for (const spec of specs) values[spec.name] = parameterValue(spec, input[spec.name], { resolve });
  return values;
}

export function hashCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

function safeSpecs(code: string, language: string): ParameterSpec[] {
  try {
    return parseParameters(code, language).parameters;
  } catch {
    return [];
  }
}

function skipped(kind: CellOutput['kind'], code: string): CellOutput {
  return { notebookCell: true, kind, code: [code], codeHash: hashCode(code), status: 'skipped', outputs: [], executionCount: null };
}
