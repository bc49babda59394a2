import type { Child } from 'hono/jsx';
import { Csrf } from './layout.tsx';
import type { RunStatus } from './run-status.ts';
import { urls } from './urls.ts';
import { When } from './when.tsx';

export interface RunRow {
  key: string;
  workflow: string;
  workflowTitle: string;
  profile: string;
  updated: string;
  status: RunStatus;
  /** When the run was archived, or null. */
  archived: string | null;
}

/** Row buttons: archive/unarchive post straight back to `back`; delete goes to its confirmation page. */
export interface RowActions {
  csrf: string;
  back: string;
}

/** Recent runs with their status, each linking to its page (and, given `actions`, archive and delete buttons). */
export function RunsTable({ rows, showWorkflow, caption, actions, empty = 'No runs yet.' }: { rows: RunRow[]; showWorkflow: boolean; caption: string; actions?: RowActions | undefined; empty?: string }): Child {
  if (rows.length === 0) return <p class="muted">{empty}</p>;
  return (
    <div class="overflow-auto">
      <table class="runs striped">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            {showWorkflow ? <th scope="col" class="col-workflow">Workflow</th> : null}
            <th scope="col">Status</th>
            <th scope="col" class="col-profile">Profile</th>
            <th scope="col">Last change</th>
            {actions ? <th scope="col" class="col-actions"><span class="visually-hidden">Actions</span></th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              <th scope="row">
                <a href={urls.run(r.workflow, r.key)}><code>{r.key}</code></a>
              </th>
              {showWorkflow ? <td class="col-workflow">{r.workflowTitle}</td> : null}
              <td>
                <span class={`badge badge-${r.status.kind}`}>
                  <span class="label-long">{r.status.label}</span>
                  <span class="label-short">{r.status.short}</span>
                </span>
              </td>
              <td class="col-profile">{r.profile}</td>
              <td>
                <When iso={r.updated} />
              </td>
              {actions ? (
                <td class="col-actions">
                  <RowButtons r={r} a={actions} />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RowButtons({ r, a }: { r: RunRow; a: RowActions }): Child {
  const archived = r.archived !== null;
  return (
    <div class="row-actions">
      <form method="post" action={archived ? urls.unarchive(r.workflow, r.key) : urls.archive(r.workflow, r.key)} class="inline-form">
        <Csrf token={a.csrf} />
        <input type="hidden" name="back" value={a.back} />
        <button type="submit" class="secondary outline small">
          {archived ? 'Unarchive' : 'Archive'}
          <span class="visually-hidden"> {r.key}</span>
        </button>
      </form>
      <a href={`${urls.deleteRun(r.workflow, r.key)}?back=${encodeURIComponent(a.back)}`} role="button" class="outline danger small">
        Delete…<span class="visually-hidden"> {r.key}</span>
      </a>
    </div>
  );
}
