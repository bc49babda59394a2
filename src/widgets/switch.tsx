import { z } from 'zod';
import type { InputWidget } from './widget.ts';
import { FieldMessages, ariaFor } from './field.tsx';
import { formStrings } from './form-values.ts';

export interface ToggleOptions {
  label: string;
  help?: string;
  /** Default false. */
  initial?: boolean;
}

const ON = new Set(['true', 'on', '1', 'yes']);
const OFF = new Set(['false', 'off', '0', 'no', '']);

/**
 * An on/off switch (Pico's `role="switch"` checkbox). Named `toggle` because `switch` is a
 * keyword. An unticked checkbox sends nothing at all, so absence means off — in a form and,
 * for the same reason, when a job file leaves it out.
 */
export function toggle(o: ToggleOptions): InputWidget<boolean> {
  const initial = o.initial ?? false;
  return {
    kind: 'switch',
    label: o.label,
    help: o.help,
    initial,
    schema: z.boolean({ error: 'Choose on or off (true or false)' }).prefault(initial),
    fromForm(body, name) {
      const sent = formStrings(body, name).map((v) => v.trim().toLowerCase());
      if (sent.length === 0) return false;
      if (sent.some((v) => ON.has(v))) return true;
      if (sent.every((v) => OFF.has(v))) return false;
      return sent[0]; // something odd: let the schema say so
    },
    render(p) {
      const on = typeof p.value === 'boolean' ? p.value : initial;
      // The control sits inside its label (Pico's switch layout); `for` ties them explicitly too.
      return (
        <div class="field" data-widget="switch">
          <label for={p.id}>
            <input
              type="checkbox"
              role="switch"
              id={p.id}
              name={p.name}
              value="true"
              checked={on}
              disabled={p.disabled}
              {...ariaFor({ id: p.id, help: o.help, error: p.error })}
            />
            {o.label}
          </label>
          <FieldMessages id={p.id} help={o.help} error={p.error} />
        </div>
      );
    },
  };
}
