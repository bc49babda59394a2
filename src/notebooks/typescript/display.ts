// Rich values for a cell's outputs, built inside the worker: the cell's result as `text/plain`
// (util.inspect, as Node's REPL prints it) plus `application/json` for plain data, and the
// `display()` global with its helpers for HTML, Markdown, images and JSON.
import util from 'node:util';
import type { MimeBundle } from '../kernel/outputs.ts';

export function inspect(value: unknown): string {
  return util.inspect(value, { colors: false });
}

/** The bundle for a cell's last value: always text/plain, and JSON for plain objects and arrays. */
export function valueBundle(value: unknown): MimeBundle {
  const data: MimeBundle = { 'text/plain': inspect(value) };
  const json = plainJson(value);
  if (json !== undefined) data['application/json'] = json;
  return data;
}

/** A JSON copy of a plain object or array, or undefined when it is neither or does not serialise. */
function plainJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return undefined;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch {
    // Cycles and BigInts: text/plain alone.
    return undefined;
  }
}

/** Bytes or base64 text (a data: URL's prefix is dropped) as base64, nbformat's encoding of images. */
function base64(image: Uint8Array | ArrayBuffer | string): string {
  if (typeof image === 'string') return image.replace(/^data:[^,]*;base64,/, '');
  const bytes = image instanceof Uint8Array ? image : new Uint8Array(image);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export interface Display {
  /** A value as `mime` when given; otherwise a string as text, anything else as text plus JSON when plain. */
  (value: unknown, mime?: string): void;
  html(html: string): void;
  markdown(markdown: string): void;
  svg(svg: string): void;
  png(image: Uint8Array | ArrayBuffer | string): void;
  jpeg(image: Uint8Array | ArrayBuffer | string): void;
  json(value: unknown): void;
}

/** The `display` global; each call becomes one display_data output through `emit`. */
export function createDisplay(emit: (data: MimeBundle) => void): Display {
  const display = ((value: unknown, mime?: string): void => {
    if (mime) {
      const isBinary = value instanceof Uint8Array || value instanceof ArrayBuffer;
      emit({ [mime]: isBinary ? base64(value) : typeof value === 'string' || mime.includes('json') ? value : inspect(value) });
    } else {
      emit(typeof value === 'string' ? { 'text/plain': value } : valueBundle(value));
    }
  }) as Display;
  display.html = (html) => emit({ 'text/html': String(html) });
  display.markdown = (markdown) => emit({ 'text/markdown': String(markdown) });
  display.svg = (svg) => emit({ 'image/svg+xml': String(svg) });
  display.png = (image) => emit({ 'image/png': base64(image) });
  display.jpeg = (image) => emit({ 'image/jpeg': base64(image) });
  display.json = (value) => {
    const bundle = valueBundle(value);
    if (!('application/json' in bundle)) {
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError('display.json: the value cannot be written as JSON');
      bundle['application/json'] = JSON.parse(text) as unknown;
    }
    emit(bundle);
  };
  return display;
}
