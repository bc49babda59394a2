// Outputs as a run's JSON state keeps them: anything the page must not inline (HTML, which is
// shown only in a sandboxed frame; images, which are bytes) and anything large goes to an
// artifact file, and the state keeps its ArtifactRef. inlineOutputs undoes it for an .ipynb.
import type { ArtifactRef } from '../../store/artifact-ref.ts';
import { isArtifactRef } from '../../store/artifact-ref.ts';
import { hasData, isBinaryImageMime, isJsonMime, textOf, type NbMimeBundle, type NbOutput } from './nb-output.ts';

/** A value (or stream text) larger than this, in UTF-8 bytes, is stored as an artifact. */
export const INLINE_LIMIT_BYTES = 64 * 1024;

export interface OutputWriter {
  write(name: string, data: Uint8Array | string, mime?: string): Promise<ArtifactRef>;
}

const EXTENSIONS: Record<string, string> = {
  'text/html': 'html',
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/latex': 'tex',
  'text/csv': 'csv',
  'image/svg+xml': 'svg',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/bmp': 'bmp',
  'application/json': 'json',
  'application/javascript': 'js',
  'application/pdf': 'pdf',
};

/** "out-3.png": the output's position in the cell (from 1) and an extension for its type. */
export function artifactName(index: number, mime: string): string {
  const m = mime.toLowerCase();
  const ext = EXTENSIONS[m] ?? (isJsonMime(m) ? 'json' : m.startsWith('text/') ? 'txt' : m.startsWith('image/') ? m.slice(6).replace(/[^a-z0-9]+/g, '') || 'img' : 'bin');
  return `out-${index}.${ext}`;
}

/** HTML and every image always go to a file (shown by URL); other values only when large. */
function alwaysStored(mime: string): boolean {
  return /^text\/html$/i.test(mime) || /^image\//i.test(mime);
}

/** The bytes a mime value is written as, or undefined if it stays inline. */
function bytesToStore(mime: string, value: unknown): Uint8Array | string | undefined {
  if (isJsonMime(mime)) {
    const json = JSON.stringify(value) ?? 'null';
    return Buffer.byteLength(json, 'utf8') > INLINE_LIMIT_BYTES ? json : undefined;
  }
  const text = textOf(value);
  if (text === undefined) return undefined; // not what nbformat allows here: left as it is
  if (isBinaryImageMime(mime)) return Buffer.from(text, 'base64');
  if (alwaysStored(mime) || Buffer.byteLength(text, 'utf8') > INLINE_LIMIT_BYTES) return text;
  return undefined;
}

/**
 * Outputs safe to keep in a run's JSON state: HTML, SVG and images, and any other value or stream
 * text over INLINE_LIMIT_BYTES, written through `writer` and replaced by their ArtifactRef.
 * Values that already are ArtifactRefs stay as they are, so storing twice writes nothing new.
 */
export async function storeOutputs(outputs: NbOutput[], writer: OutputWriter): Promise<NbOutput[]> {
  const stored: NbOutput[] = [];
  for (const [i, o] of outputs.entries()) {
    const n = i + 1;
    if (o.output_type === 'stream') {
      const big = typeof o.text === 'string' && Buffer.byteLength(o.text, 'utf8') > INLINE_LIMIT_BYTES;
      stored.push(big ? { ...o, text: await writer.write(`out-${n}-${o.name}.txt`, o.text as string, 'text/plain') } : { ...o });
    } else if (hasData(o)) {
      const data: NbMimeBundle = {};
      for (const [mime, value] of Object.entries(o.data)) {
        const bytes = isArtifactRef(value) ? undefined : bytesToStore(mime, value);
        data[mime] = bytes === undefined ? value : await writer.write(artifactName(n, mime), bytes, mime);
      }
      stored.push({ ...o, data, metadata: { ...o.metadata } });
    } else {
      stored.push({ ...o, traceback: [...o.traceback] });
    }
  }
  return stored;
}

/** A stored value back as nbformat holds it: base64 for images, the JSON value, or text. */
function inlineValue(mime: string, bytes: Buffer): unknown {
  if (isBinaryImageMime(mime)) return bytes.toString('base64');
  const text = bytes.toString('utf8');
  if (isJsonMime(mime)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** The inverse of storeOutputs, for writing an .ipynb: every ArtifactRef read back into its value. */
export async function inlineOutputs(outputs: NbOutput[], read: (ref: ArtifactRef) => Promise<Buffer>): Promise<NbOutput[]> {
  const inlined: NbOutput[] = [];
  for (const o of outputs) {
    if (o.output_type === 'stream') {
      inlined.push({ ...o, text: isArtifactRef(o.text) ? (await read(o.text)).toString('utf8') : o.text });
    } else if (hasData(o)) {
      const data: NbMimeBundle = {};
      for (const [mime, value] of Object.entries(o.data)) {
        data[mime] = isArtifactRef(value) ? inlineValue(mime, await read(value)) : value;
      }
      inlined.push({ ...o, data, metadata: { ...o.metadata } });
    } else {
      inlined.push({ ...o, traceback: [...o.traceback] });
    }
  }
  return inlined;
}
