import type { Child } from 'hono/jsx';
import type { RunState } from '../../engine/run-state.ts';
import type { Workflow } from '../../engine/workflow.ts';
import { RunActions } from './run-actions.tsx';
import { runStatus } from './run-status.ts';
import { stepDomId, urls } from './urls.ts';

/**
 * The run's header that stays in view (sticky) however long the run: its key, where it stands,
 * and the ways to move around a long run — jump to the step that waits for input, fold the done
 * steps away — and its housekeeping (archive, delete). It reloads itself when a response says the
 * run changed, like the history pane.
 */
export function RunBar({ wf, state, csrf }: { wf: Workflow; state: RunState; csrf: string }): Child {
  const st = runStatus(state, wf);
  const open = wf.steps.findIndex((s) => state.steps[s.id]?.status !== 'done');
  const target = open < 0 ? 'run-finish' : stepDomId(wf.steps[open]!.id);
  const jump = open < 0 ? (state.finalized ? 'Go to the end' : 'Go to Finish') : `Jump to step ${open + 1}`;
  return (
    <div
      id="run-bar"
      class="run-bar"
      role="region"
      aria-label="Run"
      data-run={state.key}
      hx-get={urls.runBar(wf.id, state.key)}
      hx-trigger="run-changed from:body"
      hx-swap="outerHTML"
    >
      <span class="run-bar-key">
        Run <code>{state.key}</code>
      </span>
      <span class={`badge badge-${st.kind}`}>{st.label}</span>
      <span class="run-bar-actions">
        {/* Without JavaScript a plain link; app.js also moves focus to the step's first field. */}
        <a href={`#${target}`} class="run-bar-jump" data-jump="current" aria-keyshortcuts="Alt+J">{jump}</a>
        <button type="button" class="secondary outline small" data-collapse-done aria-pressed="false" hidden>
          Fold done steps
        </button>
      </span>
      <RunActions wfId={wf.id} state={state} csrf={csrf} />
    </div>
  );
}
