// A parameter of a parameters cell as one of Railbook's input widgets, and the widget's value
// turned back into the value the notebook's code receives (parameters-inject.ts writes it).

import path from 'node:path';
import {
  checkboxes, dropdown, fileList, fileUpload, list, number, range, text, textarea, toggle, type InputWidget, type ListItemType,
} from '../widgets/index.ts';
import { TEXT_DEFAULT_MAX } from '../widgets/text.tsx';
import { isArtifactRef, type ArtifactRef } from '../store/artifact-ref.ts';
import { globToRegExp } from './parameters-comments.ts';
import type { Json, ParameterSpec } from './parameters.ts';

export interface FieldOptions {
  /** The notebook's folder: `# files: data/` is relative to it, as the kernel's working directory is. */
  baseDir?: string;
}

/**
 * The widget for a parameter, or why there is none. Every typed parameter has one: an int or a
 * float without a directive is a number field, a list a one-item-a-line list field. Only a bare
 * `None` (no annotation, no widget comment) comes back `missing: 'type'`, since it says nothing
 * about what to ask for; the caller shows the default and says how to give it a type.
 */
export type ParameterField =
  | { widget: InputWidget<any>; missing?: undefined }
  | { widget?: undefined; missing: 'type'; reason: string };

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
      // Not required: an emptied field gives the cell's default (parameterValue), and `n: int = None` stays None.
      return { widget: number({ label, help, integer: spec.type === 'integer', required: false, ...(typeof d === 'number' ? { initial: d } : {}) }) };
    case 'list': {
      const items = Array.isArray(d) ? d : [];
      return { widget: list({ label, help, itemType: listItemType(items, spec.annotation), initial: items }) };
    }
    case 'none':
      return { missing: 'type', reason: `${spec.name} = None says nothing about what to ask for: give it a default, a type annotation or a widget comment` };
  }
}

/**
 * What the items of a list parameter are: what the annotation says (`list[float]`, `Vector{Int}`,
 * `string[]`) when the default fits it, else what the default holds. The literal reader keeps no
 * spelling, so `[1.0, 2.0]` without an annotation reads as whole numbers. Text that a line cannot
 * hold as typed (blank, padded, several lines) makes the list mixed, where such text is quoted.
 */
export function listItemType(items: readonly Json[], annotation?: string): ListItemType {
  const declared = annotation ? annotatedItemType(annotation) : undefined;
  const fits = (t: ListItemType) => items.every((x) => ITEM_FITS[t](x));
  if (declared && fits(declared)) return declared;
  if (items.length === 0) return 'mixed';
  for (const t of ['string', 'integer', 'float', 'boolean'] as const) if (fits(t)) return t;
  return 'mixed';
}

const ITEM_FITS: Record<ListItemType, (x: Json) => boolean> = {
  string: (x) => typeof x === 'string' && x !== '' && x === x.trim() && !/[\r\n]/.test(x),
  integer: (x) => Number.isSafeInteger(x),
  float: (x) => typeof x === 'number' && Number.isFinite(x),
  boolean: (x) => typeof x === 'boolean',
  mixed: () => true,
};

// Item type names in Python, Julia and TypeScript annotations.
const ITEM_NAMES: Record<string, ListItemType> = {
  int: 'integer', Int: 'integer', Int64: 'integer', Int32: 'integer', Integer: 'integer',
  float: 'float', Float64: 'float', Float32: 'float', AbstractFloat: 'float', Real: 'float', number: 'float',
  str: 'string', String: 'string', AbstractString: 'string', string: 'string',
  bool: 'boolean', Bool: 'boolean', boolean: 'boolean',
};

function annotatedItemType(annotation: string): ListItemType | undefined {
  const m =
    /\b(?:list|List|Sequence|tuple|Tuple|Vector|AbstractVector|Array|ReadonlyArray)\s*[[{<]\s*([A-Za-z_]\w*)/.exec(annotation) ??
    /^(?:readonly\s+)?([A-Za-z_]\w*)\s*\[\]$/.exec(annotation.trim());
  return m && Object.hasOwn(ITEM_NAMES, m[1]!) ? ITEM_NAMES[m[1]!] : undefined;
}

export interface ValueOptions {
  /** Absolute path of the data folder: an uploaded file is handed to the code as its absolute path there. */
  dataDir?: string;
  /** Absolute path of a stored upload (a step's `ctx.artifacts.resolve`); wins over `dataDir`. */
  resolve?: ((ref: ArtifactRef) => string) | undefined;
}

/**
 * The value the notebook's code receives for what the field holds: a number chosen from a
 * dropdown as a number (number and list fields already hold numbers and lists), an upload as its
 * path, files picked from a folder as paths relative to the notebook (the kernel's working
 * directory), as written in the comment. Nothing entered gives the cell's default.
 */
export function parameterValue(spec: ParameterSpec, value: unknown, opts: ValueOptions = {}): Json {
  if (value === undefined) return spec.default;
  const w = spec.widget;
  if (w?.kind === 'choices' && (spec.type === 'integer' || spec.type === 'float') && typeof value === 'string') return Number(value);
  if (w?.kind === 'file') {
    if (!isArtifactRef(value)) return spec.default;
    if (opts.resolve) return opts.resolve(value);
    return opts.dataDir ? path.join(opts.dataDir, ...value.path.split('/')) : value.path;
  }
  if (w?.kind === 'files' && Array.isArray(value)) {
    const paths = value.map((n) => path.posix.join(w.folder, String(n)));
    return spec.type === 'list' ? paths : (paths[0] ?? null);
  }
  return value as Json;
}
