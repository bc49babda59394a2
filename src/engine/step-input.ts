import { z } from 'zod';
import type { AnyStep } from './workflow.ts';
import type { PrepareContext } from '../widgets/widget.ts';
import { EngineError } from './errors.ts';

/** JSON Schema of what a caller (job file, API, MCP) gives for a step's input. */
export function stepJsonSchema(step: AnyStep): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, w] of Object.entries(step.fields)) {
    const js = w.jsonSchema ? w.jsonSchema() : (z.toJSONSchema(w.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>);
    delete js.$schema;
    properties[name] = { title: w.label, ...(w.help ? { description: w.help } : {}), ...js };
    if (!w.schema.safeParse(undefined).success) required.push(name);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

/**
 * Turns raw values (from a form or a job file) into the step's validated input: each field's
 * `prepare` runs first (storing uploads as artifacts), then the step's schema checks the
 * whole. Every problem is reported at once, per field.
 */
export async function prepareInput(step: AnyStep, raw: Record<string, unknown>, ctx: PrepareContext): Promise<Record<string, unknown>> {
  const errors: Record<string, string> = {};
  const unknown = Object.keys(raw).filter((k) => !(k in step.fields));
  if (unknown.length) errors[''] = `unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (step "${step.id}" has ${Object.keys(step.fields).join(', ') || 'no fields'})`;
  const prepared: Record<string, unknown> = {};
  for (const [name, w] of Object.entries(step.fields)) {
    let v = raw[name];
    if (w.prepare && v !== undefined && v !== null && v !== '') {
      try {
        v = await w.prepare(v, ctx);
      } catch (e) {
        errors[name] = e instanceof Error ? e.message : String(e);
        continue;
      }
    }
    const r = w.schema.safeParse(v);
    if (r.success) prepared[name] = r.data;
    else errors[name] = r.error.issues.map((i) => i.message).join('; ');
  }
  if (Object.keys(errors).length) {
    const list = Object.entries(errors).map(([f, m]) => (f ? `${f}: ${m}` : m)).join('; ');
    throw new EngineError('invalid_input', `invalid input for step "${step.id}": ${list}`, errors);
  }
  return prepared;
}
