// Choice widgets (dropdown, radios, checkboxes) take options either as plain strings or as
// `{ value, label }` pairs; this normalizes both and builds the shared error wording.

export type OptionInput<V extends string> = V | { readonly value: V; readonly label: string };

export interface Option<V extends string> {
  value: V;
  label: string;
}

/** Normalizes options, refusing empty or duplicate lists early: those are bugs in a workflow file. */
export function normalizeOptions<V extends string>(kind: string, label: string, input: readonly OptionInput<V>[]): Option<V>[] {
  const opts = input.map((o) => (typeof o === 'string' ? { value: o, label: o } : { value: o.value, label: o.label }));
  if (opts.length === 0) throw new Error(`${kind} "${label}" needs at least one option`);
  const seen = new Set<string>();
  for (const o of opts) {
    if (seen.has(o.value)) throw new Error(`${kind} "${label}" has the option "${o.value}" twice`);
    seen.add(o.value);
  }
  return opts;
}

export function optionValues<V extends string>(opts: readonly Option<V>[]): [V, ...V[]] {
  return opts.map((o) => o.value) as [V, ...V[]];
}

const MAX_LISTED = 12;

/**
 * "a, b, c" — or "Apple (a), Pear (p)" when labels differ from values, so both a person reading
 * the form and someone writing a job file know what to give. Long lists are cut short.
 */
export function listOptions(opts: readonly Option<string>[]): string {
  const shown = opts.slice(0, MAX_LISTED).map((o) => (o.label === o.value ? o.value : `${o.label} (${o.value})`));
  const more = opts.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The label of a stored option value; a value no longer offered (the workflow changed) reads as itself. */
export function optionLabel(opts: readonly Option<string>[], value: unknown): string {
  return opts.find((o) => o.value === value)?.label ?? String(value);
}
