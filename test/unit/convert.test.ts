// `railbook convert`'s workflow files: a notebook written as TypeScript must build the same
// workflow the notebook loader builds — same steps, docs, fields, code and flags — so a person who
// converts a notebook to extend it starts from something that behaves exactly like it.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { importPath } from '../../src/cli/commands/new.ts';
import { moduleLoader } from '../../src/engine/registry.ts';
import type { AnyStep, Workflow } from '../../src/engine/workflow.ts';
import { convertNotebook, templateLiteral } from '../../src/notebooks/convert.ts';
import { quote, widgetCall, widgetFunction } from '../../src/notebooks/convert-fields.ts';
import type { Notebook } from '../../src/notebooks/notebook.ts';
import { code, md, notebook } from '../helpers/notebook-model.ts';
import { notebookWorkflow } from '../../src/notebooks/notebook-workflow.ts';
import { fieldFor } from '../../src/notebooks/parameter-fields.ts';
import { parseParameters } from '../../src/notebooks/parameters.ts';
import { planNotebook } from '../../src/notebooks/plan.ts';
import * as widgets from '../../src/widgets/index.ts';
import type { InputWidget } from '../../src/widgets/index.ts';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
const tmp = mkdtempSync(path.join(tmpdir(), 'railbook-convert-'));
after(() => process.env.KEEP_CONVERT ? undefined : rmSync(tmp, { recursive: true, force: true }));
// Workflow files are ES modules; a temp folder has no package.json saying so.
writeFileSync(path.join(tmp, 'package.json'), '{ "type": "module" }\n');

/** Text with everything a template literal treats specially, and line ends of every kind. */
const TRICKY = 'a `tick` and ``` fences, ${not} $ {x} $${y} \\${z}, back\\slash \\` \\\\n \\u0041\r\nCRLF\rCR\u2028LS\ttab\n';

describe('templateLiteral', () => {
  test('evaluates to exactly the text, whatever it holds', () => {
    for (const s of [TRICKY, '', '`', '\\', '${', '$', '\\\\`', 'x\\', '`${`${`}`}`', '\u0000nul', 'émoji 🎉']) {
      assert.equal(new Function(`return ${templateLiteral(s)};`)(), s);
    }
  });

  test('a single-quoted string literal round-trips too', () => {
    for (const s of [TRICKY, "it's", '\\\'', 'a"b', '\u2029']) assert.equal(new Function(`return ${quote(s)};`)(), s);
  });
});

// ---- widgetCall against fieldFor ------------------------------------------------------------------

/** A parameters cell with every kind of widget fieldFor chooses, and a bare None that gets none. */
const PARAMETERS = [
  'colour = "red"  # The pen | choices: red, green, blue',
  'nocolour = None  # choices: red, green',
  'size = 2  # choices: 1, 2, 3',
  'ratio = 0.5  # Ratio | choices: 0.25, 0.5, 1',
  'tags = ["a", "c"]  # choices: a, b, c',
  'level = 5  # range: 0..10',
  'alpha = 0.5  # Opacity | range: 0..1 step 0.05',
  'data = None  # file: .csv,.tsv',
  'upload = None  # file',
  'inputs = ["data/a.csv"]  # files: data/*.csv',
  'one = "data/b.txt"  # files: data/',
  'picked = None  # files: data/',
  'note = ""  # textarea',
  'title = "Report"  # It\'s a "title" with `ticks` and ${x}',
  'padded = " x "',
  `long = "${'a'.repeat(1001)}"`,
  'multi = """a\nb"""',
  'nothing_text: str = None',
  'shout = False',
  'n = 5  # How many',
  'f = 1.5',
  'm: int = None',
  'names = ["a", "b"]',
  'stuff = ["a", 1, None]',
  'empty = []',
  'weights: list[float] = [1, 2]',
  'bare = None',
].join('\n');

const dir = path.join(tmp, 'notebooks');
mkdirSync(path.join(dir, 'data'), { recursive: true });
writeFileSync(path.join(dir, 'data', 'a.csv'), 'x\n1\n');
writeFileSync(path.join(dir, 'data', 'b.txt'), 'b');

/** What the code of a widgetCall builds, evaluated with the widget library in scope. */
function evaluate(call: string): InputWidget<any> {
  const fn = widgetFunction(call);
  return new Function('w', 'path', 'NOTEBOOK_DIR', `const { ${fn} } = w; return ${call};`)(widgets, path, dir) as InputWidget<any>;
}

async function html(node: unknown): Promise<string> {
  return String(await (node as { toString(): unknown }).toString());
}

