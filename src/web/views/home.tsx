import type { Child } from 'hono/jsx';
import type { LoadError } from '../../engine/registry.ts';
import type { Workflow } from '../../engine/workflow.ts';
import { Layout, type Chrome } from './layout.tsx';
import { ListNotice, type ListNoticeModel } from './list-notice.tsx';
import { Markdown } from './markdown.tsx';
import { RunsTable, type RunRow } from './runs-table.tsx';
import { ScheduleFailures, type ScheduleFailure } from './schedules.tsx';
import { urls } from './urls.ts';

/** `/`: the workflows this app knows, any that failed to load, and the latest runs. */
export function HomePage(props: {
  chrome: Chrome;
  workflows: Workflow[];
  errors: LoadError[];
  runs: RunRow[];
  /** Archived runs are left out of the list; say how many, and where to find them. */
  archivedCount: number;
  notice?: ListNoticeModel | undefined;
  /** Schedules whose newest firing failed: flagged at the top. */
  scheduleFailures?: ScheduleFailure[] | undefined;
}): Child {
  return (
    <Layout chrome={props.chrome} title="Workflows">
      <hgroup>
        <h1>Workflows</h1>
        <p>Step-by-step work you can stop, resume, revert and repeat. Everything stays on this machine.</p>
      </hgroup>
      <ListNotice n={props.notice} csrf={props.chrome.csrf} back={urls.home()} />
      <ScheduleFailures failures={props.scheduleFailures ?? []} />
      {props.errors.length > 0 ? (
        <article class="load-errors" role="alert" aria-labelledby="load-errors-title">
          <h2 id="load-errors-title">
            {props.errors.length === 1 ? 'A workflow or notebook failed to load' : `${props.errors.length} workflows or notebooks failed to load`}
          </h2>
          <ul>
            {props.errors.map((e) => (
              <li>
                <code>{e.file}</code>
                <pre class="error-text">{e.message}</pre>
              </li>
            ))}
          </ul>
          <small>Fix the file and save it: <code>railbook serve</code> reloads it. The other workflows work meanwhile.</small>
        </article>
      ) : null}
      {props.workflows.length === 0 ? (
        <p>No workflows yet. Create one with <code>npx railbook new my_workflow</code>.</p>
      ) : (
        <div class="workflow-grid">
          {props.workflows.map((w) => (
            <article class="workflow-card">
              <header>
                <h2>
                  <a href={urls.workflow(w.id)}>{w.title}</a>
                </h2>
                {w.origin?.kind === 'notebook' ? (
                  <span class="badge badge-notebook" title={w.origin.file}>
                    Notebook{w.origin.runner ? ` · ${w.origin.runner}` : ''}
                  </span>
                ) : null}
              </header>
              {w.description ? <Markdown source={w.description} class="workflow-description" /> : <p class="workflow-description muted">No description.</p>}
              <footer>
                <small class="muted">
                  {w.steps.length} step{w.steps.length === 1 ? '' : 's'} · <code>{w.id}</code>
                </small>
              </footer>
            </article>
          ))}
        </div>
      )}
      <section aria-labelledby="recent-title">
        <h2 id="recent-title">Recent runs</h2>
        <RunsTable rows={props.runs} showWorkflow caption="Recent runs of every workflow" actions={{ csrf: props.chrome.csrf, back: urls.home() }} />
        {props.archivedCount > 0 ? (
          <p class="muted archived-count">
            <small>
              {props.archivedCount === 1 ? '1 archived run is' : `${props.archivedCount} archived runs are`} not listed: each workflow's page shows
              its archived runs.
            </small>
          </p>
        ) : null}
      </section>
    </Layout>
  );
}
