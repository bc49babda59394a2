import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { FormBody } from '../../widgets/widget.ts';
import { MultipartError, readMultipart, type MultipartRules } from '../multipart.ts';
import { SECURITY_HEADERS } from '../security/index.ts';

/**
 * A submitted form, shaped like Hono's `c.req.parseBody({ all: true })`: a name sent once is a
 * string, a name sent again (or ending in `[]`) an array.
 *
 * Urlencoded bodies — every step form without a file field — take a shorter road: the bytes are
 * read straight from Node's request (not through a web `Request` and its stream, which costs more
 * than the rest of a small submit) and parsed with `URLSearchParams`, the same WHATWG parser
 * `Request.formData()` uses. The bytes are left in Hono's body cache, so whoever reads the body
 * later (`c.req.text()`, `parseBody`) gets the same body.
 *
 * Multipart bodies (uploads) are accepted only with `uploads` (the step has file fields): they
 * are streamed, files to temp files in the data folder (see multipart.ts), which are removed when
 * the response is over, whatever happened — unless a widget moved them into the run's artifacts.
 */
export async function formBody(c: Context, uploads?: MultipartRules): Promise<FormBody> {
  const contentType = c.req.header('content-type') ?? '';
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (type === 'multipart/form-data') return multipartBody(c, contentType, uploads);
  if (type !== 'application/x-www-form-urlencoded') {
    try {
      return (await c.req.parseBody({ all: true })) as FormBody;
    } catch {
      // A broken body is the sender's fault (400), not an unexpected server error.
      throw new HTTPException(400, { message: 'The form could not be read (the request body is not valid form data). Reload the page and send it again.' });
    }
  }
  const text = Buffer.from(await bodyBytes(c)).toString('utf8');
  const form: FormBody = Object.create(null) as FormBody;
  for (const [key, value] of new URLSearchParams(text)) {
    const had = form[key];
    if (had !== undefined) {
      if (Array.isArray(had)) had.push(value);
      else form[key] = [had, value];
    } else {
      form[key] = key.endsWith('[]') ? [value] : value;
    }
  }
  return form;
}

/** The request body's bytes: from Node's request if nobody has started reading it, else via Hono. */
async function bodyBytes(c: Context): Promise<ArrayBuffer> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const untouched = incoming !== undefined && Object.keys(c.req.bodyCache).length === 0 && !incoming.readableDidRead && incoming.readableFlowing === null;
  if (!untouched) return c.req.arrayBuffer();
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const all = Buffer.concat(chunks);
  const bytes = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  // Hono keeps promises there (its type says otherwise).
  (c.req.bodyCache as Record<string, unknown>).arrayBuffer = Promise.resolve(bytes);
  return bytes;
}

async function multipartBody(c: Context, contentType: string, uploads: MultipartRules | undefined): Promise<FormBody> {
  const refuse = (status: 400 | 413 | 415, message: string) =>
    new HTTPException(status, { res: new Response(`${message}\n`, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=UTF-8', 'Cache-Control': 'no-store', Connection: 'close' } }) });
  if (!uploads) throw refuse(415, 'This step takes no files, so it does not accept a multipart (upload) form. Nothing was saved.');
  const env = c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;
  const source = env?.incoming ?? (c.req.raw.body ? Readable.fromWeb(c.req.raw.body as import('node:stream/web').ReadableStream) : Readable.from([]));
  try {
    const read = await readMultipart(source, contentType, uploads);
    // Whatever the route does next (store, refuse, fail), the temp files go when the response is over.
    if (env?.outgoing) env.outgoing.once('close', () => void read.dispose());
    else c.req.raw.signal.addEventListener('abort', () => void read.dispose(), { once: true });
    return read.form;
  } catch (e) {
    if (e instanceof MultipartError) throw refuse(e.status, e.message);
    throw e;
  }
}
