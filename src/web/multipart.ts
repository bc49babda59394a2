import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { UploadedFile, uploadTempName } from '../store/uploaded-file.ts';
import { formatBytes } from '../widgets/format.ts';
import type { FormBody, FormValue } from '../widgets/widget.ts';

/** What a multipart body may hold: which fields take a file and how large, and how much text. */
export interface MultipartRules {
  /** Field name → largest file it takes (bytes). A file sent under any other name is refused. */
  fileLimits: Readonly<Record<string, number>>;
  /** All text parts together, in bytes (the same bound a form without files has). */
  maxTextBytes: number;
  /** Folder for the temp files (inside the data folder, so a move into artifacts is a rename). */
  tmpDir: string;
}

/** A multipart body refused: the status to answer and a sentence that says what to do. */
export class MultipartError extends Error {
  constructor(readonly status: 400 | 413, message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

export interface MultipartForm {
  form: FormBody;
  /** The uploads, on disk until `dispose()` (or until moved into a run's artifacts). */
  files: UploadedFile[];
  /** Removes every temp file this body left (those moved into artifacts are gone already). */
  dispose(): Promise<void>;
}

/** Room for boundaries, part headers and the like around the files and text. */
export const MULTIPART_OVERHEAD = 1024 * 1024;
const MAX_FIELDS = 1000;
/** Buffer of the parser and of each temp file's stream: at most this much of an upload is held per file. */
const STREAM_BUFFER = 1024 * 1024;

/** The most bytes a body under these rules can take: every file at its limit, all the text, the framing. */
export function multipartCeiling(rules: Pick<MultipartRules, 'fileLimits' | 'maxTextBytes'>): number {
  return Object.values(rules.fileLimits).reduce((a, b) => a + b, 0) + rules.maxTextBytes + MULTIPART_OVERHEAD;
}

/** Why a body over the ceiling is refused, naming the limits (the same words up front and mid-stream). */
export function tooLargeMessage(rules: Pick<MultipartRules, 'fileLimits' | 'maxTextBytes'>, size?: number): string {
  const each = [...new Set(Object.values(rules.fileLimits))].map(formatBytes).join(' or ');
  return `The request is too large${size !== undefined ? ` (${formatBytes(size)})` : ''}: this form takes at most ${each} per file and ${formatBytes(rules.maxTextBytes)} of text. Nothing was saved.`;
}

/**
 * Reads a multipart/form-data body as it arrives, with busboy: text parts into a form body
 * (bounded), file parts straight to temp files, their SHA-256 and size counted on the way. Memory
 * stays flat whatever the size. At the first rule broken it stops reading, removes what it wrote
 * and rejects with a MultipartError; a client that goes away does the same.
 */
export async function readMultipart(source: Readable, contentType: string, rules: MultipartRules): Promise<MultipartForm> {
  const written = new Set<string>();
  const dispose = async () => {
    await Promise.all([...written].map((f) => rm(f, { force: true })));
  };

  let bb: busboy.Busboy;
  try {
    if (!/^multipart\/form-data\s*;/i.test(contentType)) throw new Error('not multipart/form-data');
    bb = busboy({
      headers: { 'content-type': contentType },
      highWaterMark: STREAM_BUFFER,
      fileHwm: STREAM_BUFFER,
      defParamCharset: 'utf8',
      limits: {
        fieldSize: rules.maxTextBytes + 1,
        fieldNameSize: 200,
        fields: MAX_FIELDS,
        files: Object.keys(rules.fileLimits).length,
        parts: MAX_FIELDS + Object.keys(rules.fileLimits).length,
        headerPairs: 20,
      },
    });
  } catch {
    throw new MultipartError(400, 'The form could not be read (the request is not valid multipart form data). Reload the page and send it again.');
  }
  await mkdir(rules.tmpDir, { recursive: true });
  if (source.destroyed && !source.readableEnded) throw new MultipartError(400, 'The upload was interrupted before it was complete. Nothing was saved.');

  const form: FormBody = Object.create(null) as FormBody;
  const files: UploadedFile[] = [];
  const pending: Promise<void>[] = [];
  const streams = new Set<Readable>();
  const writers = new Set<WriteStream>();
  const ceiling = multipartCeiling(rules);
  let textBytes = 0;
  let total = 0;

  return new Promise<MultipartForm>((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      // Stop reading at once: nothing more of this body is wanted.
      source.unpipe(bb);
      source.off('data', count);
      bb.removeAllListeners('file');
      bb.removeAllListeners('field');
      bb.destroy();
      // Stop every file where it is. A pipeline whose source is destroyed does not always settle,
      // so wait for the temp files to be closed (a file still being opened is closed once open),
      // not for the pipelines, before removing them.
      for (const s of streams) s.destroy();
      for (const w of writers) w.destroy();
      const closed = [...writers].map((w) => new Promise<void>((r) => (w.closed ? r() : w.once('close', () => r()))));
      const err = e instanceof MultipartError ? e : new MultipartError(400, 'The form could not be read (the request body is not valid multipart form data, or it was cut off). Reload the page and send it again.');
      void Promise.all(closed).then(dispose).finally(() => reject(err));
    };
    const count = (chunk: Buffer) => {
      total += chunk.length;
      if (total > ceiling) fail(new MultipartError(413, tooLargeMessage(rules)));
    };

    bb.on('field', (name, value, info) => {
      textBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
      if (info.valueTruncated || textBytes > rules.maxTextBytes) {
        return fail(new MultipartError(413, `The form's text is too large: at most ${formatBytes(rules.maxTextBytes)} in all (the field "${name.slice(0, 60)}" went over). Nothing was saved.`));
      }
      if (info.nameTruncated) return fail(new MultipartError(400, 'A field name in the form is too long. Nothing was saved.'));
      add(form, name, value);
    });

    bb.on('file', (name, stream, info) => {
      // Busboy destroys a part's stream with an error when the body is cut off; never let that go unheard.
      stream.on('error', () => {});
      const limit = rules.fileLimits[name];
      if (limit === undefined) {
        stream.resume();
        return fail(new MultipartError(400, `The field "${name.slice(0, 60)}" does not take a file. Nothing was saved.`));
      }
      if (form[name] !== undefined) {
        stream.resume();
        return fail(new MultipartError(400, `The field "${name.slice(0, 60)}" takes one file; several were sent. Nothing was saved.`));
      }
      streams.add(stream);
      const tmp = path.join(rules.tmpDir, uploadTempName(randomBytes(8).toString('hex')));
      written.add(tmp);
      const hash = createHash('sha256');
      let size = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (size > limit) return done(new MultipartError(413, `The file "${(info.filename ?? name).slice(0, 80)}" is too large: at most ${formatBytes(limit)} per file. Nothing was saved.`));
          hash.update(chunk);
          done(null, chunk);
        },
      });
      // A placeholder keeps the form's order; it becomes the upload once the file is complete.
      form[name] = '';
      // A 1 MiB buffer lets the socket keep arriving while the disk writes (the 16 KiB default
      // made them take turns: ~240 vs ~340 MB/s on a 256 MB upload, docs/PERFORMANCE.md).
      const out = createWriteStream(tmp, { flags: 'wx', highWaterMark: STREAM_BUFFER });
      writers.add(out);
      const done = pipeline(stream, counter, out).then(
        () => {
          const f = new UploadedFile(info.filename ?? '', info.mimeType, size, hash.digest('hex'), tmp);
          files.push(f);
          form[name] = f;
        },
        (e: unknown) => fail(e),
      );
      pending.push(done);
    });

