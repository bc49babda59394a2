import type { Child } from 'hono/jsx';
import { isArtifactRef, type ArtifactRef } from '../store/artifact-ref.ts';
import { describeArtifact, isPlainObject, safeJson } from './format.ts';
import { tableView } from './table.tsx';

export interface KeyValuesOptions {
  /** Where an artifact can be fetched (the web layer's RenderContext.artifactUrl); links it when given. */
  artifactUrl?: (ref: ArtifactRef) => string;
}

const SHORT_LIST = 20;

function artifact(ref: ArtifactRef, opts: KeyValuesOptions): Child {
  const text = describeArtifact(ref);
  return opts.artifactUrl ? <a href={opts.artifactUrl(ref)}>{text}</a> : text;
}

/** One value, as plainly as it can be shown. */
function value(v: unknown, opts: KeyValuesOptions): Child {
  if (v === null || v === undefined) return <span class="kv-empty">(none)</span>;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') {
    if (v === '') return <span class="kv-empty">(empty)</span>;
    // Keep line breaks of multi-line text (CSP forbids inline styles, so use <pre>).
    return v.includes('\n') ? <pre class="kv-text">{v}</pre> : v;
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid date' : v.toISOString();
  if (isArtifactRef(v)) return artifact(v, opts);
  if (Array.isArray(v)) {
    if (v.length === 0) return <span class="kv-empty">(none)</span>;
    // A few plain words (checkbox choices, file names) read best as a list in a line.
    if (v.length <= SHORT_LIST && v.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) {
      return v.map(String).join(', ');
    }
    if (v.every(isArtifactRef)) {
      return <ul>{v.map((r) => <li>{artifact(r, opts)}</li>)}</ul>;
    }
  }
  return <pre class="kv-json">{safeJson(v, 2)}</pre>;
}

/**
 * The default view of a step's output: a plain object as a definition list, a list of records
 * as a table, anything else as text or pretty JSON.
 */
export function keyValues(obj: unknown, opts: KeyValuesOptions = {}): Child {
  if (isPlainObject(obj) && !isArtifactRef(obj)) {
    const entries = Object.entries(obj);
    if (entries.length === 0) return <p class="kv-empty">(no values)</p>;
    return (
      <dl class="key-values">
        {entries.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>{value(v, opts)}</dd>
          </>
        ))}
      </dl>
    );
  }
  if (Array.isArray(obj) && obj.length > 0 && obj.every((r) => isPlainObject(r) && !isArtifactRef(r))) {
    return tableView(obj as Record<string, unknown>[]);
  }
  return <div class="key-values">{value(obj, opts)}</div>;
}
