import { z } from 'zod';
import type { InputWidget } from './widget.ts';
import { GroupField, itemId } from './field.tsx';
import { formSingle } from './form-values.ts';
import { listOptions, normalizeOptions, optionLabel, optionValues, type OptionInput } from './options.ts';

export interface RadiosOptions<V extends string> {
  label: string;
  help?: string;
  initial?: NoInfer<V>;
  options: readonly OptionInput<V>[];
}

/** One value from a short list, all options visible at once (a dropdown hides them). */
export function radios<const V extends string>(o: RadiosOptions<V>): InputWidget<V> {
  const opts = normalizeOptions('radios', o.label, o.options);
  const message = `Choose one of: ${listOptions(opts)}`;
  return {
    kind: 'radios',
    label: o.label,
    help: o.help,
    initial: o.initial,
    schema: z.enum(optionValues(opts), { error: message }),
    display: (v) => optionLabel(opts, v),
    fromForm: (body, name) => formSingle(body, name),
    render(p) {
      const current = typeof p.value === 'string' ? p.value : o.initial;
      return (
        <GroupField kind="radios" id={p.id} label={o.label} help={o.help} error={p.error}>
          {opts.map((x, i) => (
            <label for={itemId(p.id, i)}>
              <input
                type="radio"
                id={itemId(p.id, i)}
                name={p.name}
                value={x.value}
                checked={x.value === current}
                disabled={p.disabled}
                aria-invalid={p.error ? 'true' : undefined}
              />
              {x.label}
            </label>
          ))}
        </GroupField>
      );
    },
  };
}