/** What a person and a job file see of a widget: its kind, texts, start value, accepted values and form. */
async function looks(w: InputWidget<any>) {
  const schema = w.jsonSchema ? w.jsonSchema() : z.toJSONSchema(w.schema, { io: 'input', unrepresentable: 'any' });
  const folder = (w as { folder?: string }).folder;
  return { kind: w.kind, label: w.label, help: w.help, initial: w.initial, schema, folder, form: await html(w.render({ name: 'f', id: 'f', value: undefined })) };
}

describe('widgetCall', () => {
  const specs = parseParameters(PARAMETERS, 'python');
  test('the cell reads without errors', () => assert.deepEqual(specs.errors, []));

  test('builds the widget fieldFor builds, for every kind, with the same options', async () => {
    const kinds = new Set<string>();
    for (const spec of specs.parameters) {
      const expected = fieldFor(spec, { baseDir: dir });
      const call = widgetCall(spec, { dirExpr: 'NOTEBOOK_DIR' });
      if (!expected.widget) {
        assert.equal(call, undefined, `${spec.name} has no field`);
        continue;
      }
      assert.ok(call, `${spec.name} has a widget call`);
      const got = evaluate(call);
      assert.deepEqual(await looks(got), await looks(expected.widget), `${spec.name}: ${call}`);
      kinds.add(got.kind);
    }
    // Every widget a parameter can get was compared (a new kind in fieldFor should be added above).
    assert.deepEqual([...kinds].sort(), ['checkboxes', 'dropdown', 'file-upload', 'file-list', 'list', 'number', 'range', 'switch', 'text', 'textarea'].sort());
  });

  test('writes readable calls: options as literals, the folder from the notebook\'s folder', () => {
    const byName = Object.fromEntries(specs.parameters.map((s) => [s.name, widgetCall(s, { dirExpr: 'NOTEBOOK_DIR' })]));
    assert.equal(byName.colour, "dropdown({ label: 'colour', help: 'The pen', options: ['red', 'green', 'blue'], initial: 'red' })");
    assert.equal(byName.n, "number({ label: 'n', help: 'How many', integer: true, required: false, initial: 5 })");
    assert.equal(byName.inputs, "fileList({ label: 'inputs', folder: path.resolve(NOTEBOOK_DIR, 'data'), multiple: true, pattern: /^.*\\.csv$/, initial: ['a.csv'] })");
    assert.equal(byName.bare, undefined);
  });
});

// ---- a whole notebook --------------------------------------------------------------------------


const DEMO = notebook(
  [
    md('# Demo `report`\n\nWhat it does, with ${money} and a \\ backslash.'),
    md('## Inputs\n\nSet these.'),
    code(`${PARAMETERS}\nx = = 1\nimport os`, { tags: ['parameters'] }),
    code('# Load\nrows = load()'),
    code('print(`odd`)', { tags: ['skip-execution'] }),
    md('Tricky text: ' + TRICKY),
    code(TRICKY, { tags: ['raises-exception', 'hide-input'] }),
    code('secret = 1', { tags: ['remove-cell'] }),
    code('# Empty parameters', { tags: ['parameters'] }),
    md('## The end\n\nA closing note.'),
  ],
  { name: 'python3', language: 'python' },
  path.join(dir, 'Demo Report.ipynb'),
);

/** Writes the converted notebook into a workflows folder beside its own and loads it as Railbook does. */
async function convertAndLoad(nb: Notebook, name: string, opts: { kernel?: string } = {}): Promise<{ source: string; wf: Workflow }> {
  const wfDir = path.join(tmp, 'workflows');
  mkdirSync(wfDir, { recursive: true });
  const source = convertNotebook(nb, planNotebook(nb), { importBase: importPath(wfDir, SRC), cwd: '../notebooks', kernel: opts.kernel, date: new Date('2026-01-02T03:04:05Z') });
  const file = path.join(wfDir, `${name}.ts`);
  writeFileSync(file, source);
  return { source, wf: await moduleLoader.load(file, '?v=1') };
}

async function fieldsOf(step: AnyStep) {
  return Promise.all(Object.entries(step.fields).map(async ([name, w]) => ({ name, ...(await looks(w)) })));
}

/** Everything of a step the engine and the page use, but its functions. */
async function stepFacts(s: AnyStep) {
  return { id: s.id, title: s.title, docs: s.docs ?? '', fields: await fieldsOf(s), source: s.source, version: s.version, submitLabel: s.submitLabel };
}

