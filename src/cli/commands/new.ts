import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { loadRegistry, withGlobalOptions, workflowDirs, type GlobalOptions } from '../context.ts';
import { CliError } from '../exit-codes.ts';

interface Options extends GlobalOptions {
  title?: string;
  force?: boolean;
}

const SRC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TEMPLATE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../templates/workflow.ts.txt');
/** The engine's own rule for workflow ids (src/engine/workflow.ts): they become part of run keys. */
const WORKFLOW_ID = /^[a-z][a-z0-9_]{0,39}$/;

export function newCommand(program: Command): void {
  const cmd = program
    .command('new')
    .argument('<workflow-id>', 'id of the new workflow: lower-case letters, digits and "_", starting with a letter')
    .description('write a new workflow file, workflows/<id>.ts, from a commented template that shows the API')
    .option('-t, --title <title>', 'title shown in the app (default: from the id)')
    .option('-f, --force', 'overwrite the file if it exists')
    .addHelpText('after', `
The file goes into the first folder of --workflows-dir (or $RAILBOOK_WORKFLOWS_DIR), else the
built-in workflows/. The id becomes part of every run key (<profile>-<id>-01), so it may not contain "-".
The new file has three steps: one that only takes input, one that works with progress and
cancel, and one with a suggested value; edit it and reload.

Examples:
  railbook new weekly_report --title "Weekly report"
  railbook new weekly_report --force            start over from the template`)
    .action(async (id: string, opts: Options) => {
      const { BUILTIN_WORKFLOWS_DIR } = await import('../../engine/registry.ts');
      const dirs = workflowDirs(opts.workflowsDir, BUILTIN_WORKFLOWS_DIR);
      const file = await writeWorkflowFile(id, { dir: dirs[0]!, allDirs: dirs, title: opts.title, force: opts.force === true });
      const shown = path.relative(process.cwd(), file);
      process.stdout.write(`Created ${shown && !shown.startsWith('..') ? shown : file}\n`);
      process.stderr.write(`Next: edit it, then \`railbook serve\` and pick it in the workflow menu, or \`railbook run\` a job file with "workflow": "${id}".\n`);
    });
  withGlobalOptions(cmd);
}

export function validateWorkflowId(id: string): string {
  if (WORKFLOW_ID.test(id)) return id;
  const hint = id.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^[^a-z]+/, '').slice(0, 40);
  throw new CliError(
    `workflow id "${id}" must be lower-case letters, digits or "_", start with a letter and have at most 40 characters` +
      ` (it becomes part of run keys, where "-" separates the parts)${hint && WORKFLOW_ID.test(hint) ? `; try "${hint}"` : ''}`,
  );
}

/** "weekly_report" → "Weekly report". */
export function titleFromId(id: string): string {
  const words = id.split('_').filter(Boolean).join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The module specifier a file in `fromDir` uses to import `target` (relative, with forward slashes). */
export function importPath(fromDir: string, target: string): string {
  const rel = path.relative(fromDir, target);
  // Another drive (Windows): only an absolute file URL reaches it.
  if (path.isAbsolute(rel)) return pathToFileURL(target).href;
  const posix = rel.split(path.sep).join('/');
  return posix.startsWith('.') ? posix : `./${posix}`;
}

export function renderTemplate(template: string, o: { id: string; title: string; dir: string }): string {
  const values: Record<string, string> = {
    id: o.id,
    titleJson: JSON.stringify(o.title),
    // Inside a /** */ comment: no "*/", no line breaks.
    titleComment: o.title.replace(/\*\//g, '* /').replace(/[\r\n]+/g, ' '),
    engineImport: importPath(o.dir, path.join(SRC_DIR, 'engine', 'index.ts')),
    widgetsImport: importPath(o.dir, path.join(SRC_DIR, 'widgets', 'index.ts')),
  };
  return template.replace(/\{\{(\w+)\}\}/g, (m, name: string) => values[name] ?? m);
}

/**
 * Workflow files are ES modules. Outside this repository a folder may have no package.json
 * saying so, and Node (and tsx) would then treat `.ts` files as CommonJS, which cannot import
 * Railbook's ES modules. Such a folder gets a one-line package.json: `{ "type": "module" }`.
 */
export async function ensureEsmFolder(dir: string): Promise<boolean> {
  for (let d = dir; ; d = path.dirname(d)) {
    const pkg = path.join(d, 'package.json');
    if (existsSync(pkg)) {
      let type: unknown;
      try {
        type = (JSON.parse(await readFile(pkg, 'utf8')) as { type?: unknown }).type;
      } catch {
        type = undefined;
      }
      if (type === 'module') return false;
      if (d === dir) throw new CliError(`${pkg} does not say "type": "module"; workflow files are ES modules, so add that line to it`);
      break;
    }
    if (path.dirname(d) === d) break;
  }
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }, null, 2) + '\n', 'utf8');
  process.stderr.write(`Wrote ${path.join(dir, 'package.json')} ({ "type": "module" }): workflow files are ES modules.\n`);
  return true;
}

/**
 * Writes `<dir>/<id>.ts` from the template and checks it loads. Refuses an invalid id, an
 * existing file (unless `force`), and an id another workflow file already uses.
 */
export async function writeWorkflowFile(id: string, o: { dir: string; allDirs?: string[]; title?: string | undefined; force?: boolean }): Promise<string> {
  validateWorkflowId(id);
  const title = (o.title ?? titleFromId(id)).trim();
  if (title === '') throw new CliError('--title must not be empty');
  const dir = path.resolve(o.dir);
  const file = path.join(dir, `${id}.ts`);
  const exists = existsSync(file);
  if (exists && !o.force) throw new CliError(`${file} already exists; add --force to overwrite it`);
  if (!exists) {
    const registry = await loadRegistry((o.allDirs ?? [dir]).filter((d) => existsSync(d)));
    if (registry.get(id)) throw new CliError(`a workflow with the id "${id}" already exists in another file; choose another id`);
  }
  const source = renderTemplate(await readFile(TEMPLATE, 'utf8'), { id, title, dir });
  await mkdir(dir, { recursive: true });
  await ensureEsmFolder(dir);
  await writeFile(file, source, 'utf8');
  // The template is meant to load as written; say so now rather than at the next `serve`.
  try {
    const mod = (await import(pathToFileURL(file).href)) as { default?: { id?: unknown } };
    if (mod.default?.id !== id) throw new Error('its default export is not the workflow');
  } catch (e) {
    throw new CliError(`wrote ${file}, but it does not load: ${(e as Error).message}`, 1);
  }
  return file;
}
