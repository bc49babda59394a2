// A code cell's outputs as nbformat 4 writes them in an .ipynb, so a step's stored outputs can go
// into a notebook file unchanged. Once stored (store-outputs.ts), a large or unsafe-to-inline
// value is replaced by an ArtifactRef: a mime value in `data`, or a stream's `text`.
import { isArtifactRef, type ArtifactRef } from '../../store/artifact-ref.ts';

/**
 * Mime type → value. Text types hold a string (nbformat also allows a list of lines), JSON types
 * (`application/json`, `…+json`) hold the JSON value itself, binary images hold base64 text.
 * Any value may be an ArtifactRef in stored outputs.
 */
export type NbMimeBundle = Record<string, unknown>;

export interface NbStreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr';
  text: string | ArtifactRef;
}

export interface NbDisplayDataOutput {
  output_type: 'display_data';
  data: NbMimeBundle;
  metadata: Record<string, unknown>;
}

export interface NbExecuteResultOutput {
  output_type: 'execute_result';
  data: NbMimeBundle;
  metadata: Record<string, unknown>;
  execution_count: number | null;
}

export interface NbErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}

export type NbOutput = NbStreamOutput | NbDisplayDataOutput | NbExecuteResultOutput | NbErrorOutput;

/** Outputs that carry a mime bundle. */
export type NbDataOutput = NbDisplayDataOutput | NbExecuteResultOutput;

export function hasData(o: NbOutput): o is NbDataOutput {
  return o.output_type === 'display_data' || o.output_type === 'execute_result';
}

/** `application/json` and structured-syntax types like `application/vnd.vegalite.v5+json`. */
export function isJsonMime(mime: string): boolean {
  return mime === 'application/json' || /\+json$/i.test(mime);
}

/** Images that nbformat stores as base64 text (every image but SVG, which is XML text). */
export function isBinaryImageMime(mime: string): boolean {
  return /^image\//i.test(mime) && !/^image\/svg\+xml$/i.test(mime);
}

/**
 * A text value as one string: nbformat allows a string or a list of lines (joined as they are,
 * each line keeps its own "\n"). Undefined for anything else, an ArtifactRef included.
 */
export function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v.join('');
  return undefined;
}

export { isArtifactRef, type ArtifactRef };
