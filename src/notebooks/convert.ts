// `railbook convert`: a notebook as a WET TypeScript workflow file, readable top to bottom like the
// notebook. The file builds the same workflow the notebook loader builds (notebook-workflow.ts) —
// the same ids, titles, docs, fields, code and flags — from the same public step parts
// (notebookCells), with each parameter's widget written out so a person can change it.
import type { Notebook } from './notebook.ts';
import { flagsOf } from './notebook-workflow.ts';
import { fieldFor } from './parameter-fields.ts';
import type { NotebookPlan, PlannedStep } from './plan.ts';
import { quote, widgetCall, widgetFunction } from './convert-fields.ts';

export interface ConvertOptions {
  /**
   * How the generated file reaches Railbook's `src/` folder, as `railbook new` writes it: a path
   * relative to the file's folder (`../src`) or a file URL. The file imports
   * `<importBase>/engine/index.ts`, `…/widgets/index.ts` and `…/notebooks/index.ts`.
   */
  importBase: string;
  /** `--kernel K`: run in this kernelspec (or "typescript"/"javascript") instead of the notebook's own. */
  kernel?: string | undefined;
  /**
   * The folder the cells run in (the notebook's folder), relative to the generated file's folder
   * (`../notebooks`), or absolute. Default `.`: beside the generated file.
   */
  cwd?: string | undefined;
  /** How the header names the notebook (default: its file name). */
  source?: string | undefined;
  /** The date in the header (default: today). */
  date?: Date | undefined;
}

/** Runners that need no kernel: the notebook's kernelspec name means nothing for them. */
const NODE_LANGUAGES = new Set(['typescript', 'javascript']);

/** The TypeScript source of a workflow file that behaves exactly like the notebook's workflow. */
export function convertNotebook(nb: Notebook, plan: NotebookPlan, opts: ConvertOptions): string {
  const steps = plan.steps.map((s) => (s.kind === 'parameters' ? parametersStep(s, plan) : codeStep(s)));
  const widgets = [...new Set(steps.flatMap((s) => s.widgets))].sort();
  const description = [plan.description, plan.closing].filter(Boolean).join('\n\n');
  const base = opts.importBase.replace(/\/+$/, '');

  // A notebook without code cells has no steps: nothing runs, so no kernel set-up (and no unused names).
  const cells = steps.length > 0;
  const out: string[] = [
    ...(cells ? ["import path from 'node:path';", "import { fileURLToPath } from 'node:url';"] : []),
    `import { workflow } from ${quote(`${base}/engine/index.ts`)};`,
    ...(cells ? [`import { notebookCells } from ${quote(`${base}/notebooks/index.ts`)};`] : []),
    ...(widgets.length ? [`import { ${widgets.join(', ')} } from ${quote(`${base}/widgets/index.ts`)};`] : []),
    '',
    ...header(nb, plan, opts),
    '',
    ...(cells ? kernelSetup(nb, plan, opts) : ['// The notebook has no code cells yet: add steps below, or convert it again once it has some.', '']),
    'export default workflow({',
    `  id: ${quote(plan.id)},`,
    `  title: ${quote(plan.title)},`,
    ...(description ? [`  description: ${templateLiteral(description)},`] : []),
    '})',
  ];
  steps.forEach((s, i) => {
    const rule = `  // ---- Step ${i + 1}: ${oneLine(s.step.title)} (${s.step.kind === 'parameters' ? 'parameters cell' : 'code cell'}) `;
    out.push('', rule + '-'.repeat(Math.max(4, 100 - rule.length)));
    out.push(...s.lines);
  });
  out[out.length - 1] += ';';
  return out.join('\n') + '\n';
}

/**
 * `s` as a template literal that evaluates to exactly `s`: backslashes, backticks and `${`
 * escaped, and carriage returns written as `\r` (a template literal turns a raw one into `\n`).
 */
export function templateLiteral(s: string): string {
  const escaped = s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${').replace(/\r/g, '\\r');
  // Line and paragraph separators are legal but invisible: written as escapes, they can be seen.
  return '`' + escaped.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029') + '`';
}

interface WrittenStep {
  step: PlannedStep;
  lines: string[];
  /** Widget functions the step's fields call, for the import line. */
  widgets: string[];
}

function codeStep(s: PlannedStep): WrittenStep {
  return {
    step: s,
    widgets: [],
    lines: [
      '  .step({',
      ...stepHead(s, s.docs),
      '    fields: {},',
      `    ...nb.code(${partsArgs(s)}),`,
      '  })',
    ],
  };
}

function parametersStep(s: PlannedStep, plan: NotebookPlan): WrittenStep {
  const fields: string[] = [];
  const widgets: string[] = [];
  const notes: string[] = [];
  for (const spec of s.parameters?.parameters ?? []) {
    const call = widgetCall(spec, { dirExpr: 'NOTEBOOK_DIR' });
    if (call) {
      fields.push(`      ${/^[A-Za-z_$][\w$]*$/.test(spec.name) ? spec.name : quote(spec.name)}: ${call},`);
      widgets.push(widgetFunction(call));
      continue;
    }
    // The reason comes from fieldFor itself, so the docs say what the notebook's own workflow says.
    const f = fieldFor(spec);
    const reason = f.widget ? '' : f.reason;
    notes.push(`- \`${spec.name}\` keeps its default: ${reason}`);
    fields.push(`      // No field for ${oneLine(spec.name)}, so the code gets the cell's own value: ${oneLine(reason)}.`);
  }
  for (const p of plan.problems.filter((p) => p.step === s.id)) notes.push(`- ${p.message}`);
  // The same docs the notebook's workflow shows: the markdown, then what needs the person's attention.
  const docs = [s.docs, notes.length ? `**This parameters cell needs attention:**\n\n${notes.join('\n')}` : ''].filter(Boolean).join('\n\n');
  return {
    step: s,
    widgets,
    lines: [
      '  .step({',
      ...stepHead(s, docs),
      ...(fields.length ? ['    // One field per parameter; what is entered is injected as a cell after this one (papermill\'s way).', '    fields: {', ...fields, '    },'] : ['    fields: {},']),
      `    ...nb.parameters(${partsArgs(s)}),`,
      '  })',
    ],
  };
}