    bb.on('filesLimit', () => fail(new MultipartError(400, 'The form sent more files than it has file fields. Nothing was saved.')));
    bb.on('fieldsLimit', () => fail(new MultipartError(413, `The form has too many fields (at most ${MAX_FIELDS}). Nothing was saved.`)));
    bb.on('partsLimit', () => fail(new MultipartError(413, `The form has too many parts. Nothing was saved.`)));
    bb.on('error', (e) => fail(e));
    bb.on('close', () => {
      void Promise.all(pending).then(() => {
        if (settled) return;
        settled = true;
        resolve({ form, files, dispose });
      });
    });

    // The client going away before the end of the body.
    source.on('error', (e) => fail(e));
    source.on('aborted', () => fail(new MultipartError(400, 'The upload was interrupted before it was complete. Nothing was saved.')));
    source.on('close', () => {
      if (!source.readableEnded) fail(new MultipartError(400, 'The upload was interrupted before it was complete. Nothing was saved.'));
    });
    source.on('data', count);
    source.pipe(bb);
  });
}

function add(form: FormBody, name: string, value: FormValue): void {
  const had = form[name];
  if (had === undefined) form[name] = name.endsWith('[]') ? [value] : value;
  else if (Array.isArray(had)) had.push(value);
  else form[name] = [had, value];
}
