import { formatBytes } from '../../widgets/format.ts';
import { excerpt } from '../../widgets/excerpt.ts';

/** The longest text sent back into a form after a refused submit: more than a person types (a textarea's default maximum). */
export const ECHO_MAX_CHARS = 100_000;
/** How much of a longer value is shown instead. */
export const ECHO_EXCERPT_CHARS = 200;
/** A repeated field (checkboxes) sends a list; more items than any form has are not sent back. */
const ECHO_MAX_ITEMS = 1000;

/**
 * What a refused form shows again: text as it was sent, so the person corrects instead of
 * retyping — but never a giant value whole (a 10 MB field must not come back in a 10 MB page):
 * that one is cut to its start, and its field's message says so. Files cannot be sent back.
 */
export function echoValues(raw: Record<string, unknown>, errors: Record<string, string>): { values: Record<string, unknown>; errors: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const out = { ...errors };
  for (const [name, v] of Object.entries(raw)) {
    if (typeof v === 'string') {
      if (v.length <= ECHO_MAX_CHARS) values[name] = v;
      else {
        values[name] = excerpt(v, ECHO_EXCERPT_CHARS);
        const note = `The value sent was ${formatBytes(Buffer.byteLength(v))}; only its start is shown here.`;
        out[name] = out[name] ? `${out[name]}. ${note}` : note;
      }
    } else if (Array.isArray(v)) {
      // Items as sent (a JSON list may hold numbers), long texts cut to an excerpt; uploads dropped.
      values[name] = v
        .filter((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x))
        .slice(0, ECHO_MAX_ITEMS)
        .map((x) => (typeof x === 'string' ? excerpt(x, ECHO_EXCERPT_CHARS) : x));
    } else if (typeof v === 'number' || typeof v === 'boolean') {
      values[name] = v;
    }
    // Anything else (an upload) is not sent back.
  }
  return { values, errors: out };
}
