import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { InputWidget } from './widget.ts';
import { isArtifactRef, type ArtifactRef } from '../store/artifact-ref.ts';
import { UploadedFile } from '../store/uploaded-file.ts';
import { LabelledField, ariaFor } from './field.tsx';
import { formValues } from './form-values.ts';
import { describeArtifact, formatBytes } from './format.ts';

export interface FileUploadOptions {
  label: string;
  help?: string;
  initial?: ArtifactRef;
  /** Like the HTML attribute: ".csv,text/csv,image/*". Checked on the server too. */
  accept?: string;
  /** Largest file accepted, when it should be less than the app's upload limit (`--max-upload`, default 10 GB). */
  maxBytes?: number;
}

/** True for a field that takes a file: its form is sent as multipart, and the server streams it to disk. */
export function isUploadField(w: { kind: string }): boolean {
  return w.kind === 'file-upload';
}

/**
 * Whether a file's name or type fits an `accept` list. When only MIME rules are given and the
 * type is unknown (a local path has none), we cannot tell, so we let it through.
 */
export function acceptsFile(accept: string | undefined, name: string, mime?: string): boolean {
  const rules = (accept ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  if (rules.length === 0) return true;
  const lower = name.toLowerCase();
  const type = mime?.split(';')[0]?.trim().toLowerCase() || undefined;
  for (const r of rules) {
    if (r.startsWith('.') ? lower.endsWith(r) : r.endsWith('/*') ? type?.startsWith(r.slice(0, -1)) : type === r) return true;
  }
  return type === undefined && rules.every((r) => !r.startsWith('.'));
}

/** An artifact path must stay relative and inside the data folder: no "..", no absolute path. */
function isSafeRelativePath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\\') || p.includes('\0') || /^[A-Za-z]:/.test(p)) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/**
 * A file the person uploads (or, in a job file, names by local path); stored as an artifact of
 * the run, so the run state holds only a small reference.
 */
export function fileUpload(o: FileUploadOptions): InputWidget<ArtifactRef> {
  const own = o.maxBytes;
  // The app's limit is known only when a value is prepared or a form rendered (it is configurable).
  const limitOf = (appMax: number | undefined) => (own !== undefined && (appMax === undefined || own < appMax) ? own : appMax);
  const tooBig = (size: number, max: number) => `Choose a file of at most ${formatBytes(max)} (this one is ${formatBytes(size)})`;
  const wrongType = `Choose a file of type: ${o.accept ?? ''}`;

  const schema = z
    .custom<ArtifactRef>(
      (v) => isArtifactRef(v) && typeof v.size === 'number' && typeof v.name === 'string' && isSafeRelativePath(v.path),
      { error: 'Choose a file' },
    )
    .superRefine((ref, ctx) => {
      if (own !== undefined && ref.size > own) ctx.addIssue({ code: 'custom', message: tooBig(ref.size, own) });
      if (!acceptsFile(o.accept, ref.name, ref.mime)) ctx.addIssue({ code: 'custom', message: wrongType });
    });

  return {
    kind: 'file-upload',
    label: o.label,
    help: o.help,
    initial: o.initial,
    schema,
    keepWhenEmpty: true,
    maxBytes: own,
    // Job files and the API name a local path, not an artifact reference.
    jsonSchema: () => ({
      anyOf: [
        { type: 'string', description: 'path of a local file to upload' },
        {
          type: 'object',
          description: 'a local file to upload, and the name to keep for it (what `railbook export` writes)',
          properties: { path: { type: 'string' }, name: { type: 'string' }, mime: { type: 'string' } },
          required: ['path'],
          additionalProperties: false,
        },
      ],
    }),
    fromForm(body, name) {
      // Only a real upload counts. A string here must never become a local path for `prepare`:
      // that would let a form post copy any file on the machine into the run.
      // Browsers send an empty, nameless file when nothing was chosen.
      return formValues(body, name).find((v): v is File | UploadedFile => typeof v !== 'string' && !(v.name === '' && v.size === 0));
    },
    async prepare(raw, ctx) {
      if (isArtifactRef(raw)) return raw; // already stored (a resumed or exported run)
      const max = limitOf(ctx.maxUploadBytes)!;
      if (raw instanceof UploadedFile) {
        // Streamed to disk and hashed by the web layer: moved into the run, never read again here.
        if (raw.name === '' && raw.size === 0) return undefined;
        const name = raw.name || 'upload';
        if (raw.size > max) throw new Error(tooBig(raw.size, max));
        if (!acceptsFile(o.accept, name, raw.type)) throw new Error(wrongType);
        return ctx.storeUpload(raw, name, raw.type || undefined);
      }
      if (raw instanceof Blob) {
        const name = raw instanceof File && raw.name ? raw.name : 'upload';
        if (raw instanceof File && raw.name === '' && raw.size === 0) return undefined;
        if (raw.size > max) throw new Error(tooBig(raw.size, max));
        if (!acceptsFile(o.accept, name, raw.type)) throw new Error(wrongType);
        return ctx.storeBytes(name, new Uint8Array(await raw.arrayBuffer()), raw.type || undefined);
      }
      // A local path, from a job file or the CLI (trusted callers; see fromForm): a plain path, or
      // { path, name } as `railbook export` writes it, so the person's file name survives a replay.
      const local = localFile(raw);
      if (local) {
        const file = local.path.trim();
        if (file === '') return undefined;
        const name = local.name?.trim() || path.basename(file);
        if (!acceptsFile(o.accept, name, local.mime)) throw new Error(`${wrongType} (got ${name})`);
        // Refuse a huge file before copying it; a missing one is reported by storeFile.
        const st = await stat(ctx.localPath(file)).catch(() => undefined);
        if (st && st.size > max) throw new Error(`${tooBig(st.size, max)}${max === own ? '' : '; the limit can be raised with --max-upload or $RAILBOOK_MAX_UPLOAD'}`);
        return ctx.storeFile(file, local.name, local.mime);
      }
      throw new Error('Give the path of a local file');
    },
    render(p) {
      const current = isArtifactRef(p.value) ? p.value : undefined;
      const max = limitOf(p.maxUploadBytes);
      const limitId = `${p.id}-limit`;
      return (
        <LabelledField
          kind="file-upload"
          id={p.id}
          label={o.label}
          help={o.help}
          error={p.error}
          after={
            <>
              {max !== undefined ? <p class="upload-limit" id={limitId}><small>At most {formatBytes(max)} per file.</small></p> : null}
              {current ? <p class="current-file"><small>Uploaded earlier: {describeArtifact(current)}. Choose nothing to keep it.</small></p> : null}
            </>
          }
        >
          <input type="file" id={p.id} name={p.name} accept={o.accept} disabled={p.disabled} data-max-bytes={max !== undefined ? String(max) : undefined} data-max-label={max !== undefined ? formatBytes(max) : undefined} {...withLimit(ariaFor({ id: p.id, help: o.help, error: p.error }), max !== undefined ? limitId : undefined)} />
        </LabelledField>
      );
    },
  };
}

/** A job file's upload: `"path"` or `{ "path": …, "name"?: …, "mime"?: … }`. */
function localFile(raw: unknown): { path: string; name?: string | undefined; mime?: string | undefined } | undefined {
  if (typeof raw === 'string') return { path: raw };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => k !== 'path' && k !== 'name' && k !== 'mime');
  if (typeof o.path !== 'string' || extra.length) return undefined;
  if (o.name !== undefined && typeof o.name !== 'string') return undefined;
  if (o.mime !== undefined && typeof o.mime !== 'string') return undefined;
  return { path: o.path, name: o.name as string | undefined, mime: o.mime as string | undefined };
}

/** Adds the limit's note to the input's description, so a screen reader says it with the field. */
function withLimit<A extends Record<string, string | undefined>>(aria: A, limitId: string | undefined): A {
  if (!limitId) return aria;
  const described = aria['aria-describedby'];
  return { ...aria, 'aria-describedby': described ? `${described} ${limitId}` : limitId };
}
