import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { ModelComment } from '../engine/workflow.ts';
import { renderModelText, renderModelTextStreaming } from '../ai/render-model-text.ts';

export type { ModelComment } from '../engine/workflow.ts';

const STATE: Record<ModelComment['status'], string> = {
  streaming: 'thinking…',
  done: '',
  stopped: 'stopped',
  unavailable: 'no model connected',
  failed: 'failed',
};

/**
 * A model's comment on a step's data (ctx.ai.comment): its words as markdown rendered on the server
 * and sanitized (model output is untrusted: nothing in it can run script or load a URL), the
 * model's name, "thinking…" while it streams, and the note (how to connect a model, or what went
 * wrong) as plain text. Pass the render context's `live` so a comment cut off by a stop says so.
 */
export function modelComment(c: ModelComment | undefined, ctx: { live?: boolean | undefined } = {}): Child {
  const live = ctx.live === true;
  if (c === undefined) {
    return live ? <section class="model-comment model-comment-streaming" aria-busy="true"><p class="model-comment-head"><small>Model comment · thinking…</small></p></section> : null;
  }
  // A comment still streaming in a stored output was cut off: the step was stopped meanwhile.
  const status = c.status === 'streaming' && !live ? 'stopped' : c.status;
  const state = STATE[status] ?? '';
  const html = c.text === '' ? '' : status === 'streaming' ? renderModelTextStreaming(c.text) : renderModelText(c.text);
  return (
    <section class={`model-comment model-comment-${status}`} data-status={status} aria-busy={status === 'streaming' ? 'true' : undefined}>
      <p class="model-comment-head">
        <small>
          Model comment{c.model ? <> · <span class="model-comment-model">{c.model}</span></> : null}
          {state ? <> · <span class="model-comment-state">{state}</span></> : null}
        </small>
      </p>
      {html ? <div class="model-comment-text model-text">{raw(html)}</div> : null}
      {c.note ? <pre class="model-comment-note kv-text">{c.note}</pre> : null}
    </section>
  );
}
