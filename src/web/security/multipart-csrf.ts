import type { Readable } from 'node:stream';
import busboy from 'busboy';

/** How far into a multipart body the token may be: its first part, with room for odd framing. */
const PEEK_MAX_BYTES = 64 * 1024;

/**
 * The `_csrf` value of a multipart body that carries it as its FIRST part — where the app's forms
 * put it — read without buffering the rest: the bytes read are pushed back onto the stream, so
 * the route reads the whole body as if nobody had looked. Undefined if the first part is anything
 * else (a file, another field), if it is not within the first 64 kB, or if the body is malformed.
 * A client that cannot put the field first sends the `X-CSRF-Token` header instead.
 */
export async function peekMultipartField(source: Readable, contentType: string, field: string): Promise<string | undefined> {
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: { 'content-type': contentType }, defParamCharset: 'utf8', limits: { fieldSize: 1024, parts: 2 } });
  } catch {
    return undefined;
  }
  const seen: Buffer[] = [];
  let bytes = 0;
  return new Promise<string | undefined>((resolve) => {
    let done = false;
    const finish = (value: string | undefined) => {
      if (done) return;
      done = true;
      source.off('readable', onReadable);
      source.off('end', onEnd);
      source.off('error', onEnd);
      bb.removeAllListeners();
      bb.on('error', () => {});
      bb.destroy();
      // Give the route the body from its first byte.
      if (seen.length && !source.destroyed && !source.readableEnded) source.unshift(Buffer.concat(seen));
      resolve(value);
    };
    bb.on('field', (name, value, info) => finish(name === field && !info.valueTruncated ? value : undefined));
    bb.on('file', (_name, stream) => {
      stream.resume();
      finish(undefined);
    });
    bb.on('error', () => finish(undefined));
    bb.on('close', () => finish(undefined));
    const onReadable = () => {
      let chunk: Buffer | null;
      while (!done && (chunk = source.read() as Buffer | null) !== null) {
        seen.push(chunk);
        bytes += chunk.length;
        bb.write(chunk);
        if (bytes > PEEK_MAX_BYTES) finish(undefined);
      }
    };
    const onEnd = () => {
      if (!done) bb.end();
    };
    source.on('readable', onReadable);
    source.on('end', onEnd);
    source.on('error', onEnd);
  });
}
