// A notebook as a Railbook workflow: the same `Workflow` a hand-written file exports, built from
// the notebook's plan (plan.ts) at load time. Each code cell is a step with no fields whose work
// runs the cell; a `parameters` cell is a form step whose values are injected as a cell after it,
// papermill's way; `skip-execution` cells show and do not run. The step parts come from
// notebook-cells.ts, which `railbook convert`'s workflow files use too.
import path from 'node:path';
import { workflow, type AnyStep, type Workflow, type WorkflowBuilder } from '../engine/workflow.ts';
import type { InputWidget } from '../widgets/index.ts';
import type { Notebook } from './notebook.ts';
import { notebookCells, type CellFlags, type NotebookCells } from './notebook-cells.ts';
import { fieldFor } from './parameter-fields.ts';
import type { NotebookPlan, PlannedStep } from './plan.ts';

export interface NotebookWorkflowOptions {
  /** `--kernel K`: run with this kernelspec (or "typescript"/"javascript") instead of the notebook's own. */
  kernel?: string | undefined;
  /** `--cwd D`: the kernel's working directory (default: the notebook's folder). */
  cwd?: string | undefined;
  env?: Record<string, string | undefined> | undefined;
}

export function notebookWorkflow(nb: Notebook, plan: NotebookPlan, opts: NotebookWorkflowOptions = {}): Workflow {
  const cwd = path.resolve(opts.cwd ?? path.dirname(nb.file));
  const cells = notebookCells({ language: plan.language, kernel: opts.kernel, cwd, kernelInfo: nb.kernel, env: opts.env });
  const description = [plan.description, plan.closing].filter(Boolean).join('\n\n');
  let wf = workflow({
    id: plan.id,
    title: plan.title,
    ...(description ? { description } : {}),
    origin: { kind: 'notebook', file: nb.file, runner: cells.choice.label },
  }) as WorkflowBuilder<Record<string, unknown>>;
  for (const s of plan.steps) {
    const def = s.kind === 'parameters' ? parametersStep(s, plan, cells, cwd) : codeStep(s, cells);
    wf = wf.step(def as Parameters<typeof wf.step>[0]) as WorkflowBuilder<Record<string, unknown>>;
  }
  return wf;
}

export function flagsOf(s: PlannedStep): CellFlags {
  return { skip: s.skip, raisesException: s.raisesException, hideCode: s.hideCode, hideOutput: s.hideOutput };
}

function codeStep(s: PlannedStep, cells: NotebookCells): AnyStep {
  return { id: s.id, title: s.title, docs: s.docs, fields: {}, ...cells.code(s.id, s.title, s.code, flagsOf(s)) } as AnyStep;
}

function parametersStep(s: PlannedStep, plan: NotebookPlan, cells: NotebookCells, cwd: string): AnyStep {
  const fields: Record<string, InputWidget<any>> = {};
  const notes: string[] = [];
  for (const spec of s.parameters?.parameters ?? []) {
    const f = fieldFor(spec, { baseDir: cwd });
    if (f.widget) fields[spec.name] = f.widget;
    else notes.push(`- \`${spec.name}\` keeps its default: ${f.reason}`);
  }
  for (const p of plan.problems.filter((p) => p.step === s.id)) notes.push(`- ${p.message}`);
  const docs = [s.docs, notes.length ? `**This parameters cell needs attention:**\n\n${notes.join('\n')}` : ''].filter(Boolean).join('\n\n');
  return { id: s.id, title: s.title, docs, fields, ...cells.parameters(s.id, s.title, s.code, flagsOf(s)) } as AnyStep;
}
