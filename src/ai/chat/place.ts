/**
 * Where the person is, in words for the model: the workflow (title, description), the step on
 * screen (title, docs, form fields) and the run's completed values, within a character budget —
 * the most useful parts first, each value cut short. Reads the run as the web run page does
 * (engine.get, the registry); only types come from the engine, so the arrow points one way.
 */
import type { Engine } from '../../engine/engine.ts';
import type { RunState } from '../../engine/run-state.ts';
import type { AnyStep, Workflow } from '../../engine/workflow.ts';
import type { ChatPlace } from './chat-types.ts';

export interface DescribeOptions {
  /** The whole description's size, in characters (about 4 per token). Default 2400. */
  maxChars?: number | undefined;
  /** Each completed value's JSON, in characters. Default 400. */
  valueChars?: number | undefined;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, Math.max(0, n - 1))}…` : s);
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

export async function describePlace(engine: Engine, place: ChatPlace, opts: DescribeOptions = {}): Promise<string | undefined> {
  const maxChars = opts.maxChars ?? 2400;
  const valueChars = opts.valueChars ?? 400;

  let state: RunState | undefined;
  if (place.runKey) {
    try {
      state = await engine.get(place.runKey);
    } catch {
      // A run deleted meanwhile, or a key typed wrongly: describe what is left.
    }
  }
  const workflowId = state?.workflow ?? place.workflowId;
  const wf: Workflow | undefined = workflowId === undefined ? undefined : engine.registry.get(workflowId);
  if (!wf) return undefined;

  const parts: string[] = [];
  parts.push(`Workflow: "${wf.title}" (${wf.id})${wf.description ? ` — ${clip(oneLine(wf.description), 400)}` : ''}`);

  const stepIndex = (id: string | undefined) => (id === undefined ? -1 : wf.steps.findIndex((s) => s.id === id));
  const open = state ? wf.steps.findIndex((s) => state.steps[s.id]?.status !== 'done') : 0;
  const at = stepIndex(place.stepId) >= 0 ? stepIndex(place.stepId) : open;
  const current: AnyStep | undefined = at >= 0 ? wf.steps[at] : undefined;

  if (state) {
    const status = state.finalized ? 'finalized (locked)' : open < 0 ? 'every step done, not finalized' : `at step ${open + 1} of ${wf.steps.length}`;
    parts.push(`Run: ${state.key} (profile ${state.profile}), ${status}.`);
  }
  const outline = wf.steps.map((s, i) => `${i + 1}. ${s.title}${state ? ` [${state.steps[s.id]?.status ?? 'pending'}]` : ''}${i === at ? ' ← on screen' : ''}`);
  parts.push(`Steps: ${outline.join('; ')}`);

  if (current) {
    const lines = [`The step on screen: "${current.title}" (${current.id}), step ${at + 1}.`];
    const s = state?.steps[current.id];
    if (s?.status === 'failed' && s.error) lines.push(`It failed: ${clip(oneLine(s.error), 300)}`);
    if (current.docs) lines.push(`Its docs: ${clip(current.docs.trim(), 800)}`);
    const fields = Object.entries(current.fields).map(([name, w]) => `${name} ("${w.label}", ${w.kind}${w.help ? `: ${clip(oneLine(w.help), 120)}` : ''})`);
    if (fields.length) lines.push(`Its form fields: ${fields.join('; ')}`);
    parts.push(lines.join('\n'));
  }

  if (state) {
    const values: string[] = [];
    for (const s of wf.steps) {
      const st = state.steps[s.id];
      if (st?.status !== 'done') continue;
      values.push(`- ${s.title} (${s.id}): ${clip(jsonOf(st.output), valueChars)}`);
    }
    if (values.length) parts.push(`Completed values (JSON):\n${values.join('\n')}`);
  }

  // Most useful first: what does not fit is cut from the end.
  return clip(parts.join('\n'), maxChars);
}

function jsonOf(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch {
    return String(v);
  }
}
