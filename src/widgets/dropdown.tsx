import { z } from 'zod';
import type { InputWidget } from './widget.ts';
import { LabelledField, ariaFor } from './field.tsx';
import { formSingle } from './form-values.ts';
import { listOptions, normalizeOptions, optionLabel, optionValues, type OptionInput } from './options.ts';

export interface DropdownOptions<V extends string> {
  label: string;
  help?: string;
  initial?: NoInfer<V>;
  /** Plain strings, or `{ value, label }` when what the person reads differs from what is stored. */
  options: readonly OptionInput<V>[];
  /** Text of the empty first entry shown while nothing is chosen (default "Choose…"). */
  placeholder?: string;
}

/** One value from a list, as a `<select>`. The value type is the union of the option values. */
export function dropdown<const V extends string>(o: DropdownOptions<V>): InputWidget<V> {
  const opts = normalizeOptions('dropdown', o.label, o.options);
  const message = `Choose one of: ${listOptions(opts)}`;
  return {
    kind: 'dropdown',
    label: o.label,
    help: o.help,
    initial: o.initial,
    schema: z.enum(optionValues(opts), { error: message }),
    display: (v) => optionLabel(opts, v),
    fromForm(body, name) {
      const v = formSingle(body, name);
      // The placeholder entry sends "": that is "nothing chosen", not a bad choice.
      return v === '' ? undefined : v;
    },
    render(p) {
      const current = typeof p.value === 'string' ? p.value : o.initial;
      const known = opts.some((x) => x.value === current);
      return (
        <LabelledField kind="dropdown" id={p.id} label={o.label} help={o.help} error={p.error}>
          <select id={p.id} name={p.name} disabled={p.disabled} aria-required="true" {...ariaFor({ id: p.id, help: o.help, error: p.error })}>
            {/* Without a chosen value, an empty first entry makes the person choose on purpose
                instead of silently submitting the first option. */}
            {known ? null : <option value="" selected disabled>{o.placeholder ?? 'Choose…'}</option>}
            {opts.map((x) => (
              <option value={x.value} selected={x.value === current}>{x.label}</option>
            ))}
          </select>
        </LabelledField>
      );
    },
  };
}
