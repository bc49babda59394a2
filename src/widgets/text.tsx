import { z } from 'zod';
import type { InputWidget } from './widget.ts';
import { LabelledField, ariaFor } from './field.tsx';
import { formSingle, shownText } from './form-values.ts';
import { plural } from './options.ts';

export interface TextOptions {
  label: string;
  help?: string;
  initial?: string;
  /** Fewest characters after trimming (default 1 when required, else 0). */
  min?: number;
  /** Most characters after trimming (default 1000: a one-line field is not a document). */
  max?: number;
  /** The trimmed text must match (a search, not a full match: anchor it with ^…$ if needed). */
  pattern?: RegExp;
  /** Shown when `pattern` does not match, e.g. "Use lower-case letters and digits". */
  patternMessage?: string;
  placeholder?: string;
  /** Default true. When false, an empty (or absent) value is accepted as "". */
  required?: boolean;
}

export const TEXT_DEFAULT_MAX = 1000;

/**
 * Builds the string schema shared by text and textarea: length limits and pattern with
 * human messages; an optional field accepts "" (and absence, as "") and skips the other rules.
 */
export function stringSchema(o: {
  required: boolean;
  min: number;
  max: number;
  trim: boolean;
  pattern?: RegExp | undefined;
  patternMessage?: string | undefined;
}): z.ZodType<string> {
  const tooShort = `Enter at least ${plural(o.min, 'character')}`;
  const needed = o.required ? 'Enter some text' : 'Enter text';
  let s = z.string({ error: (iss) => (iss.input === undefined ? needed : 'Enter text, not a number or a list') });
  if (o.trim) s = s.trim();
  s = s.max(o.max, {
    error: (iss) => `Enter at most ${plural(o.max, 'character')}${typeof iss.input === 'string' ? ` (this has ${iss.input.length})` : ''}`,
  });
  // A global or sticky regex keeps state between test() calls; a validator must not.
  const re = o.pattern ? new RegExp(o.pattern.source, o.pattern.flags.replace(/[gy]/g, '')) : undefined;
  const patternMessage = o.patternMessage ?? `Use the expected format (${re?.source ?? ''})`;
  if (o.required) {
    if (o.trim) {
      s = s.min(o.min, { error: tooShort });
    } else {
      // Untrimmed (textarea): blank text still counts as nothing entered.
      s = s.refine((v) => v.trim() !== '', { error: 'Enter some text' });
      if (o.min > 1) s = s.min(o.min, { error: tooShort });
    }
    if (re) s = s.regex(re, { error: patternMessage });
    return s;
  }
  if (o.min > 0) s = s.refine((v) => v.trim() === '' || v.length >= o.min, { error: tooShort });
  if (re) s = s.refine((v) => v.trim() === '' || re.test(v), { error: patternMessage });
  return s.default('');
}

/** A one-line text field. The value is trimmed: stray spaces around a name are never meant. */
export function text(o: TextOptions): InputWidget<string> {
  const required = o.required ?? true;
  const min = Math.max(o.min ?? 0, required ? 1 : 0);
  const max = o.max ?? TEXT_DEFAULT_MAX;
  return {
    kind: 'text',
    label: o.label,
    help: o.help,
    initial: o.initial,
    schema: stringSchema({ required, min, max, trim: true, pattern: o.pattern, patternMessage: o.patternMessage }),
    fromForm: (body, name) => formSingle(body, name),
    render: (p) => (
      <LabelledField kind="text" id={p.id} label={o.label} help={o.help} error={p.error}>
        <input
          type="text"
          id={p.id}
          name={p.name}
          value={shownText(p.value, o.initial)}
          placeholder={o.placeholder}
          maxlength={max}
          disabled={p.disabled}
          aria-required={required ? 'true' : undefined}
          {...ariaFor({ id: p.id, help: o.help, error: p.error })}
        />
      </LabelledField>
    ),
  };
}
