import { z } from 'zod';
import type { InputWidget } from './widget.ts';
import { GroupField, itemId } from './field.tsx';
import { formStrings } from './form-values.ts';
import { listOptions, normalizeOptions, optionLabel, optionValues, plural, type OptionInput } from './options.ts';
import { excerpt } from './excerpt.ts';

export interface CheckboxesOptions<V extends string> {
  label: string;
  help?: string;
  initial?: readonly NoInfer<V>[];
  options: readonly OptionInput<V>[];
  /** Fewest choices (default 0). */
  min?: number;
  /** Most choices (default: all). */
  max?: number;
}

/**
 * Any number of values from a list. The value keeps the options' order, not the click order,
 * so the same choice always stores the same array.
 */
export function checkboxes<const V extends string>(o: CheckboxesOptions<V>): InputWidget<V[]> {
  const opts = normalizeOptions('checkboxes', o.label, o.options);
  const min = o.min ?? 0;
  const max = o.max ?? opts.length;
  const allowed = new Set<string>(opts.map((x) => x.value));
  const listed = listOptions(opts);
  const item = z.enum(optionValues(opts), {
    error: (iss) => (typeof iss.input === 'string' ? `"${excerpt(iss.input)}" is not one of: ${listed}` : `Choose from: ${listed}`),
  });
  const list = z
    .array(item, { error: `Choose from: ${listed} (a list)` })
    .min(min, { error: `Choose at least ${plural(min, 'option')}` })
    .max(max, { error: `Choose at most ${plural(max, 'option')}` })
    .refine((a) => new Set(a).size === a.length, { error: 'Choose each option only once' });
  // Unticked boxes send nothing, so "absent" means "none ticked"; a job file may leave the
  // field out for the same meaning — unless at least one choice is required.
  const schema: z.ZodType<V[]> = min === 0 ? list.prefault([]) : list;
  return {
    kind: 'checkboxes',
    label: o.label,
    help: o.help,
    initial: o.initial ? [...o.initial] : undefined,
    schema,
    display: (v) => (v.length ? v.map((x) => optionLabel(opts, x)).join(', ') : '(none)'),
    fromForm(body, name) {
      const sent = new Set(formStrings(body, name));
      const known = opts.filter((x) => sent.has(x.value)).map((x) => x.value as string);
      // Keep unknown values too (in sent order) so validation can name them, not hide them.
      return [...known, ...[...sent].filter((v) => !allowed.has(v))];
    },
    render(p) {
      const chosen = new Set<string>(Array.isArray(p.value) ? p.value.filter((v) => typeof v === 'string') : (o.initial ?? []));
      return (
        <GroupField kind="checkboxes" id={p.id} label={o.label} help={o.help} error={p.error}>
          {opts.map((x, i) => (
            <label for={itemId(p.id, i)}>
              <input
                type="checkbox"
                id={itemId(p.id, i)}
                name={p.name}
                value={x.value}
                checked={chosen.has(x.value)}
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
