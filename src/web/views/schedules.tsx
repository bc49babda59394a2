import type { Child } from 'hono/jsx';
import type { MissedPolicy } from '../../store/schedules.ts';
import { sentence } from './format.ts';
import { Csrf, Layout, type Chrome } from './layout.tsx';
import { urls } from './urls.ts';

/** How one firing went, as a badge: the run-table badge classes (done, running, open, failed) plus pending. */
export type FiringKind = 'done' | 'running' | 'open' | 'failed' | 'pending';

export interface FiringView {
  fireAt: string;
  /** The run it made; null when it made none (skipped, or refused before a run existed). */
  run: string | null;
  kind: FiringKind;
  /** The badge's word: done, running, queued, failed, skipped, … */
  word: string;
  /** More about it (why it failed, how far it got), or "". */
  detail: string;
}

export interface ScheduleView {
  name: string;
  workflow: string;
  /** The workflow's title; null when its file is not loaded (no landing page to link to). */
  workflowTitle: string | null;
  cron: string;
  tz: string | null;
  missed: MissedPolicy;
  queue: string | null;
  /** When it was paused, or null. */
  paused: string | null;
  /** The next fire times (ISO); empty while paused. */
  next: string[];
  /** Why the next fire times could not be worked out (a time zone this Node lacks, say), or "". */
  nextError: string;
  /** Newest first. */
  firings: FiringView[];
}

/** The newest firing of a schedule, when it went wrong: the home page flags it. */
export interface ScheduleFailure {
  schedule: string;
  workflow: string;
  fireAt: string;
  /** The failed run; null when the firing could not make one. */
  run: string | null;
  detail: string;
}

/** What `/schedules` says after a button was pressed (the no-JavaScript road comes back with it in the query). */
export interface ScheduleNotice {
  kind: 'paused' | 'resumed' | 'removed' | 'unchanged';
  name: string;
}

export const ADD_EXAMPLE = 'railbook schedule add job.json --cron "0 6 * * 1" --tz Europe/Paris';

/** DOM id of a schedule's row (names are [A-Za-z0-9_.-], safe in ids and fragments). */
export const scheduleDomId = (name: string) => `schedule-${name}`;

/** `/schedules`: every schedule, when it fires next, how its last firings went, and its buttons. */
export function SchedulesPage(props: { chrome: Chrome; schedules: ScheduleView[]; notice?: ScheduleNotice | undefined }): Child {
  return (
    <Layout chrome={props.chrome} title="Schedules">
      <hgroup>
        <h1>Schedules</h1>
        <p>Job files that run on their own, on a cron schedule. Each firing is a normal run with its own key.</p>
      </hgroup>
      <ScheduleStatus notice={props.notice} />
      <SchedulesSection schedules={props.schedules} csrf={props.chrome.csrf} />
    </Layout>
  );
}

/**
 * The live region that says what a button did. It stays in the page: htmx fills it out of band
 * (`oob`), so a screen reader announces the change instead of meeting a region that was replaced.
 */
export function ScheduleStatus({ notice, oob = false }: { notice: ScheduleNotice | undefined; oob?: boolean }): Child {
  return (
    <div id="schedules-status" role="status" hx-swap-oob={oob ? 'innerHTML' : undefined}>
      {notice ? <p class="notice">{noticeText(notice)}</p> : null}
    </div>
  );
}

function noticeText(n: ScheduleNotice): Child {
  const name = <code>{n.name}</code>;
  if (n.kind === 'paused') return <>Schedule {name} is paused: it does not fire until you resume it.</>;
  if (n.kind === 'resumed') return <>Schedule {name} is active again: it fires from now on (times that fell in the pause are not made up).</>;
  if (n.kind === 'removed') return <>Schedule {name} was removed. The runs it made are kept.</>;
  return <>Schedule {name} was already that way; nothing changed.</>;
}

/** The table (or the empty state): what htmx swaps after Pause and Resume. */
export function SchedulesSection({ schedules, csrf }: { schedules: ScheduleView[]; csrf: string }): Child {
  return (
    <section id="schedules" aria-label="Schedules">
      {schedules.length === 0 ? (
        <div class="schedules-empty">
          <p>No schedules yet. Add one from the command line, with a job file (the workflow and its inputs) and a cron expression:</p>
          <pre><code>{ADD_EXAMPLE}</code></pre>
          <p class="muted">
            <small>
              That runs the job every Monday at 06:00, Paris time. Schedules fire while <code>railbook serve</code> (or, with PostgreSQL,
              {' '}<code>railbook worker</code>) is running; <code>railbook schedule --help</code> says more.
            </small>
          </p>
        </div>
      ) : (
        <>
          <div class="overflow-auto">
            <table class="schedules striped">
              <caption class="visually-hidden">Schedules, their next fire times and their last runs</caption>
              <thead>
                <tr>
                  <th scope="col">Schedule</th>
                  <th scope="col">Workflow</th>
                  <th scope="col">When</th>
                  <th scope="col">Next fire times</th>
                  <th scope="col">Missed firings</th>
                  <th scope="col">State</th>
                  <th scope="col">Last runs</th>
                  <th scope="col" class="col-actions"><span class="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {schedules.map((s) => <ScheduleRowView s={s} csrf={csrf} />)}
              </tbody>
            </table>
          </div>
          <p class="muted">
            <small>Add more from the command line: <code>{ADD_EXAMPLE}</code></small>
          </p>
        </>
      )}
    </section>
  );
}

