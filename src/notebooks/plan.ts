// A notebook's cells become planned steps: the pure conversion from the reader's model
// (notebook.ts) to what a notebook workflow is built from — ids, titles, docs, code and its hash,
// the flags the cell's tags ask for, and the parameters of a `parameters` cell. No kernel, no
// engine, no files: the same notebook always gives the same plan.

import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Notebook, NotebookCell } from './notebook.ts';
import { parseParameters, type ParsedParameters } from './parameters.ts';
import { splitTitle, headings } from './plan-markdown.ts';
import { stepIdFromCellId, stepIdFromTitle, uniqueId, workflowIdFromFile } from './plan-ids.ts';

export type PlannedStepKind = 'code' | 'parameters';

export interface PlannedStep {
  /** Unique in the plan, matches the engine's step id rule. */
  id: string;
  title: string;
  /** The markdown cells since the previous step, joined by a blank line ('' when none). */
  docs: string;
  kind: PlannedStepKind;
  code: string;
  language: string;
  /** SHA-256 (hex) of `code`: a run records it, so a changed notebook shows which steps changed. */
  codeHash: string;
  /** 0-based index of the cell in the notebook, and its nbformat 4.5 id when it has one. */
  cell: number;
  cellId?: string | undefined;
  /** `skip-execution`: shown, not run. */
  skip: boolean;
  /** `raises-exception`: an error is the expected output; the step still completes. */
  raisesException: boolean;
  /** `remove-input`, `hide-input`, `remove-cell`: the app does not show the code. */
  hideCode: boolean;
  /** `remove-output`, `hide-output`, `remove-cell`: the app does not show the outputs. */
  hideOutput: boolean;
  /** For a `parameters` step: its fields, the lines that are not fields, and its mistakes. */
  parameters?: ParsedParameters | undefined;
}

export interface PlanProblem {
  cell: number;
  step: string;
  message: string;
}

export interface DroppedCell {
  cell: number;
  reason: 'empty' | 'raw' | 'injected-parameters';
}

export interface NotebookPlan {
  id: string;
  title: string;
  /** Markdown under the title heading ('' when none). */
  description: string;
  language: string;
  steps: PlannedStep[];
  /** Markdown after the last step: no step to document, kept so it is not lost (a closing note). */
  closing: string;
  /** Cells that are not steps, and why. */
  dropped: DroppedCell[];
  /** Mistakes the person must fix before the notebook runs as meant (a parameters cell's errors). */
  problems: PlanProblem[];
}

export interface PlanOptions {
  /** Overrides the workflow id (otherwise from the file name). */
  id?: string | undefined;
  /** Overrides the kernel's language (otherwise `nb.kernel.language`, else python). */
  language?: string | undefined;
}

// Line-comment marker per kernel language, for a cell's title comment. Anything else: `#`.
const COMMENTS: Record<string, string> = {
  typescript: '//', javascript: '//', c: '//', 'c++': '//', cpp: '//', csharp: '//', 'c#': '//', java: '//',
  go: '//', rust: '//', scala: '//', kotlin: '//', swift: '//', sql: '--', haskell: '--', lua: '--',
  matlab: '%', octave: '%', prolog: '%',
};

/**
 * Plans the steps of a notebook. Code cells become steps in order; markdown cells are docs of the
 * step after them (the first heading before the first code cell, and the text under it, are the
 * workflow's title and description instead); raw cells are ignored, as Jupyter's kernels ignore
 * them; empty code cells and papermill's `injected-parameters` cells (left by an earlier papermill
 * run — Railbook injects its own) are dropped. A `remove-cell` cell still runs (later cells may
 * need what it defines) but shows neither code nor output.
 */
