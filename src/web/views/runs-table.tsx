import type { Child } from 'hono/jsx';
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
}

/** Recent runs with their status, each linking to its page. */
export function RunsTable({ rows, showWorkflow, caption }: { rows: RunRow[]; showWorkflow: boolean; caption: string }): Child {
  if (rows.length === 0) return <p class="muted">No runs yet.</p>;
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
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
