import { z } from 'zod';
import type { InputWidget } from './widget.ts';
import { LabelledField, ariaFor } from './field.tsx';
import { formSingle, shownText } from './form-values.ts';
import { excerpt } from './excerpt.ts';

export interface NumberOptions {
  label: string;
  help?: string;
  initial?: number;
  min?: number;
  max?: number;
  /** Values must be `(min ?? 0) + k * step`, as the browser checks them. Default: 1 for whole numbers, any for others. */
  step?: number;
  /** Whole numbers only (an `int` parameter). */
  integer?: boolean;
  /** Default true. When false, an empty field (or a job file leaving it out) gives `undefined`: nothing entered. */
  required?: boolean;
}

// What a person may type: decimal notation with an optional exponent. Number() alone would also
// take "0x10", "Infinity" and "" (as 0), none of which a number field means.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * The number a piece of typed text means, or undefined when it is not one (or overflows to
 * Infinity). Spaces around it are ignored; -0 is read as 0, which is what anyone typing it means.
 */
export function readNumberText(text: string): number | undefined {
  const t = text.trim();
  if (!DECIMAL.test(t)) return undefined;
  const n = Number(t);
  if (!Number.isFinite(n)) return undefined;
  return n === 0 ? 0 : n;
}

/** Why a whole number is not one, or undefined when it is (beyond 2^53 a double skips integers). */
export function wholeNumberProblem(v: number): string | undefined {
  if (!Number.isInteger(v)) return 'is not a whole number';
  if (!Number.isSafeInteger(v)) return `is too large to be exact (whole numbers go up to ${Number.MAX_SAFE_INTEGER})`;
  return undefined;
}

/** Steps of 0.1 are not exact in binary; accept anything within a hair of a step. */
function onStep(v: number, base: number, step: number): boolean {
  const k = (v - base) / step;
  return Math.abs(k - Math.round(k)) < 1e-9;
}

/**
 * A number typed into a field. The form sends text ("42") which `fromForm` reads; a job file
 * gives a number directly. One message at a time, the first that applies, so a person fixes
 * one thing rather than reading a list.
 */
export function number(o: NumberOptions & { required: false }): InputWidget<number | undefined>;
export function number(o: NumberOptions): InputWidget<number>;
export function number(o: NumberOptions): InputWidget<number | undefined> {
  const required = o.required ?? true;
  const integer = o.integer ?? false;
  const { min, max, step } = o;
  if (min !== undefined && max !== undefined && !(max >= min)) throw new Error(`number "${o.label}" needs max (${max}) at least min (${min})`);
  if (step !== undefined && !(step > 0)) throw new Error(`number "${o.label}" needs a positive step, not ${step}`);
  const base = min ?? 0;

  const problem = (v: number): string | undefined => {
    if (integer) {
      const whole = wholeNumberProblem(v);
      if (whole) return whole === 'is not a whole number' ? 'Enter a whole number' : `This number ${whole}`;
    }
    if (min !== undefined && v < min) return `Enter a number of at least ${min}`;
    if (max !== undefined && v > max) return `Enter a number of at most ${max}`;
    if (step !== undefined && !onStep(v, base, step)) return `Use steps of ${step} starting at ${base}`;
    return undefined;
  };
  const checked = z
    .number({
      error: (iss) => (typeof iss.input === 'string' && iss.input.trim() !== '' ? `Enter a number, not "${excerpt(iss.input.trim())}"` : 'Enter a number'),
    })
    .superRefine((v, ctx) => {
      const m = problem(v);
      if (m) ctx.addIssue({ code: 'custom', message: m });
    });
  // The overloads tell a workflow whether to expect undefined; the schema is the same either way.
  const schema = (required ? checked : checked.optional()) as z.ZodType<number | undefined>;

  return {
    kind: 'number',
    label: o.label,
    help: o.help,
    initial: o.initial,
    schema,
    display: (v) => (v === undefined ? '' : String(v)),
    // By hand: the refinements above are invisible to zod's JSON Schema, and callers deserve the limits.
    jsonSchema: () => ({
      type: integer ? 'integer' : 'number',
      ...(min !== undefined ? { minimum: min } : {}),
      ...(max !== undefined ? { maximum: max } : {}),
      ...(step !== undefined && base === 0 ? { multipleOf: step } : {}),
    }),
    fromForm(body, name) {
      const v = formSingle(body, name);
      if (typeof v !== 'string') return v;
      if (v.trim() === '') return undefined;
      // Keep unreadable text as is, so the schema can quote it back ("not "12,5"") instead of "NaN".
      return readNumberText(v) ?? v;
    },
    render(p) {
      return (
        <LabelledField kind="number" id={p.id} label={o.label} help={o.help} error={p.error}>
          <input
            type="number"
            id={p.id}
            name={p.name}
            // Phones show a digits keypad for whole numbers, one with a decimal point otherwise.
            inputmode={integer ? 'numeric' : 'decimal'}
            min={min}
            max={max}
            // Without step="any" a browser refuses 0.5 in a number field (its default step is 1).
            step={step ?? (integer ? 1 : 'any')}
            value={shownText(p.value, o.initial)}
            disabled={p.disabled}
            aria-required={required ? 'true' : undefined}
            {...ariaFor({ id: p.id, help: o.help, error: p.error })}
          />
        </LabelledField>
      );
    },
  };
}
