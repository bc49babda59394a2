// The comment after a parameter's assignment: its help text, and optionally which widget asks
// for it. The syntax is documented on `parseParameters` (parameters.ts) and in DECISIONS.md.

import type { Json } from './parameters-literals.ts';
import type { ParameterType, ParameterWidget } from './parameters.ts';

export interface ReadComment {
  help?: string | undefined;
  widget?: ParameterWidget | undefined;
}

const DIRECTIVE = /^(choices|range|files|file|textarea)\b\s*(?::\s*(.*))?$/i;
const NUM = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`;
const RANGE = new RegExp(String.raw`^(${NUM})\s*\.\.\s*(${NUM})(?:\s+step\s+(${NUM}))?$`, 'i');

/**
 * Splits a trailing comment (without its `#`/`//`) into help text and widget. Throws an Error
 * whose message says what is wrong and how to write it instead.
 */
export function readComment(comment: string): ReadComment {
  const help: string[] = [];
  let widget: ParameterWidget | undefined;
  for (const part of comment.split('|').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = DIRECTIVE.exec(part);
    if (!m) {
      help.push(part);
      continue;
    }
    if (widget) throw new Error(`only one widget per parameter: "${part}" comes after a ${widget.kind} already`);
    widget = directive(m[1]!.toLowerCase(), m[2]?.trim());
  }
  return { help: help.length ? help.join(' | ') : undefined, widget };
}

function directive(kind: string, arg: string | undefined): ParameterWidget {
  switch (kind) {
    case 'choices': {
      const options = (arg ?? '').split(',').map((o) => o.trim());
      if (!arg || options.some((o) => o === '')) throw new Error('write choices as "choices: red, green, blue" (no empty entries)');
      const dup = options.find((o, i) => options.indexOf(o) !== i);
      if (dup !== undefined) throw new Error(`the choice "${dup}" is listed twice`);
      return { kind: 'choices', options };
    }
    case 'range': {
      const m = RANGE.exec(arg ?? '');
      if (!m) throw new Error('write a range as "range: 0..100" or "range: 0..1 step 0.1"');
      const [min, max, step] = [Number(m[1]), Number(m[2]), m[3] === undefined ? 1 : Number(m[3])];
      if (!(max > min)) throw new Error(`the range ${min}..${max} is empty: put the smaller number first`);
      if (!(step > 0)) throw new Error(`the step of a range must be more than 0, not ${step}`);
      return { kind: 'range', min, max, step };
    }
    case 'file':
      return arg ? { kind: 'file', accept: arg.split(',').map((a) => a.trim()).filter(Boolean).join(',') } : { kind: 'file' };
    case 'files': {
      if (!arg) throw new Error('name the folder to choose from, e.g. "files: data/" or "files: data/*.csv"');
      // A wildcard in the last part of the path filters the file names.
      const slash = arg.lastIndexOf('/');
      const last = arg.slice(slash + 1);
      if (/[*?]/.test(last)) return { kind: 'files', folder: slash < 0 ? '.' : arg.slice(0, slash) || '/', pattern: last };
      return { kind: 'files', folder: arg };
    }
    default:
      if (arg) throw new Error(`"textarea" takes nothing after it (got "${arg}")`);
      return { kind: 'textarea' };
  }
}

/** A `*`/`?` file-name pattern as a regular expression over the whole name. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Steps of 0.1 are not exact in binary: within a hair of a step counts as on it (as the range widget does). */
export function onStep(v: number, min: number, step: number): boolean {
  const k = (v - min) / step;
  return Math.abs(k - Math.round(k)) < 1e-9;
}

/**
 * Checks a widget against the parameter's type and default; returns the type the parameter
 * takes with it (a `None` default gets its type from the widget) or throws with the reason.
 */
export function fitWidget(w: ParameterWidget, type: ParameterType, value: Json): ParameterType {
  const shown = JSON.stringify(value);
  switch (w.kind) {
    case 'choices': {
      if (type === 'string' || type === 'none') {
        if (value !== null && !w.options.includes(value as string)) throw new Error(`the default ${shown} is not one of the choices: ${w.options.join(', ')}`);
        return 'string';
      }
      if (type === 'integer' || type === 'float') {
        const bad = w.options.find((o) => !Number.isFinite(Number(o)) || (type === 'integer' && !Number.isInteger(Number(o))));
        if (bad !== undefined) throw new Error(`the choice "${bad}" is not ${type === 'integer' ? 'a whole number' : 'a number'}, but the default is`);
        if (!w.options.some((o) => Number(o) === value)) throw new Error(`the default ${shown} is not one of the choices: ${w.options.join(', ')}`);
        return type;
      }
      if (type === 'list') {
        const items = value as Json[];
        const bad = items.find((i) => typeof i !== 'string' || !w.options.includes(i));
        if (bad !== undefined) throw new Error(`the default item ${JSON.stringify(bad)} is not one of the choices (a list with choices holds strings from: ${w.options.join(', ')})`);
        return 'list';
      }
      throw new Error(`choices work with a string, a number or a list of strings, not a ${type}`);
    }
    case 'range': {
      if (type !== 'integer' && type !== 'float') throw new Error(`a range needs a number, not a ${type} default`);
      if (type === 'integer' && ![w.min, w.max, w.step].every(Number.isInteger)) {
        throw new Error(`the default is a whole number, so the range needs whole numbers too (write the default as ${shown}.0 for a decimal slider)`);
      }
      const v = value as number;
      if (v < w.min || v > w.max) throw new Error(`the default ${v} is outside the range ${w.min}..${w.max}`);
      if (!onStep(v, w.min, w.step)) throw new Error(`the default ${v} is not on a step of ${w.step} from ${w.min}`);
      return type;
    }
    case 'file':
      if (type !== 'string' && type !== 'none') throw new Error(`a file parameter receives a path (a string), so its default must be a string or None, not a ${type}`);
      return 'string';
    case 'files':
      if (type === 'list' && (value as Json[]).some((i) => typeof i !== 'string')) throw new Error('a file list holds file names: its default must be a list of strings');
      if (type !== 'list' && type !== 'string' && type !== 'none') throw new Error(`a file list gives a list of paths (or one path for a string), not a ${type}`);
      return type === 'none' ? 'list' : type;
    case 'textarea':
      if (type !== 'string' && type !== 'multiline' && type !== 'none') throw new Error(`a textarea gives text, not a ${type}`);
      return 'multiline';
  }
}
