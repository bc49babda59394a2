import type { Child } from 'hono/jsx';
import type { RunState } from '../../engine/run-state.ts';
import type { Workflow } from '../../engine/workflow.ts';
import type { RunEvent } from '../../store/event-log.ts';
import { formatTime } from './format.ts';
import { runStatus } from './run-status.ts';
import { urls } from './urls.ts';

const WORDS: Record<string, string> = {
  created: 'Run created',
  submitted: 'Submitted',
  started: 'Started',
  completed: 'Completed',
  reverted: 'Reverted to',
  finalized: 'Finalized',
  unfinalized: 'Unfinalized',
  failed: 'Failed',
  cancelled: 'Stopped',
  interrupted: 'Interrupted',
};

/**
 * The right pane of a run: a summary and the run's events, newest first. It reloads itself when
 * a response says the run changed (`HX-Trigger: run-changed`).
 */
export function History({ wf, state, events }: { wf: Workflow; state: RunState; events: RunEvent[] }): Child {
  const titles = new Map(wf.steps.map((s, i) => [s.id, `${i + 1}. ${s.title}`]));
  const st = runStatus(state, wf);
  return (
    <section
      id="history"
      class="history"
      aria-labelledby="history-title"
      hx-get={urls.history(wf.id, state.key)}
      hx-trigger="run-changed from:body"
      hx-swap="outerHTML"
    >
      <h2 id="history-title">This run</h2>
      <dl class="run-summary">
        <dt>Key</dt>
        <dd><code>{state.key}</code></dd>
        <dt>Status</dt>
        <dd><span class={`badge badge-${st.kind}`}>{st.label}</span></dd>
        <dt>Profile</dt>
        <dd>{state.profile}</dd>
        <dt>Created</dt>
        <dd><time datetime={state.created}>{formatTime(state.created)}</time></dd>
      </dl>
      <p class="history-links">
        <small>
          <a href={`/api/runs/${encodeURIComponent(state.key)}`}>Run state as JSON</a>
        </small>
      </p>
      <h3>History</h3>
      {events.length === 0 ? (
        <p class="muted">Nothing yet.</p>
      ) : (
        <ol class="events" reversed>
          {events.map((e) => (
            <li class={`event event-${e.type}`}>
              <span class="event-what">
                {WORDS[e.type] ?? e.type}
                {e.step ? <> <span class="event-step">{titles.get(e.step) ?? e.step}</span></> : null}
              </span>
              <time datetime={e.at}>{formatTime(e.at)}</time>
              {typeof e.detail?.error === 'string' ? <small class="event-error">{e.detail.error}</small> : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