export function planNotebook(nb: Notebook, opts: PlanOptions = {}): NotebookPlan {
  const language = (opts.language ?? nb.kernel.language ?? 'python').toLowerCase();
  const comment = COMMENTS[language] ?? '#';
  const plan: NotebookPlan = {
    id: opts.id ?? workflowIdFromFile(nb.file),
    title: '',
    description: '',
    language,
    steps: [],
    closing: '',
    dropped: [],
    problems: [],
  };

  const firstCode = nb.cells.findIndex((c) => isStep(c));
  const titleCell = nb.cells.findIndex((c, i) => c.type === 'markdown' && (firstCode < 0 || i < firstCode) && headings(c.source).length > 0);
  const taken = new Set<string>();
  let docs: string[] = [];

  nb.cells.forEach((cell, index) => {
    if (cell.type === 'raw') {
      plan.dropped.push({ cell: cell.index, reason: 'raw' });
      return;
    }
    if (cell.type === 'markdown') {
      let text = cell.source.trim();
      if (index === titleCell) {
        const split = splitTitle(cell.source)!;
        plan.title = split.title;
        plan.description = split.description;
        text = split.rest;
      }
      if (text) docs.push(text);
      return;
    }
    if (cell.tags.includes('injected-parameters')) {
      plan.dropped.push({ cell: cell.index, reason: 'injected-parameters' });
      return;
    }
    if (!isStep(cell)) {
      plan.dropped.push({ cell: cell.index, reason: 'empty' });
      return;
    }
    const step = planStep(cell, docs.join('\n\n'), plan.steps.length + 1, language, comment, taken);
    docs = [];
    plan.steps.push(step);
    for (const e of step.parameters?.errors ?? []) {
      plan.problems.push({ cell: cell.index, step: step.id, message: `parameters cell, line ${e.line}: ${e.message}` });
    }
  });

  plan.closing = docs.join('\n\n');
  if (!plan.title) plan.title = path.basename(nb.file, path.extname(nb.file));
  return plan;
}

/** A code cell with something in it (whitespace-only cells are dropped). */
function isStep(cell: NotebookCell): boolean {
  return cell.type === 'code' && cell.source.trim() !== '' && !cell.tags.includes('injected-parameters');
}

function planStep(cell: NotebookCell, docs: string, n: number, language: string, comment: string, taken: Set<string>): PlannedStep {
  const tags = new Set(cell.tags);
  // An untitled parameters cell is "Parameters" (id `parameters`, `parameters_2`, …).
  const own = titleComment(cell.source, comment);
  const heading = own === undefined ? headings(docs).at(-1) : undefined;
  const title = own ?? heading?.text ?? (tags.has('parameters') ? 'Parameters' : undefined);
  // A heading that opens the docs and names the step is shown once, as the step's title.
  if (heading && heading.line === 0) docs = docs.split('\n').slice(1).join('\n').trim();
  const base = cell.id !== undefined ? stepIdFromCellId(cell.id) : stepIdFromTitle(title, n);
  const step: PlannedStep = {
    id: uniqueId(base, cell.id, taken),
    title: title ?? `Cell ${n}`,
    docs,
    kind: tags.has('parameters') ? 'parameters' : 'code',
    code: cell.source,
    language,
    codeHash: createHash('sha256').update(cell.source).digest('hex'),
    cell: cell.index,
    cellId: cell.id,
    skip: tags.has('skip-execution'),
    raisesException: tags.has('raises-exception'),
    hideCode: tags.has('remove-input') || tags.has('hide-input') || tags.has('remove-cell'),
    hideOutput: tags.has('remove-output') || tags.has('hide-output') || tags.has('remove-cell'),
  };
  if (step.kind === 'parameters') step.parameters = readParameters(cell.source, language);
  return step;
}

/** Parameters of the cell; a language the reader does not know is one error, not a throw. */
function readParameters(source: string, language: string): ParsedParameters {
  try {
    return parseParameters(source, language);
  } catch (e) {
    return { parameters: [], unsupported: [], errors: [{ line: 1, message: (e as Error).message }] };
  }
}

/**
 * The cell's own title: its first non-blank line when that is a comment (`# Load the data` →
 * `Load the data`). Not a shebang, an IPython magic, a `# %%` marker or a Quarto `#|` option.
 */
function titleComment(source: string, comment: string): string | undefined {
  const first = source.split('\n').find((l) => l.trim() !== '')?.trim();
  if (!first?.startsWith(comment)) return undefined;
  const rest = first.slice(comment.length);
  if (/^(!|%%|\||-\*-)/.test(rest.trim())) return undefined;
  const text = rest.replace(new RegExp(`^(${escape(comment[0]!)})*`), '').trim();
  return text || undefined;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
