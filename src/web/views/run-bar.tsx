import type { Child } from 'hono/jsx';
import type { RunState } from '../../engine/run-state.ts';
import type { Workflow } from '../../engine/workflow.ts';
import { RunActions } from './run-actions.tsx';
import { runStatus } from './run-status.ts';
import { stepDomId, urls } from './urls.ts';
import { Csrf } from './layout.tsx';
import type { AnyStep } from '../../engine/workflow.ts';

/** Done steps whose code (their `version`) changed since they ran. */
export function changedSteps(wf: Workflow, state: RunState): AnyStep[] {
  return wf.steps.filter((s) => {
    const st = state.steps[s.id];
    return st?.status === 'done' && s.version !== undefined && st.version !== undefined && st.version !== s.version;
  });
}

/**
 * The run's header that stays in view (sticky) however long the run: its key, where it stands,
 * and the ways to move around a long run — jump to the step that waits for input, fold the done
 * steps away — and its housekeeping (archive, delete). It reloads itself when a response says the
 * run changed, like the history pane.
 */
/** What the run holds live in this process: its resources (a kernel) and whether "run all" is going on. */
export interface RunLive {
  resources: { name: string; status: { label: string; state: string }; restartable: boolean }[];
  runningAll: boolean;
  /** Runs can be handed to workers here (the store is PostgreSQL). */
  canQueue?: boolean | undefined;
  /** Where the run stands on the queue, if it was ever queued. */
  queue?: { queue: string; status: string; attempts: number; maxAttempts: number; worker: string | null; error: string | null } | undefined;
}

/** The run's place on the queue, in words: queued, running on which worker, failed after how many attempts. */
function QueueBadge({ q }: { q: NonNullable<RunLive['queue']> }): Child {
  if (q.status === 'queued') {
    return <span class="badge badge-open" role="status">Queued on “{q.queue}”{q.attempts > 0 ? ` · retry ${q.attempts + 1} of ${q.maxAttempts}` : ''}</span>;
  }
  if (q.status === 'running') return <span class="badge badge-running" role="status">Running on worker {q.worker ?? '?'} · attempt {q.attempts} of {q.maxAttempts}</span>;
  if (q.status === 'failed') {
    return <span class="badge badge-failed" role="status" title={q.error ?? undefined}>Failed on a worker after {q.attempts} attempt{q.attempts === 1 ? '' : 's'}{q.error ? `: ${q.error}` : ''}</span>;
  }
  return <span class="badge badge-complete">Ran on worker {q.worker ?? '?'}</span>;
}

export function RunBar({ wf, state, csrf, live }: { wf: Workflow; state: RunState; csrf: string; live: RunLive }): Child {
  const st = runStatus(state, wf);
  const open = wf.steps.findIndex((s) => state.steps[s.id]?.status !== 'done');
  const changed = changedSteps(wf, state);
  // A notebook says which kernel it runs in even before the kernel is started.
  const resources = live.resources.length || wf.origin?.kind !== 'notebook' || !wf.origin.runner
    ? live.resources
    : [{ name: 'kernel', status: { label: `Kernel ${wf.origin.runner}`, state: 'not started' }, restartable: false }];
  const onQueue = live.queue?.status === 'queued' || live.queue?.status === 'running';
  const canRunAll = !state.finalized && open >= 0 && !live.runningAll && !onQueue && state.steps[wf.steps[open]!.id]?.status !== 'running';
  const canQueue = canRunAll && live.canQueue === true;
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
      {live.queue ? <QueueBadge q={live.queue} /> : null}
      <span class="run-bar-actions">
        {/* Without JavaScript a plain link; app.js also moves focus to the step's first field. */}
        <a href={`#${target}`} class="run-bar-jump" data-jump="current" aria-keyshortcuts="Alt+J">{jump}</a>
        <button type="button" class="secondary outline small" data-collapse-done aria-pressed="false" hidden>
          Fold done steps
        </button>
      </span>
      {resources.length || canRunAll || live.runningAll ? (
        <span class="run-bar-controls">
          {resources.map((r) => (
            <span class="run-resources">
              <span class={`badge badge-kernel-${r.status.state.replace(/[^a-z]/g, '')}`} role="status">
                {r.status.label}: {r.status.state}
              </span>
              {r.restartable && !state.finalized ? (
                <form method="post" action={urls.restartResource(wf.id, state.key, r.name)} hx-post={urls.restartResource(wf.id, state.key, r.name)} hx-target="#steps" hx-swap="outerHTML" class="inline-form">
                  <Csrf token={csrf} />
                  <button type="submit" class="secondary outline small">Restart {r.name}</button>
                </form>
              ) : null}
            </span>
          ))}
          {canRunAll ? (
            <form method="post" action={urls.runAll(wf.id, state.key)} hx-post={urls.runAll(wf.id, state.key)} hx-target="#steps" hx-swap="outerHTML" class="inline-form">
              <Csrf token={csrf} />
              <button type="submit" class="small" title="Runs the remaining steps in order until one needs input or fails">▶▶ Run all remaining steps</button>
            </form>
          ) : null}
          {canQueue ? (
            <form method="post" action={urls.queueRun(wf.id, state.key)} hx-post={urls.queueRun(wf.id, state.key)} hx-target="#steps" hx-swap="outerHTML" class="inline-form">
              <Csrf token={csrf} />
              <button type="submit" class="secondary small" title="Hands the remaining steps to a railbook worker (on any machine that reaches the database); this page follows it">Run on a worker</button>
            </form>
          ) : null}
          {live.runningAll ? <span class="muted" role="status">Running all remaining steps… (Stop the running step to end it)</span> : null}
        </span>
      ) : null}
      {changed.length ? (
        <p class="run-bar-changed" role="note">
          {changed.length === 1 ? '1 step' : `${changed.length} steps`} changed since {changed.length === 1 ? 'it' : 'they'} ran:{' '}
          <a href={`#${stepDomId(changed[0]!.id)}`}>revert to step {wf.steps.indexOf(changed[0]!) + 1} ({changed[0]!.title})</a> to run the current code.
        </p>
      ) : null}
      <RunActions wfId={wf.id} state={state} csrf={csrf} />
    </div>
  );
}
