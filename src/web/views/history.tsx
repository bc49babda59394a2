import type { Child } from 'hono/jsx';
import type { RunState } from '../../engine/run-state.ts';
import type { AnyStep, Workflow } from '../../engine/workflow.ts';
import { isArtifactRef } from '../../store/artifact-ref.ts';
import { displayValue } from '../../widgets/display.ts';
import type { RunEvent } from '../../store/event-log.ts';
import { formatDuration, formatTime } from './format.ts';
import { historyEntries, type HistoryEntry } from './history-entries.ts';
import { RunOutline } from './run-outline.tsx';
import { runStatus } from './run-status.ts';
import { urls } from './urls.ts';
import { When } from './when.tsx';

/** What happened, in words; a submit reads "Done" for a step that only records its input, "Started" for one with work to do. */
function verb(e: RunEvent, step: AnyStep | undefined): string {
  switch (e.type) {
    case 'created': return 'Run created';
    case 'submitted': return step && !step.run ? 'Done' : 'Started';
    case 'profile_renamed': return `Profile renamed to ${String(e.detail?.to ?? '')}`;
    case 'completed': return 'Finished';
    case 'reverted': return 'Reverted to';
    case 'finalized': return 'Finalized: the run is locked';
    case 'unfinalized': return 'Unfinalized: the run can change again';
    case 'failed': return 'Failed';
    case 'cancelled': return 'Stopped';
    case 'interrupted': return 'Interrupted';
    case 'revert_undone': return 'Revert undone: the cleared steps are back';
    case 'archived': return 'Archived';
    case 'unarchived': return 'Unarchived';
    default: return e.type;
  }
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** One value as a few words: text on one line, lists joined, files by name. */
function brief(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return clip(v.replace(/\s+/g, ' ').trim(), 60);
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (isArtifactRef(v)) return v.name;
  if (Array.isArray(v)) return v.length === 0 ? '—' : clip(v.map(brief).join(', '), 60);
  try {
    return clip(JSON.stringify(v) ?? String(v), 60);
  } catch {
    return '…';
  }
}

/** "Your name: Ada · Greeting: Hello": what was entered, by the fields' labels. */
function inputSummary(step: AnyStep | undefined, input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const parts = Object.entries(input).map(([k, v]) => `${step?.fields[k]?.label ?? k}: ${brief(displayValue(step?.fields[k], v))}`);
  return parts.length ? parts.join(' · ') : undefined;
}

/**
 * The right pane of a run: a summary and the run's events, newest first, each in words: what
 * happened, to which step, with what input or error. It reloads itself when a response says the
 * run changed (`HX-Trigger: run-changed`).
 */
export function History({ wf, state, events }: { wf: Workflow; state: RunState; events: RunEvent[] }): Child {
  const steps = new Map(wf.steps.map((s, i) => [s.id, { step: s, title: `${i + 1}. ${s.title}` }]));
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
      <RunOutline wf={wf} state={state} />
      <h3>History</h3>
      {events.length === 0 ? (
        <p class="muted">Nothing yet.</p>
      ) : (
        <ol class="events" reversed>
          {historyEntries(events, (id) => steps.get(id)?.step).map((entry) => {
            if (entry.kind === 'work') return <WorkEntry entry={entry} title={steps.get(entry.step)?.title ?? entry.step} step={steps.get(entry.step)?.step} />;
            const e = entry.event;
            const s = e.step ? steps.get(e.step) : undefined;
            const input = e.type === 'submitted' ? inputSummary(s?.step, e.detail?.input) : undefined;
            const error = typeof e.detail?.error === 'string' ? e.detail.error : undefined;
            return (
              // A step that only records its input is done once submitted: coloured as done.
              <li class={`event event-${e.type}${e.type === 'submitted' && s && !s.step.run ? ' event-done' : ''}`}>
                <span class="event-what">{verb(e, s?.step)}</span>
                <When iso={e.at} />
                {e.step ? <span class="event-step">{s?.title ?? e.step}</span> : null}
                {input ? <small class="event-detail" title={input.length > 120 ? input : undefined}>{clip(input, 120)}</small> : null}
                {error ? <small class="event-error">{error}</small> : null}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

const OUTCOME: Record<string, string> = { completed: 'Finished', failed: 'Failed', cancelled: 'Stopped', interrupted: 'Interrupted' };

/** A step's work as one entry: what it was given, how it ended, and how long it took. */
function WorkEntry({ entry, title, step }: { entry: Extract<HistoryEntry, { kind: 'work' }>; title: string; step: AnyStep | undefined }): Child {
  const end = entry.ended;
  const input = inputSummary(step, entry.started.detail?.input);
  const error = typeof end?.detail?.error === 'string' ? end.detail.error : undefined;
  const took = end ? formatDuration(entry.started.at, end.at) : '';
  // Which worker ran it (PostgreSQL: steps run on many machines).
  const worker = typeof entry.started.detail?.worker === 'string' ? entry.started.detail.worker : undefined;
  return (
    <li class={`event event-work event-${end?.type ?? 'submitted'}`}>
      <span class="event-what">{end ? OUTCOME[end.type] ?? end.type : 'Running'}</span>
      <When iso={end?.at ?? entry.started.at} />
      <span class="event-step">
        {title}
        {took ? <small class="event-took"> · took {took}</small> : <small class="event-took"> · started <When iso={entry.started.at} phrase /></small>}
        {worker ? <small class="event-worker"> · on {worker}</small> : null}
      </span>
      {input ? <small class="event-detail" title={input.length > 120 ? input : undefined}>{clip(input, 120)}</small> : null}
      {error ? <small class="event-error">{error}</small> : null}
    </li>
  );
}
