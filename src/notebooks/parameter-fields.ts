// A parameter of a parameters cell as one of Railbook's input widgets, and the widget's value
// turned back into the value the notebook's code receives (parameters-inject.ts writes it).

import path from 'node:path';
import {
  checkboxes, dropdown, fileList, fileUpload, range, text, textarea, toggle, type InputWidget,
} from '../widgets/index.ts';
import { TEXT_DEFAULT_MAX } from '../widgets/text.tsx';
import { isArtifactRef } from '../store/artifact-ref.ts';
import { globToRegExp } from './parameters-comments.ts';
import type { Json, ParameterSpec } from './parameters.ts';

export interface FieldOptions {
  /** The notebook's folder: `# files: data/` is relative to it, as the kernel's working directory is. */
  baseDir?: string;
}

/**
 * The widget for a parameter, or why there is none. The widget library has no free number input
 * and no free list input yet, so an int/float without `# range:`/`# choices:` and a list without
 * `# choices:`/`# files:` come back `missing` (the caller shows the default and says how to add a
 * widget); so does a bare `None`, which has no type to ask for.
 */
export type ParameterField =
  | { widget: InputWidget<any>; missing?: undefined }
  | { widget?: undefined; missing: 'number' | 'list' | 'type'; reason: string };

export function fieldFor(spec: ParameterSpec, opts: FieldOptions = {}): ParameterField {
  const label = spec.name;
  const help = spec.help;
  const d = spec.default;
  const w = spec.widget;
  switch (w?.kind) {
    case 'choices':
      if (spec.type === 'list') return { widget: checkboxes({ label, help, options: w.options, initial: d as string[] }) };
      if (spec.type === 'integer' || spec.type === 'float') {
        // The dropdown holds the options as written; parameterValue turns the choice back into a number.
        return { widget: dropdown({ label, help, options: w.options, initial: w.options.find((o) => Number(o) === d) }) };
      }
      return { widget: dropdown({ label, help, options: w.options, ...(typeof d === 'string' ? { initial: d } : {}) }) };
    case 'range':
      return { widget: range({ label, help, min: w.min, max: w.max, step: w.step, initial: d as number }) };
    case 'file':
      return { widget: fileUpload({ label, help, ...(w.accept ? { accept: w.accept } : {}) }) };
    case 'files':
      return {
        widget: fileList({
          label, help,
          folder: path.resolve(opts.baseDir ?? '.', w.folder),
          multiple: spec.type === 'list',
          ...(w.pattern ? { pattern: globToRegExp(w.pattern) } : {}),
          // The list holds plain names; a default written as a path ("data/a.csv") is that name.
          ...(Array.isArray(d) ? { initial: (d as string[]).map((x) => path.posix.basename(x)) } : typeof d === 'string' ? { initial: [path.posix.basename(d)] } : {}),
        }),
      };
    case 'textarea':
      return { widget: textarea({ label, help, required: false, ...(typeof d === 'string' ? { initial: d } : {}) }) };
    case undefined:
      break;
  }
  switch (spec.type) {
    case 'string': {
      const s = d as string | null;
      // A one-line field trims and stops at 1000 characters; a default it would change goes in a textarea.
      if (s !== null && (s !== s.trim() || s.length > TEXT_DEFAULT_MAX)) return { widget: textarea({ label, help, required: false, initial: s, rows: 2 }) };
      return { widget: text({ label, help, required: false, ...(s !== null ? { initial: s } : {}) }) };
    }
    case 'multiline':
      return { widget: textarea({ label, help, required: false, ...(typeof d === 'string' ? { initial: d } : {}) }) };
    case 'boolean':
      return { widget: toggle({ label, help, initial: d === true }) };
    case 'integer':
    case 'float':
      return { missing: 'number', reason: `${spec.name} is a number and there is no number field yet: add "# range: 0..100" or "# choices: 1, 2, 3" after it` };
    case 'list':
      return { missing: 'list', reason: `${spec.name} is a list and there is no list field yet: add "# choices: a, b" or "# files: folder/" after it` };
    case 'none':
      return { missing: 'type', reason: `${spec.name} = None says nothing about what to ask for: give it a default, a type annotation or a widget comment` };
  }
}

export interface ValueOptions {
  /** Absolute path of the data folder: an uploaded file is handed to the code as its absolute path there. */
  dataDir?: string;
}

/**
 * The value the notebook's code receives for what the field holds: a number chosen from a
 * dropdown as a number, an upload as its path, files picked from a folder as paths relative to
 * the notebook (the kernel's working directory), as written in the comment. Nothing entered
 * gives the cell's default.
 */
export function parameterValue(spec: ParameterSpec, value: unknown, opts: ValueOptions = {}): Json {
  if (value === undefined) return spec.default;
  const w = spec.widget;
  if (w?.kind === 'choices' && (spec.type === 'integer' || spec.type === 'float') && typeof value === 'string') return Number(value);
  if (w?.kind === 'file') {
    if (!isArtifactRef(value)) return spec.default;
    return opts.dataDir ? path.join(opts.dataDir, ...value.path.split('/')) : value.path;
  }
  if (w?.kind === 'files' && Array.isArray(value)) {
    const paths = value.map((n) => path.posix.join(w.folder, String(n)));
    return spec.type === 'list' ? paths : (paths[0] ?? null);
  }
  return value as Json;
}
