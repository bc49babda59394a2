/**
 * A run's outputs as documents for the vector memory: one per done step, named
 * `run:<key>/<step>`, as readable text (strings as they are, records as `key: value` lines,
 * anything deeper as indented JSON, files by name). Adding them again after a step is redone
 * replaces that step's text (documents.ts keys documents by source).
 */
import type { Engine } from '../../engine/engine.ts';
import { isArtifactRef } from '../../store/artifact-ref.ts';
import type { DocumentInput } from './documents.ts';

/** The most text taken from one step's output: a dataframe dump is not worth a thousand chunks. */
export const RUN_OUTPUT_MAX_CHARS = 100_000;

/** The kind of the documents made here. */
export const RUN_DOCUMENT_KIND = 'run';

/** `run:<key>/<step>`, the source of one step's output. */
export function runSource(runKey: string, stepId: string): string {
  return `run:${runKey}/${stepId}`;
}

/** The run key and step of a `run:<key>/<step>` source (keys have no `/`), or undefined. */
export function parseRunSource(source: string): { runKey: string; stepId: string | undefined } | undefined {
  const m = /^run:([^/]+)(?:\/(.+))?$/.exec(source);
  return m ? { runKey: m[1]!, stepId: m[2] } : undefined;
}

/**
 * The done steps of run `runKey` with an output worth reading, in the workflow's order. Throws
 * the engine's not_found error for a run that does not exist.
 */
export async function runDocuments(engine: Engine, runKey: string, opts: { maxChars?: number } = {}): Promise<DocumentInput[]> {
  const state = await engine.get(runKey);
  const wf = engine.registry.get(state.workflow);
  const wfTitle = wf?.title ?? state.workflow;
  // The workflow's order when it is loaded; the state's own otherwise.
  const order = wf ? [...wf.steps.map((s) => s.id), ...Object.keys(state.steps).filter((id) => !wf.steps.some((s) => s.id === id))] : Object.keys(state.steps);
  const max = opts.maxChars ?? RUN_OUTPUT_MAX_CHARS;
  const docs: DocumentInput[] = [];
  for (const id of order) {
    const step = state.steps[id];
    if (step?.status !== 'done') continue;
    const text = capText(outputText(step.output), max);
    if (text.trim() === '') continue;
    const stepTitle = wf?.steps.find((s) => s.id === id)?.title ?? id;
    docs.push({ source: runSource(state.key, id), kind: RUN_DOCUMENT_KIND, title: `${wfTitle} · ${stepTitle} (${state.key})`, text });
  }
  return docs;
}

/** A step's output as text a person (and an embedding model) reads well. */
export function outputText(output: unknown): string {
  if (output === null || output === undefined) return '';
  if (typeof output === 'string') return output;
  if (typeof output === 'number' || typeof output === 'boolean' || typeof output === 'bigint') return String(output);
  if (isArtifactRef(output)) return fileLine(output);
  if (Array.isArray(output)) return json(output);
  if (typeof output === 'object') {
    const entries = Object.entries(output as Record<string, unknown>);
    // A flat record reads best as lines; a nested one as JSON.
    if (entries.every(([, v]) => isFlat(v))) {
      return entries.map(([k, v]) => `${k}: ${flatText(v)}`).join('\n');
    }
    return json(output);
  }
  return '';
}

function isFlat(v: unknown): boolean {
  return v === null || v === undefined || ['string', 'number', 'boolean'].includes(typeof v) || isArtifactRef(v);
}

function flatText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (isArtifactRef(v)) return fileLine(v);
  return String(v);
}

function fileLine(ref: { name: string; size: number; mime?: string }): string {
  return `file "${ref.name}" (${ref.mime ? `${ref.mime}, ` : ''}${ref.size} bytes)`;
}

/** Indented JSON with files shown by name (their hashes and paths mean nothing to a reader). */
function json(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (isArtifactRef(x) ? fileLine(x) : typeof x === 'bigint' ? String(x) : x), 2) ?? '';
}

function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n… (cut: the output has ${text.length} characters; the first ${max} are kept)`;
}