function ScheduleRowView({ s, csrf }: { s: ScheduleView; csrf: string }): Child {
  const seconds = s.cron.trim().split(/\s+/).length === 6;
  return (
    <tr id={scheduleDomId(s.name)}>
      <th scope="row"><code>{s.name}</code></th>
      <td>
        {s.workflowTitle !== null ? <a href={urls.workflow(s.workflow)}>{s.workflowTitle}</a> : <><code>{s.workflow}</code> <small class="muted">(not loaded)</small></>}
      </td>
      <td class="schedule-cron">
        <code>{s.cron}</code> ({s.tz ?? 'server time zone'})
        {s.queue ? <><br /><small class="muted">queue {s.queue}</small></> : null}
      </td>
      <td>
        {s.paused ? (
          <span class="muted">none while paused</span>
        ) : s.nextError ? (
          <span class="field-error">{sentence(s.nextError)}</span>
        ) : (
          <ul class="schedule-times">
            {s.next.map((iso) => <li><ZonedTime iso={iso} tz={s.tz} seconds={seconds} /></li>)}
          </ul>
        )}
      </td>
      <td>{s.missed === 'skip' ? 'skipped' : 'run once'}</td>
      <td>
        {s.paused ? <><span class="badge badge-pending">paused</span> <small class="muted">since <ZonedTime iso={s.paused} tz={s.tz} seconds /></small></> : <span class="badge badge-done">active</span>}
      </td>
      <td>
        {s.firings.length === 0 ? (
          <span class="muted">not fired yet</span>
        ) : (
          <ul class="schedule-firings">
            {s.firings.map((f) => (
              <li>
                {f.run ? <a href={urls.run(s.workflow, f.run)}><code>{f.run}</code></a> : <span class="muted">no run</span>}{' '}
                <span class={`badge badge-${f.kind}`}>{f.word}</span>{' '}
                <small class="muted">
                  <ZonedTime iso={f.fireAt} tz={s.tz} seconds={seconds} />
                  {f.detail ? <> — <span class={f.kind === 'failed' ? 'field-error' : undefined}>{f.detail}</span></> : null}
                </small>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td class="col-actions">
        <div class="row-actions">
          <form method="post" action={s.paused ? urls.scheduleResume(s.name) : urls.schedulePause(s.name)} hx-post={s.paused ? urls.scheduleResume(s.name) : urls.schedulePause(s.name)} hx-target="#schedules" hx-swap="outerHTML" class="inline-form">
            <Csrf token={csrf} />
            {/* One id for Pause and Resume: htmx puts the focus back on it after the swap. */}
            <button type="submit" id={`${scheduleDomId(s.name)}-toggle`} class="secondary outline small">
              {s.paused ? 'Resume' : 'Pause'}<span class="visually-hidden"> {s.name}</span>
            </button>
          </form>
          <a href={urls.scheduleRemove(s.name)} role="button" class="outline danger small">
            Remove…<span class="visually-hidden"> {s.name}</span>
          </a>
        </div>
      </td>
    </tr>
  );
}

/** "Mon 2026-12-07 06:00" as the clock reads in the schedule's time zone (the server's when it has none). */
export function zonedTime(iso: string, tz: string | null, seconds = false): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  try {
    const zone = tz ?? undefined;
    const day = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short' }).format(d);
    const at = new Intl.DateTimeFormat('sv-SE', {
      timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}),
    }).format(d);
    return `${day} ${at}`;
  } catch {
    return iso;
  }
}

function ZonedTime({ iso, tz, seconds }: { iso: string; tz: string | null; seconds: boolean }): Child {
  return <time datetime={iso}>{zonedTime(iso, tz, seconds)}</time>;
}

/** "Remove schedule X?": what goes, what stays, and a way out (focus on the way out). */
export function ConfirmRemoveSchedulePage(props: { chrome: Chrome; name: string; workflow: string; firings: number }): Child {
  const { name } = props;
  return (
    <Layout chrome={props.chrome} title={`Remove ${name}`}>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <ul>
          <li><a href={urls.schedules()}>Schedules</a></li>
          <li><a href={urls.schedule(name)}>{name}</a></li>
          <li><span aria-current="page">Remove</span></li>
        </ul>
      </nav>
      <article class="confirm-run-action" aria-labelledby="confirm-title">
        <h1 id="confirm-title">Remove schedule <code>{name}</code>?</h1>
        <p>
          It stops firing, and its record of firings goes{props.firings > 0 ? ' (the last runs listed on the Schedules page)' : ''}. The runs it
          made are kept: each stays among the runs of <code>{props.workflow}</code>.
        </p>
        <p>To stop it for a while and keep it, pause it instead. A removed schedule comes back only by adding it again from the command line.</p>
        <form method="post" action={urls.scheduleRemove(name)} class="confirm-buttons">
          <Csrf token={props.chrome.csrf} />
          <input type="hidden" name="confirm" value={name} />
          <button type="submit" class="danger">Remove schedule {name}</button>
          <a href={urls.schedules()} role="button" class="secondary outline" autofocus>Cancel</a>
        </form>
      </article>
    </Layout>
  );
}

/** On the home page: schedules whose newest firing failed, each linking to its run and to the Schedules page. */
export function ScheduleFailures({ failures }: { failures: ScheduleFailure[] }): Child {
  if (failures.length === 0) return null;
  return (
    <div class="schedule-failures" role="alert">
      <ul>
        {failures.map((f) => (
          <li>
            {f.run ? (
              <>
                Scheduled run <a href={urls.run(f.workflow, f.run)}>{f.run}</a> of schedule <a href={urls.schedule(f.schedule)}>{f.schedule}</a> failed
              </>
            ) : (
              <>
                Schedule <a href={urls.schedule(f.schedule)}>{f.schedule}</a> could not start its run
              </>
            )}
            {f.detail ? `: ${f.detail}` : ''}.
          </li>
        ))}
      </ul>
      <a href={urls.schedules()}>All schedules</a>
    </div>
  );
}
