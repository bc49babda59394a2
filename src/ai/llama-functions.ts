/** Tool specs (JSON Schema) as node-llama-cpp functions, whose parameters it turns into a grammar. */
import type { ChatModelFunctions, GbnfJsonSchema } from 'node-llama-cpp';
import type { ToolSpec } from './provider.ts';
import { isRecord } from './wire.ts';

/** The tool specs as node-llama-cpp functions (no handlers: the caller runs the tools). */
export function toFunctions(tools: ToolSpec[]): ChatModelFunctions {
  const functions: Record<string, { description?: string; params?: GbnfJsonSchema }> = {};
  for (const t of tools) {
    const params = toGbnfSchema(t.parameters);
    const hasParams = params !== undefined && !('type' in params && params.type === 'object' && Object.keys(params.properties ?? {}).length === 0 && !params.additionalProperties);
    functions[t.name] = { description: t.description, ...(hasParams ? { params } : {}) };
  }
  return functions;
}

const IMMUTABLE = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const STRING_FORMATS = new Set(['date-time', 'time', 'date']);
/** Any JSON value: what a schema node this cannot express becomes. */
const ANY_JSON: GbnfJsonSchema = {
  oneOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'array' }, { type: 'object', additionalProperties: true }],
};

/**
 * A tool's JSON Schema in the subset node-llama-cpp turns into a grammar (types, properties,
 * required, items, enum, const, oneOf/anyOf, lengths and counts); anything else is left out, and
 * a node it cannot express at all allows any JSON value there. Undefined: no parameters.
 */
export function toGbnfSchema(schema: unknown): GbnfJsonSchema | undefined {
  if (!isRecord(schema)) return undefined;
  return convert(schema, 0);
}

function convert(s: Record<string, unknown>, depth: number): GbnfJsonSchema {
  if (depth > 16) return ANY_JSON;
  const description = typeof s['description'] === 'string' ? { description: s['description'] } : {};
  if ('const' in s && isPrimitive(s['const'])) return { const: s['const'], ...description };
  if (Array.isArray(s['enum'])) {
    const values = s['enum'].filter(isPrimitive);
    if (values.length > 0) return { enum: values, ...description };
  }
  const alternatives = Array.isArray(s['oneOf']) ? s['oneOf'] : Array.isArray(s['anyOf']) ? s['anyOf'] : undefined;
  if (alternatives) {
    const each = alternatives.filter(isRecord).map((a) => convert(a, depth + 1));
    if (each.length > 0) return { oneOf: each, ...description };
  }
  const type = s['type'];
  if (Array.isArray(type)) {
    const types = type.filter((t): t is string => typeof t === 'string');
    if (types.length > 0 && types.every((t) => IMMUTABLE.has(t))) return { type: types as ('string' | 'number' | 'integer' | 'boolean' | 'null')[], ...description };
    return { oneOf: types.map((t) => convert({ ...s, type: t }, depth + 1)), ...description };
  }
  if (type === 'string') {
    const format = s['format'];
    if (typeof format === 'string' && STRING_FORMATS.has(format)) return { type: 'string', format: format as 'date-time' | 'time' | 'date', ...description };
    return { type: 'string', ...count(s, 'minLength'), ...count(s, 'maxLength'), ...description };
  }
  if (type === 'number' || type === 'integer' || type === 'boolean' || type === 'null') return { type, ...description };
  if (type === 'array') {
    const items = isRecord(s['items']) ? { items: convert(s['items'], depth + 1) } : {};
    const prefix = Array.isArray(s['prefixItems']) ? { prefixItems: s['prefixItems'].filter(isRecord).map((p) => convert(p, depth + 1)) } : {};
    return { type: 'array', ...items, ...prefix, ...count(s, 'minItems'), ...count(s, 'maxItems'), ...description };
  }
  if (type === 'object' || isRecord(s['properties'])) {
    const props = isRecord(s['properties']) ? s['properties'] : {};
    const properties: Record<string, GbnfJsonSchema> = {};
    for (const [k, v] of Object.entries(props)) properties[k] = isRecord(v) ? convert(v, depth + 1) : ANY_JSON;
    const required = Array.isArray(s['required']) ? s['required'].filter((r): r is string => typeof r === 'string' && r in properties) : undefined;
    const extra = s['additionalProperties'];
    const additional = typeof extra === 'boolean' ? { additionalProperties: extra } : isRecord(extra) ? { additionalProperties: convert(extra, depth + 1) } : {};
    return {
      type: 'object',
      properties,
      ...(required && required.length > 0 ? { required } : {}),
      ...additional,
      ...count(s, 'minProperties'),
      ...count(s, 'maxProperties'),
      ...description,
    };
  }
  return ANY_JSON;
}

function count<K extends string>(s: Record<string, unknown>, key: K): Partial<Record<K, number>> {
  const v = s[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? ({ [key]: v } as Partial<Record<K, number>>) : {};
}

function isPrimitive(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}
