import type { InputWidget } from './widget.ts';
import { LabelledField, ariaFor } from './field.tsx';
import { formSingle, shownText } from './form-values.ts';
import { stringSchema } from './text.tsx';

export interface TextareaOptions {
  label: string;
  help?: string;
  initial?: string;
  /** Visible lines (default 6). */
  rows?: number;
  /** Fewest characters (default 1 when required). */
  min?: number;
  /** Most characters (default 100 000: roomy for a pasted document, bounded for the run state). */
  max?: number;
  placeholder?: string;
  /** Default true. When false, an empty (or absent) value is accepted as "". */
  required?: boolean;
}

export const TEXTAREA_DEFAULT_MAX = 100_000;

/**
 * Multi-line text. Unlike `text` it is not trimmed — leading indentation of pasted code or a
 * poem matters — but blank text still counts as empty for `required`.
 */
export function textarea(o: TextareaOptions): InputWidget<string> {
  const required = o.required ?? true;
  const min = Math.max(o.min ?? 0, required ? 1 : 0);
  const max = o.max ?? TEXTAREA_DEFAULT_MAX;
  return {
    kind: 'textarea',
    label: o.label,
    help: o.help,
    initial: o.initial,
    schema: stringSchema({ required, min, max, trim: false }),
    fromForm(body, name) {
      const v = formSingle(body, name);
      // Browsers submit textarea line breaks as CRLF; store what the person typed.
      return typeof v === 'string' ? v.replace(/\r\n?/g, '\n') : v;
    },
    render(p) {
      const v = shownText(p.value, o.initial);
      return (
        <LabelledField kind="textarea" id={p.id} label={o.label} help={o.help} error={p.error}>
          <textarea
            id={p.id}
            name={p.name}
            rows={o.rows ?? 6}
            placeholder={o.placeholder}
            maxlength={max}
            disabled={p.disabled}
            aria-required={required ? 'true' : undefined}
            {...ariaFor({ id: p.id, help: o.help, error: p.error })}
          >
            {/* The HTML parser drops one newline right after <textarea>; add one so a value
                that starts with a blank line keeps it. */}
            {v.startsWith('\n') ? `\n${v}` : v}
          </textarea>
        </LabelledField>
      );
    },
  };
}
