import { z } from 'zod';
import type { InputWidget, RunChoice } from './widget.ts';
import { LabelledField, ariaFor } from './field.tsx';
import { formSingle } from './form-values.ts';

export interface RunPickerOptions {
  label: string;
  help?: string;
  /** The workflow whose runs are offered (its id, e.g. "crawl"). */
  workflow: string;
}

/** Most runs listed: the newest; an older one can still be named by its key (job files, the API). */
export const RUN_PICKER_MAX_SHOWN = 200;

/**
 * One of another workflow's runs (the link graph reads a crawl run's file). The value is the run's
 * key; the step reads that run with `ctx.otherRun(key)`, which says clearly when it is gone.
 */
export function runPicker(o: RunPickerOptions): InputWidget<string> {
  return {
    kind: 'run-picker',
    label: o.label,
    help: o.help,
    runsOf: o.workflow,
    schema: z.string({ error: `Choose a run of "${o.workflow}"` }).trim().min(1, `Choose a run of "${o.workflow}"`).max(100),
    fromForm(body, name) {
      const v = formSingle(body, name);
      return v === '' ? undefined : v;
    },
    render(p) {
      const runs = (p.runs ?? []).slice(0, RUN_PICKER_MAX_SHOWN);
      const current = typeof p.value === 'string' ? p.value : undefined;
      const known = runs.some((r) => r.key === current);
      const help = runs.length === 0 ? `There are no runs of "${o.workflow}" yet: start one first.${o.help ? ` ${o.help}` : ''}` : o.help;
      return (
        <LabelledField kind="run-picker" id={p.id} label={o.label} help={help} error={p.error}>
          <select id={p.id} name={p.name} disabled={p.disabled} aria-required="true" {...ariaFor({ id: p.id, help, error: p.error })}>
            {current === undefined ? <option value="" selected disabled>{runs.length ? 'Choose a run…' : 'No runs yet'}</option> : null}
            {/* A key chosen before that is no longer listed (archived, older than the newest 200) stays choosable. */}
            {current !== undefined && !known ? <option value={current} selected>{current}</option> : null}
            {runs.map((r) => (
              <option value={r.key} selected={r.key === current}>{choiceLabel(r)}</option>
            ))}
          </select>
        </LabelledField>
      );
    },
  };
}

function choiceLabel(r: RunChoice): string {
  const day = r.updated.slice(0, 16).replace('T', ' ');
  return `${r.key} · updated ${day}${r.finalized ? ' · finalized' : ''}`;
}
