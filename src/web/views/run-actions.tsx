import type { Child } from 'hono/jsx';
import type { RunState } from '../../engine/run-state.ts';
import { Csrf } from './layout.tsx';
import { urls } from './urls.ts';
import { When } from './when.tsx';

/**
 * A run's housekeeping: archive (or unarchive) and delete, and whether it is archived. Each links
 * to a confirmation page, which works without JavaScript and needs no token here. Given `csrf`,
 * archive and unarchive become one-click forms instead (they are undone as easily as done);
 * delete always goes through its confirmation.
 */
export function RunActions({ wfId, state, csrf }: { wfId: string; state: RunState; csrf?: string | undefined }): Child {
  const archived = state.archived ?? null;
  const toggle = archived ? urls.unarchive(wfId, state.key) : urls.archive(wfId, state.key);
  const label = archived ? 'Unarchive' : 'Archive';
  return (
    <div class="run-actions">
      {archived ? (
        <p class="run-archived" role="note">
          <strong>Archived</strong> <When iso={archived} phrase />: hidden from the lists of runs, kept whole. Unarchive it to list it again.
        </p>
      ) : null}
      <ul class="run-action-list">
        <li>
          {csrf ? (
            <form method="post" action={toggle} class="inline-form">
              <Csrf token={csrf} />
              <input type="hidden" name="back" value={urls.run(wfId, state.key)} />
              <button type="submit" class="secondary outline">{label}</button>
            </form>
          ) : (
            <a href={toggle} role="button" class="secondary outline">{label}…</a>
          )}
        </li>
        {Object.values(state.steps).some((s) => s.status === 'done') ? (
          <li>
            {csrf ? (
              <form method="post" action="/memory/documents/run" class="inline-form">
                <Csrf token={csrf} />
                <input type="hidden" name="runKey" value={state.key} />
                <button type="submit" class="secondary outline" title="Each finished step's output becomes a document the assistant can search and cite">Add this run's outputs to memory</button>
              </form>
            ) : (
              <a href={`/memory?run=${encodeURIComponent(state.key)}#memory-add-run`} role="button" class="secondary outline">Add this run's outputs to memory…</a>
            )}
          </li>
        ) : null}
        <li>
          <a href={urls.deleteRun(wfId, state.key)} role="button" class="outline danger">Delete…</a>
        </li>
      </ul>
    </div>
  );
}
