import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Registry } from '../engine/registry.ts';
import { findStep, type AnyStep } from '../engine/workflow.ts';
import { formatBytes } from '../widgets/format.ts';
import { multipartCeiling, tooLargeMessage } from './multipart.ts';
import { SECURITY_HEADERS } from './security/index.ts';
import { FORM_MAX_BYTES, fileLimits } from './upload-rules.ts';

export { FORM_MAX_BYTES };

/** The step a POST to `/wf/<wf>/runs/<key>/steps/<step>` submits, if that path names one. */
function submittedStep(registry: Registry, c: Context): AnyStep | undefined {
  if (c.req.method !== 'POST') return undefined;
  const m = /^\/wf\/([^/]+)\/runs\/[^/]+\/steps\/([^/]+)$/.exec(c.req.path);
  if (!m) return undefined;
  try {
    const wf = registry.get(decodeURIComponent(m[1]!));
    return wf ? findStep(wf, decodeURIComponent(m[2]!)) : undefined;
  } catch {
    return undefined; // a malformed escape: the route answers 404
  }
}

const refusal = (c: Context, status: 413 | 415, text: string, close = false) =>
  // Closing the connection spares the client sending (and us discarding) gigabytes nobody will read.
  c.text(text, status, { ...SECURITY_HEADERS, 'Cache-Control': 'no-store', ...(close ? { Connection: 'close' } : {}) });

/**
 * Refuses request bodies larger than any form could need, before anything reads them (the CSRF
 * check and the routes parse bodies): an oversized request costs a header check, not memory.
 *
 * - A form without files: 2 MB, from the Content-Length up front or counted as a chunked body arrives.
 * - Multipart to a step with file fields: refused up front only if its Content-Length exceeds what
 *   the step's files (each at its limit) and text could add up to; the streaming reader then holds
 *   every file to its limit as it arrives (memory stays flat, so no buffer-sized bound is needed).
 * - Multipart to a step without file fields: refused at once (415), without reading the body.
 * - Multipart anywhere else: the 2 MB a form without files gets.
 */
export function requestSizeLimit(registry: Registry, maxUploadBytes: number): MiddlewareHandler {
  const small = bodyLimit({
    maxSize: FORM_MAX_BYTES,
    onError: (c) => refusal(c, 413, `The request is too large: at most ${formatBytes(FORM_MAX_BYTES)} for a form without files. Nothing was saved.\n`),
  });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    const multipart = (c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/');
    if (!multipart) return small(c, next);
    const step = submittedStep(registry, c);
    if (!step) return small(c, next);
    const limits = fileLimits(step.fields, maxUploadBytes);
    if (Object.keys(limits).length === 0) {
      return refusal(c, 415, `The step "${step.title}" takes no files, so it does not accept a multipart (upload) form: send it as application/x-www-form-urlencoded. Nothing was saved.\n`, true);
    }
    const ceiling = multipartCeiling({ fileLimits: limits, maxTextBytes: FORM_MAX_BYTES });
    const declared = Number(c.req.header('content-length'));
    if (Number.isFinite(declared) && declared > ceiling) {
      return refusal(c, 413, `${tooLargeMessage({ fileLimits: limits, maxTextBytes: FORM_MAX_BYTES }, declared)}\n`, true);
    }
    return next();
  };
}
