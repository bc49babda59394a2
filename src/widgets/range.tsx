import { z } from 'zod';
import type { InputWidget } from './widget.ts';
import { LabelledField, ariaFor } from './field.tsx';
import { formSingle } from './form-values.ts';

export interface RangeOptions {
  label: string;
  help?: string;
  /** Where the slider starts (default: the middle, on a step). */
  initial?: number;
  min: number;
  max: number;
  /** Default 1. Values must be `min + k * step`, like the browser's own slider. */
  step?: number;
}

/** Steps of 0.1 are not exact in binary; accept anything within a hair of a step. */
function onStep(v: number, min: number, step: number): boolean {
  const k = (v - min) / step;
  return Math.abs(k - Math.round(k)) < 1e-9;
}

/** Rounds to the nearest step inside [min, max], as the browser does with a slider's value. */
export function snapToStep(v: number, min: number, max: number, step: number): number {
  const clamped = Math.min(max, Math.max(min, v));
  const snapped = min + Math.round((clamped - min) / step) * step;
  // Rounding may step past max; and trim float noise like 0.30000000000000004.
  const fixed = Number((snapped > max ? snapped - step : snapped).toPrecision(12));
  return fixed;
}

/**
 * A number picked on a slider. The form sends text ("42") which `fromForm` turns into a number;
 * a job file gives a number directly. Left out of a job file, it takes the value the slider
 * would show, since a slider can never be empty.
 */
export function range(o: RangeOptions): InputWidget<number> {
  const step = o.step ?? 1;
  if (!(o.max > o.min)) throw new Error(`range "${o.label}" needs max (${o.max}) greater than min (${o.min})`);
  if (!(step > 0)) throw new Error(`range "${o.label}" needs a positive step, not ${step}`);
  const start = o.initial ?? snapToStep((o.min + o.max) / 2, o.min, o.max, step);
  const schema = z
    .number({ error: 'Enter a number' })
    .min(o.min, { error: `Enter a number of at least ${o.min}` })
    .max(o.max, { error: `Enter a number of at most ${o.max}` })
    .refine((v) => onStep(v, o.min, step), { error: `Use steps of ${step} starting at ${o.min}` })
    .prefault(start);
  return {
    kind: 'range',
    label: o.label,
    help: o.help,
    initial: start,
    schema,
    fromForm(body, name) {
      const v = formSingle(body, name);
      if (typeof v !== 'string') return v;
      if (v.trim() === '') return undefined;
      const n = Number(v);
      // Keep unreadable text as is, so the schema says "Enter a number" rather than "NaN".
      return Number.isFinite(n) ? n : v;
    },
    render(p) {
      const raw = typeof p.value === 'number' && Number.isFinite(p.value) ? p.value : start;
      const shown = snapToStep(raw, o.min, o.max, step);
      return (
        <LabelledField
          kind="range"
          id={p.id}
          label={o.label}
          help={o.help}
          error={p.error}
          // The live value, beside the label. A small static script (added by the web layer)
          // keeps it in step with the slider via data-for. aria-hidden: the slider announces
          // its own value, and the label's accessible name should stay just the label.
          labelExtra={<>: <output id={`${p.id}-output`} for={p.id} data-for={p.id} aria-hidden="true">{String(shown)}</output></>}
        >
          <input
            type="range"
            id={p.id}
            name={p.name}
            min={o.min}
            max={o.max}
            step={step}
            value={shown}
            disabled={p.disabled}
            {...ariaFor({ id: p.id, help: o.help, error: p.error })}
          />
        </LabelledField>
      );
    },
  };
}
