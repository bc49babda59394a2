import type { FormBody, FormValue } from './widget.ts';

// A parsed form body holds a string, a file, or an array of them when a name repeats
// (checkboxes, multi-selects). These helpers give every widget one way to read it.

/** Every value sent under `name`, as an array (empty when the name is absent). */
export function formValues(body: FormBody, name: string): FormValue[] {
  const v = body[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Every string value under `name`; Files (which a text field never sends) are ignored. */
export function formStrings(body: FormBody, name: string): string[] {
  return formValues(body, name).filter((v): v is string => typeof v === 'string');
}

/**
 * The single value of a one-value control. Absent → undefined. A File where text was expected
 * is passed on as is, so the schema rejects it with the widget's own message instead of us
 * silently dropping it.
 */
export function formSingle(body: FormBody, name: string): FormValue | undefined {
  const all = formValues(body, name);
  return all.find((v) => typeof v === 'string') ?? all[0];
}

/**
 * The text to show in a control: the current value if it is text (or a number), else the initial
 * value, else "". After a failed submit the value may be whatever was sent; showing it back lets
 * the person correct it instead of retyping.
 */
export function shownText(value: unknown, initial: unknown): string {
  for (const v of [value, initial]) {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return '';
}
