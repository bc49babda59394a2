import { z } from 'zod';
import type { InputWidget } from './widget.ts';
import { LabelledField, ariaFor } from './field.tsx';
import { formSingle } from './form-values.ts';
import { excerpt } from './excerpt.ts';
import { plural } from './options.ts';
import { readNumberText, wholeNumberProblem } from './number.tsx';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** What each item is. 'mixed' reads a line as JSON when it is JSON (5, true, null, "5") and as text otherwise. */
export type ListItemType = 'string' | 'integer' | 'float' | 'boolean' | 'mixed';

export interface ListOptions {
  label: string;
  help?: string;
  itemType: ListItemType;
  /** The list the field starts with; also what a job file that leaves the field out gets. */
  initial?: readonly JsonValue[];
  /** Most items (default: no limit beyond the form's size). */
  maxItems?: number;
  /** Visible lines (default: the initial list's length plus one, between 3 and 12). */
  rows?: number;
}

/** The first few bad lines are named; a pasted file of nonsense must not make a page of messages. */
const NAMED_PROBLEMS = 3;

const HINT: Record<ListItemType, string> = {
  string: 'One per line',
  integer: 'One whole number per line',
  float: 'One number per line',
  boolean: 'One per line: true or false',
  mixed: 'One per line; numbers, true, false and null are read as such, "quoted" text stays text',
};

/**
 * A list of values typed into a textarea, one per line: a form that works without JavaScript
 * and by keyboard alone. Lines are trimmed and blank lines dropped. A job file gives an array.
 * The schema names each bad line by its position in the list, which is also its line in the
 * field once the form is shown again (shown back without the blank lines).
 */
export function list(o: ListOptions): InputWidget<JsonValue[]> {
  const t = o.itemType;
  if (o.maxItems !== undefined && !(Number.isInteger(o.maxItems) && o.maxItems >= 0)) {
    throw new Error(`list "${o.label}" needs a whole, non-negative maxItems, not ${o.maxItems}`);
  }
  const initial = o.initial ? [...o.initial] : undefined;
  const checked = z.array(z.unknown(), { error: 'Enter a list, one item per line' }).superRefine((items, ctx) => {
    if (o.maxItems !== undefined && items.length > o.maxItems) {
      ctx.addIssue({ code: 'custom', message: `Enter at most ${plural(o.maxItems, 'item')} (this has ${items.length})` });
    }
    const bad = items.flatMap((x, i) => {
      const p = itemProblem(t, x);
      return p ? [`Line ${i + 1}: ${p}`] : [];
    });
    for (const m of bad.slice(0, NAMED_PROBLEMS)) ctx.addIssue({ code: 'custom', message: m });
    if (bad.length > NAMED_PROBLEMS) ctx.addIssue({ code: 'custom', message: `and ${plural(bad.length - NAMED_PROBLEMS, 'more line')} like these` });
  });
  // Every item was checked above, so the array holds JSON values of the item type.
  const schema = checked.prefault(initial ?? []) as unknown as z.ZodType<JsonValue[]>;
  const hint = HINT[t];
  const shownHelp = o.help ? `${o.help}${/[.!?:]$/.test(o.help) ? '' : '.'} ${hint}` : hint;

  return {
    kind: 'list',
    label: o.label,
    help: o.help,
    initial,
    schema,
    display: (v) => (v.length ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ') : '(none)'),
    // By hand: the item checks live in a refinement, which zod's JSON Schema cannot see.
    jsonSchema: () => ({
      type: 'array',
      items: t === 'mixed' ? {} : { type: t === 'float' ? 'number' : t },
      ...(o.maxItems !== undefined ? { maxItems: o.maxItems } : {}),
    }),
    fromForm(body, name) {
      const v = formSingle(body, name);
      if (typeof v !== 'string') return v;
      return v
        .split(/\r\n|\r|\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '')
        .map((line) => readItem(t, line));
    },
    render(p) {
      const items = Array.isArray(p.value) ? p.value : p.value === undefined ? (initial ?? []) : [p.value];
      const text = items.map((x) => lineFor(t, x)).join('\n');
      return (
        <LabelledField kind="list" id={p.id} label={o.label} help={shownHelp} error={p.error}>
          <textarea
            id={p.id}
            name={p.name}
            rows={o.rows ?? Math.min(12, Math.max(3, items.length + 1))}
            disabled={p.disabled}
            // Names, tags and codes are not prose: a red underline under each would only distract.
            spellcheck={t === 'string' || t === 'mixed' ? undefined : false}
            {...ariaFor({ id: p.id, help: shownHelp, error: p.error })}
          >
            {text}
          </textarea>
        </LabelledField>
      );
    },
  };
}

/** One trimmed, non-blank line as an item; text that is not one is kept so the schema can quote it. */
function readItem(t: ListItemType, line: string): unknown {
  switch (t) {
    case 'string':
      return line;
    case 'integer':
    case 'float':
      return readNumberText(line) ?? line;
    case 'boolean':
      return /^true$/i.test(line) ? true : /^false$/i.test(line) ? false : line;
    case 'mixed':
      try {
        const v: unknown = JSON.parse(line);
        // "1e999" parses to Infinity, which no JSON document can hold: keep it as the text typed.
        return typeof v === 'number' && !Number.isFinite(v) ? line : v;
      } catch {
        return line;
      }
  }
}

/** The line that reads back as this item (mixed: text that would read as something else is quoted). */
function lineFor(t: ListItemType, x: unknown): string {
  if (typeof x === 'string') {
    if (t !== 'mixed') return x;
    return x !== '' && x === x.trim() && !/[\r\n]/.test(x) && readItem('mixed', x) === x ? x : JSON.stringify(x);
  }
  return JSON.stringify(x) ?? String(x);
}

/** Why an item is not of the list's type, or undefined when it is. */
function itemProblem(t: ListItemType, x: unknown): string | undefined {
  switch (t) {
    case 'string':
      return typeof x === 'string' ? undefined : `${quote(x)} is not text`;
    case 'integer': {
      if (typeof x !== 'number' || !Number.isFinite(x)) return `${quote(x)} is not a whole number`;
      const whole = wholeNumberProblem(x);
      return whole ? `${quote(x)} ${whole}` : undefined;
    }
    case 'float':
      return typeof x === 'number' && Number.isFinite(x) ? undefined : `${quote(x)} is not a number`;
    case 'boolean':
      return typeof x === 'boolean' ? undefined : `${quote(x)} is not true or false`;
    case 'mixed':
      return isJson(x) ? undefined : `${quote(x)} is not a value JSON can hold`;
  }
}

function isJson(x: unknown): boolean {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return true;
  if (typeof x === 'number') return Number.isFinite(x);
  if (Array.isArray(x)) return x.every(isJson);
  if (typeof x === 'object') return Object.getPrototypeOf(x) === Object.prototype && Object.values(x).every(isJson);
  return false;
}

/** An item as a message quotes it: text in quotes (only its start, if long), anything else as JSON would write it. */
function quote(x: unknown): string {
  if (typeof x === 'string') return `"${excerpt(x)}"`;
  if (typeof x === 'number') return String(x);
  let s: string | undefined;
  try {
    s = JSON.stringify(x);
  } catch {
    s = undefined;
  }
  return excerpt(s ?? String(x));
}
