import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Registry } from '../engine/registry.ts';
import { SECURITY_HEADERS } from './security/index.ts';

/** Largest form without a file: far above any text a person types, far below harm. */
export const FORM_MAX_BYTES = 2 * 1024 * 1024;
/** Room for a multipart body's boundaries and other fields around its largest file. */
const MULTIPART_OVERHEAD = 1024 * 1024;

/** The largest upload any loaded workflow accepts (workflows reload, so this is asked per request). */
export function largestUpload(registry: Registry): number {
  let max = 0;
  for (const wf of registry.list()) {
    for (const step of wf.steps) for (const w of Object.values(step.fields)) max = Math.max(max, w.maxBytes ?? 0);
  }
  return max;
}

/**
 * Refuses request bodies larger than any form could need, with 413, before anything reads them
 * (the CSRF check and the routes parse bodies): an oversized request costs a header check, not
 * memory. A declared Content-Length is checked up front; a chunked body is counted as it arrives.
 */
export function requestSizeLimit(registry: Registry): MiddlewareHandler {
  const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    const multipart = (c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/');
    const maxSize = multipart ? Math.max(largestUpload(registry), FORM_MAX_BYTES) + MULTIPART_OVERHEAD : FORM_MAX_BYTES;
    const limit = bodyLimit({
      maxSize,
      onError: (c) => c.text(`The request is too large: at most ${mb(maxSize)} ${multipart ? 'with its files' : 'for a form without files'}. Nothing was saved.\n`, 413, { ...SECURITY_HEADERS, 'Cache-Control': 'no-store' }),
    });
    return limit(c, next);
  };
}
