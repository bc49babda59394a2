// A parameter's widget as TypeScript source, for the workflow files `railbook convert` writes:
// the same widget, with the same options, that fieldFor (parameter-fields.ts) builds at load time,
// written out so a person can see and change it. The unit tests evaluate each call and compare it
// with fieldFor's widget, so the two cannot drift apart unnoticed.
import path from 'node:path';
import { TEXT_DEFAULT_MAX } from '../widgets/text.tsx';
import { listItemType } from './parameter-fields.ts';
import { globToRegExp } from './parameters-comments.ts';
import type { Json, ParameterSpec } from './parameters.ts';

export interface WidgetCallOptions {
  /** The expression that holds the notebook's folder in the generated file (`# files: data/` is relative to it). */
  dirExpr: string;
}

/** The widget call for a parameter (`text({ label: 'name', … })`), or undefined where fieldFor has no widget (a bare None). */
export function widgetCall(spec: ParameterSpec, opts: WidgetCallOptions): string | undefined {
  const d = spec.default;
  const w = spec.widget;
  // Options in fieldFor's order; an absent one is left out, as fieldFor's `undefined` is.
  const call = (fn: string, ...parts: (string | undefined)[]) => {
    const base = [`label: ${js(spec.name)}`, spec.help !== undefined ? `help: ${js(spec.help)}` : undefined];
    return `${fn}({ ${[...base, ...parts].filter((p) => p !== undefined).join(', ')} })`;
  };
  const opt = (name: string, value: Json | undefined) => (value === undefined ? undefined : `${name}: ${js(value)}`);
  const stringDefault = typeof d === 'string' ? d : undefined;

  switch (w?.kind) {
    case 'choices':
      if (spec.type === 'list') return call('checkboxes', opt('options', w.options), opt('initial', d));
      if (spec.type === 'integer' || spec.type === 'float') {
        // The dropdown holds the options as written; the cell receives the chosen one as a number.
        return call('dropdown', opt('options', w.options), opt('initial', w.options.find((o) => Number(o) === d)));
      }
      return call('dropdown', opt('options', w.options), opt('initial', stringDefault));
    case 'range':
      return call('range', opt('min', w.min), opt('max', w.max), opt('step', w.step), opt('initial', d));
    case 'file':
      return call('fileUpload', w.accept ? opt('accept', w.accept) : undefined);
    case 'files': {
      const initial = Array.isArray(d) ? d.map((x) => path.posix.basename(x as string)) : stringDefault !== undefined ? [path.posix.basename(stringDefault)] : undefined;
      return call(
        'fileList',
        `folder: path.resolve(${opts.dirExpr}, ${js(w.folder)})`,
        opt('multiple', spec.type === 'list'),
        w.pattern ? `pattern: ${regexLiteral(globToRegExp(w.pattern))}` : undefined,
        opt('initial', initial),
      );
    }
    case 'textarea':
      return call('textarea', 'required: false', opt('initial', stringDefault));
    case undefined:
      break;
  }
  switch (spec.type) {
    case 'string':
      // A one-line field trims and stops at TEXT_DEFAULT_MAX characters; a default it would change goes in a textarea.
      if (stringDefault !== undefined && (stringDefault !== stringDefault.trim() || stringDefault.length > TEXT_DEFAULT_MAX)) {
        return call('textarea', 'required: false', opt('initial', stringDefault), 'rows: 2');
      }
      return call('text', 'required: false', opt('initial', stringDefault));
    case 'multiline':
      return call('textarea', 'required: false', opt('initial', stringDefault));
    case 'boolean':
      return call('toggle', opt('initial', d === true));
    case 'integer':
    case 'float':
      return call('number', opt('integer', spec.type === 'integer'), 'required: false', opt('initial', typeof d === 'number' ? d : undefined));
    case 'list': {
      const items = Array.isArray(d) ? d : [];
      return call('list', opt('itemType', listItemType(items, spec.annotation)), opt('initial', items));
    }
    case 'none':
      return undefined;
  }
}

/** The widget function a call made by widgetCall uses (`text`, `dropdown`, …), for the file's import line. */
export function widgetFunction(call: string): string {
  const m = /^([A-Za-z]\w*)\(/.exec(call);
  if (!m) throw new Error(`not a widget call: ${call}`);
  return m[1]!;
}

/** A JSON value as a TypeScript literal: strings in single quotes, the way workflow files are written. */
export function js(v: Json): string {
  if (typeof v === 'string') return quote(v);
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (Array.isArray(v)) return `[${v.map(js).join(', ')}]`;
  const entries = Object.entries(v).map(([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k)}: ${js(x)}`);
  return entries.length ? `{ ${entries.join(', ')} }` : '{}';
}

/** A single-quoted string literal: JSON's escapes, with `'` escaped instead of `"`. */
export function quote(s: string): string {
  const inner = JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'");
  // Line and paragraph separators are legal in a string literal but invisible: show them.
  return `'${inner.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}'`;
}

/** A regular expression literal (a RegExp's source already escapes "/" and line breaks). */
function regexLiteral(re: RegExp): string {
  return `/${re.source}/${re.flags}`;
}
