import type { Child } from 'hono/jsx';
import { formatTime } from './format.ts';
import type { RunStatus } from './run-status.ts';
import { urls } from './urls.ts';

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
            {showWorkflow ? <th scope="col">Workflow</th> : null}
            <th scope="col">Status</th>
            <th scope="col">Profile</th>
            <th scope="col">Last change</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr>
              <th scope="row">
                <a href={urls.run(r.workflow, r.key)}><code>{r.key}</code></a>
              </th>
              {showWorkflow ? <td>{r.workflowTitle}</td> : null}
              <td>
                <span class={`badge badge-${r.status.kind}`}>{r.status.label}</span>
              </td>
              <td>{r.profile}</td>
              <td>
                <time datetime={r.updated}>{formatTime(r.updated)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
