// How a notebook step's output looks on the run page: the values a parameters cell received, the
// execution count Jupyter would show (`[3]`), and the cell's outputs in their richest safe form.
import type { Child } from 'hono/jsx';
import type { RenderContext } from '../engine/workflow.ts';
import { keyValues } from '../widgets/index.ts';
import { isCellOutput } from './cell-output.ts';
import { OutputsView } from './outputs/outputs-view.tsx';

export interface CellViewOptions {
  /** `remove-output` / `hide-output` / `remove-cell`: the app does not show the outputs. */
  hideOutput: boolean;
  title: string;
}

export function cellView(output: unknown, ctx: RenderContext, opts: CellViewOptions): Child {
  if (!isCellOutput(output)) return keyValues(output, { artifactUrl: ctx.artifactUrl });
  if (output.status === 'skipped') {
    return <p class="muted nb-skipped">Not run: this cell is tagged <code>skip-execution</code>.</p>;
  }
  const shown = !opts.hideOutput;
  return (
    <div class="nb-cell">
      {output.kind === 'parameters' && output.values ? keyValues(output.values, { artifactUrl: ctx.artifactUrl }) : null}
      {output.executionCount !== null ? <p class="nb-count muted" aria-label={`Execution count ${output.executionCount}`}>[{output.executionCount}]</p> : null}
      {output.errorExpected ? <p class="muted">This cell is tagged <code>raises-exception</code>: the error below was expected.</p> : null}
      {shown && output.outputs.length ? (
        <OutputsView outputs={output.outputs} artifactUrl={ctx.artifactUrl} frameUrl={ctx.frameUrl} live={ctx.live === true} label={`Output of ${opts.title}`} />
      ) : null}
      {!shown && output.outputs.length ? <p class="muted">This cell's output is hidden (<code>remove-output</code>).</p> : null}
      {shown && output.outputs.length === 0 && output.status !== 'running' && output.kind === 'code' ? <p class="muted">No output.</p> : null}
    </div>
  );
}