function stepHead(s: PlannedStep, docs: string): string[] {
  return [`    id: ${quote(s.id)},`, `    title: ${quote(s.title)},`, ...(docs ? [`    docs: ${templateLiteral(docs)},`] : [])];
}

/** `'id', 'title', \`code\`` and the flags the cell's tags set (only those that are set). */
function partsArgs(s: PlannedStep): string {
  const set = Object.entries(flagsOf(s)).filter(([, on]) => on === true).map(([k]) => `${k}: true`);
  return [quote(s.id), quote(s.title), templateLiteral(s.code), ...(set.length ? [`{ ${set.join(', ')} }`] : [])].join(', ');
}

function kernelSetup(nb: Notebook, plan: NotebookPlan, opts: ConvertOptions): string[] {
  return [
    '// The folder the cells run in: the notebook\'s folder, found from this file\'s own folder, so the',
    '// two keep working when moved together. Relative paths in the code (open("data.csv")) resolve there.',
    `const NOTEBOOK_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), ${quote(opts.cwd ?? '.')});`,
    '',
    'const nb = notebookCells({',
    `  language: ${quote(plan.language)},`,
    ...kernelLines(nb, plan, opts),
    '  cwd: NOTEBOOK_DIR,',
    '});',
    '',
  ];
}

function kernelLines(nb: Notebook, plan: NotebookPlan, opts: ConvertOptions): string[] {
  if (opts.kernel !== undefined) return [`  kernel: ${quote(opts.kernel)},`];
  if (NODE_LANGUAGES.has(plan.language)) return ['  // Runs in Node itself: no Jupyter kernel needed.'];
  if (!nb.kernel.name) return [`  // The notebook names no kernel: an installed one for ${oneLine(plan.language)} runs it (set \`kernel: 'name'\` to choose).`];
  return [
    '  // The kernel the notebook names; where it is not installed, an installed one for the language, as',
    `  // for the notebook itself. Write \`kernel: ${quote(nb.kernel.name)}\` instead to insist on this one.`,
    `  kernelInfo: { name: ${quote(nb.kernel.name)} },`,
  ];
}

function header(nb: Notebook, plan: NotebookPlan, opts: ConvertOptions): string[] {
  const file = opts.source ?? nb.file.split(/[\\/]/).pop() ?? nb.file;
  const date = (opts.date ?? new Date()).toISOString().slice(0, 10);
  const title = oneLine(plan.title);
  const lines = [
    '/**',
    ` * ${title}`,
    ' *',
    ` * Converted from ${oneLine(file)} by \`railbook convert\` on ${date}.`,
    ' * Each code cell of the notebook is a step; its markdown is the steps\' docs; a `parameters` cell',
    ' * is a form whose values are injected as a cell after it. It runs exactly as the notebook does.',
    ' * Change it freely: add widgets, checks or steps of your own around the cells (workflows/hello.ts',
    ' * shows the shape of a step).',
    ' *',
    ' * Run it:',
    ` *   railbook serve                 and choose "${title}" in the workflow menu`,
    ` *   railbook run job.json          with job.json: ${oneLine(exampleJob(plan))}`,
    ' *',
    ` * It has the notebook's id ("${plan.id}"): load one or the other, not both (keep the notebook out`,
    ' * of the notebooks folders Railbook reads, or change the id here).',
    ' */',
  ];
  return lines;
}

/** A job file for the workflow: the first plain parameter given its default, to show the shape. */
function exampleJob(plan: NotebookPlan): string {
  for (const s of plan.steps) {
    const p = s.parameters?.parameters.find((x) => x.widget === undefined && x.type !== 'none');
    if (p) return `{ "workflow": ${JSON.stringify(plan.id)}, "inputs": { ${JSON.stringify(s.id)}: { ${JSON.stringify(p.name)}: ${JSON.stringify(p.default)} } } }`;
  }
  return `{ "workflow": ${JSON.stringify(plan.id)}, "inputs": {} }`;
}

/** Text for one line of a comment: no line breaks, no end of comment. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\*\//g, '* /');
}
