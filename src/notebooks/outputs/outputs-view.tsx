import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { ArtifactRef } from '../../store/artifact-ref.ts';
import { codeView } from '../../widgets/code.tsx';
import { formatBytes, safeJson } from '../../widgets/format.ts';
import { markdownView } from '../../widgets/markdown.tsx';
import { ansiToHtml, stripAnsi } from './ansi.ts';
import { hasData, isArtifactRef, textOf, type NbMimeBundle, type NbOutput } from './nb-output.ts';

// A cell's outputs in the app's page. Nothing a notebook produced ever runs in the page: HTML
// is shown only in a sandboxed frame without allow-same-origin (an opaque origin: no cookies,
// no access to the app), SVG only through <img> (which never runs its scripts), text escaped.

export interface OutputsViewProps {
  outputs: NbOutput[];
  /** Where an artifact's bytes are served (an image's src, a download link). */
  artifactUrl(ref: ArtifactRef): string;
  /** Where a stored HTML output is served for a sandboxed frame. */
  frameUrl(ref: ArtifactRef): string;
  /** The cell is still running: HTML not yet stored is announced instead of shown. */
  live?: boolean;
  /** The region's accessible name (default "Cell output"). */
  label?: string;
}

/** Jupyter's order of preference, limited to what Railbook can show safely. */
export const MIME_PREFERENCE = [
  'text/html',
  'image/svg+xml',
  'image/png',
  'image/jpeg',
  'image/gif',
  'text/markdown',
  'application/json',
  'text/plain',
] as const;

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

interface Ctx {
  props: OutputsViewProps;
  images: number;
  frames: number;
}

function downloadUrl(ctx: Ctx, ref: ArtifactRef): string {
  const url = ctx.props.artifactUrl(ref);
  if (/[?&]name=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}name=${encodeURIComponent(ref.name)}`;
}

function tooLarge(ctx: Ctx, ref: ArtifactRef): Child {
  return (
    <p class="nb-too-large">
      Output too large to show ({formatBytes(ref.size)}) — <a href={downloadUrl(ctx, ref)} target="_blank" rel="noopener">open</a>
    </p>
  );
}

function textBlock(text: string, cls: string): Child {
  return <pre class={cls}>{raw(ansiToHtml(text))}</pre>;
}

function image(ctx: Ctx, src: string): Child {
  ctx.images++;
  return <img class="nb-image" src={src} alt={`Output image ${ctx.images} of cell`} loading="lazy" />;
}

/** A data: URL for an inline image value (live output), or undefined if it is not one. */
function dataUrl(mime: string, value: unknown): string | undefined {
  const text = textOf(value);
  if (text === undefined) return undefined;
  if (mime === 'image/svg+xml') return `data:image/svg+xml;base64,${Buffer.from(text, 'utf8').toString('base64')}`;
  return BASE64.test(text) ? `data:${mime};base64,${text.replace(/\s+/g, '')}` : undefined;
}

/** The richest representation in a bundle that can be shown, or undefined. */
function renderBundle(ctx: Ctx, data: NbMimeBundle): Child | undefined {
  let htmlPending = false;
  for (const mime of MIME_PREFERENCE) {
    if (!(mime in data)) continue;
    const v = data[mime];
    switch (mime) {
      case 'text/html':
        if (isArtifactRef(v)) {
          ctx.frames++;
          return (
            <iframe
              class="nb-html-frame"
              sandbox="allow-scripts"
              src={ctx.props.frameUrl(v)}
              title={`HTML output ${ctx.frames} of cell`}
              loading="lazy"
              referrerpolicy="no-referrer"
            ></iframe>
          );
        }
        if (ctx.props.live) return <p class="nb-note">HTML output — shown when the cell finishes.</p>;
        htmlPending = true; // never stored (old state): fall back to a plainer representation
        break;
      case 'image/svg+xml':
      case 'image/png':
      case 'image/jpeg':
      case 'image/gif': {
        if (isArtifactRef(v)) return image(ctx, ctx.props.artifactUrl(v));
        const url = dataUrl(mime, v);
        if (url) return image(ctx, url);
        break;
      }
      case 'text/markdown': {
        if (isArtifactRef(v)) return tooLarge(ctx, v);
        const text = textOf(v);
        if (text !== undefined) return markdownView(text);
        break;
      }
      case 'application/json':
        if (isArtifactRef(v)) return tooLarge(ctx, v);
        return codeView(safeJson(v, 2), 'json');
      case 'text/plain': {
        if (isArtifactRef(v)) return tooLarge(ctx, v);
        const text = textOf(v);
        if (text !== undefined) return textBlock(text, 'nb-text');
        break;
      }
    }
  }
  if (htmlPending) return <p class="nb-note">HTML output (not stored, so not shown).</p>;
  const kinds = Object.keys(data);
  return kinds.length ? <p class="nb-note">Output of type {kinds.join(', ')} (not shown here).</p> : undefined;
}

function renderOutput(ctx: Ctx, o: NbOutput): Child {
  if (o.output_type === 'stream') {
    const cls = `nb-output nb-stream nb-${o.name}`;
    if (isArtifactRef(o.text)) return <div class={cls}>{tooLarge(ctx, o.text)}</div>;
    return <div class={cls}>{textBlock(o.text, 'nb-stream-text')}</div>;
  }
  if (o.output_type === 'error') {
    return (
      // No role="group" here: Pico lays groups out as a row of inputs.
      <div class="nb-output nb-error">
        <p class="nb-error-title">
          <strong>{stripAnsi(o.ename)}</strong>
          {o.evalue ? `: ${stripAnsi(o.evalue)}` : ''}
        </p>
        {o.traceback.length ? textBlock(o.traceback.join('\n'), 'nb-traceback') : null}
      </div>
    );
  }
  if (hasData(o)) {
    const cls = o.output_type === 'execute_result' ? 'nb-output nb-result' : 'nb-output nb-display';
    return <div class={cls}>{renderBundle(ctx, o.data) ?? null}</div>;
  }
  return null;
}

/** A cell's outputs, each in its richest safe form, in one labelled region. */
export function OutputsView(props: OutputsViewProps): Child {
  const ctx: Ctx = { props, images: 0, frames: 0 };
  return (
    <div class="nb-outputs" role="region" aria-label={props.label ?? 'Cell output'} aria-busy={props.live ? 'true' : undefined}>
      {props.outputs.map((o) => renderOutput(ctx, o))}
    </div>
  );
}