describe('convertNotebook', () => {
  test('the converted file builds the workflow the notebook loader builds', async () => {
    const plan = planNotebook(DEMO);
    const { source, wf } = await convertAndLoad(DEMO, 'demo');
    const expected = notebookWorkflow(DEMO, plan);
    assert.equal(wf.id, expected.id);
    assert.equal(wf.title, 'Demo `report`');
    assert.equal(wf.title, expected.title);
    assert.equal(wf.description, expected.description);
    assert.deepEqual(wf.steps.map((s) => s.id), plan.steps.map((s) => s.id));
    for (let i = 0; i < plan.steps.length; i++) assert.deepEqual(await stepFacts(wf.steps[i]!), await stepFacts(expected.steps[i]!), `step ${plan.steps[i]!.id}`);
    assert.equal(source.match(/^ {2}\.step\(\{$/gm)?.length, plan.steps.length);
    assert.match(source, /^ \* Converted from Demo Report\.ipynb by `railbook convert` on 2026-01-02\.$/m);
  });

  test('cells holding backticks, ${ and backslashes keep every byte', async () => {
    const { wf } = await convertAndLoad(DEMO, 'bytes');
    const tricky = wf.steps.find((s) => s.source?.code === TRICKY);
    assert.ok(tricky, 'the tricky cell is a step with its code unchanged');
    assert.equal(tricky.source?.hidden, true);
    assert.ok(wf.steps.some((s) => s.docs === `Tricky text: ${TRICKY}`.trim()));
  });

  test('flags are written only when set, and a skipped cell shows without running, as in the notebook', async () => {
    const { source, wf } = await convertAndLoad(DEMO, 'flags');
    const expected = notebookWorkflow(DEMO, planNotebook(DEMO));
    assert.match(source, /\.\.\.nb\.code\('load', 'Load', `# Load\nrows = load\(\)`\),$/m);
    assert.match(source, /\{ skip: true \}\),$/m);
    assert.match(source, /\{ raisesException: true, hideCode: true \}\),$/m);
    assert.match(source, /\{ hideCode: true, hideOutput: true \}\),$/m);
    const skip = (w: Workflow) => w.steps.find((s) => s.submitLabel === 'Continue')!;
    const ctx = { input: {}, outputs: {} } as never;
    assert.deepEqual(await skip(wf).run!(ctx), await skip(expected).run!(ctx));
  });

  test('a parameter without a field is a comment saying why; the cell\'s mistakes are in the docs', async () => {
    const { source, wf } = await convertAndLoad(DEMO, 'notes');
    assert.match(source, /\/\/ No field for bare, so the code gets the cell's own value: bare = None says nothing/);
    const [params, empty] = wf.steps.filter((s) => s.submitLabel === 'Run with these values');
    assert.ok(params && empty, 'two parameters steps');
    assert.ok(!('bare' in params.fields));
    assert.match(params.docs ?? '', /This parameters cell needs attention/);
    assert.match(params.docs ?? '', /`bare` keeps its default/);
    // The second parameters cell has no parameters: no fields, and no widget import it does not use.
    assert.deepEqual(Object.keys(empty.fields), []);
    assert.match(source, /^import \{ checkboxes, dropdown, fileList, fileUpload, list, number, range, text, textarea, toggle \} from '.*\/widgets\/index\.ts';$/m);
  });

  test('the kernel: the one the notebook names by default, --kernel when given, none for TypeScript', async () => {
    const { source } = await convertAndLoad(DEMO, 'kernel_default');
    assert.match(source, /^ {2}kernelInfo: \{ name: 'python3' \},$/m);
    const { source: chosen } = await convertAndLoad(DEMO, 'kernel_chosen', { kernel: 'xpython' });
    assert.match(chosen, /^ {2}kernel: 'xpython',$/m);
    assert.doesNotMatch(chosen, /kernelInfo/);
    const ts = notebook([code('const n: number = 1;\nn + 1')], { name: 'tslab', language: 'typescript' }, path.join(dir, 'calc.ipynb'));
    const { source: tsSource, wf } = await convertAndLoad(ts, 'calc');
    assert.doesNotMatch(tsSource, /kernelInfo|kernel:/);
    assert.deepEqual(await stepFacts(wf.steps[0]!), await stepFacts(notebookWorkflow(ts, planNotebook(ts)).steps[0]!));
  });

  test('a notebook with no code cells is a workflow with no steps, and nothing unused in it', async () => {
    const empty = notebook([md('# Notes only\n\nNothing to run yet.')], { name: 'python3', language: 'python' }, path.join(dir, 'notes.ipynb'));
    const { source, wf } = await convertAndLoad(empty, 'notes_only');
    assert.equal(wf.steps.length, 0);
    assert.equal(wf.description, 'Nothing to run yet.');
    assert.doesNotMatch(source, /notebookCells|NOTEBOOK_DIR|node:path/);
  });

  test('the cells run in the notebook\'s folder, written relative to the file\'s own folder', async () => {
    const { source } = await convertAndLoad(DEMO, 'cwd');
    assert.match(source, /^const NOTEBOOK_DIR = path\.resolve\(path\.dirname\(fileURLToPath\(import\.meta\.url\)\), '\.\.\/notebooks'\);$/m);
    assert.match(source, /^ {2}cwd: NOTEBOOK_DIR,$/m);
  });
});
