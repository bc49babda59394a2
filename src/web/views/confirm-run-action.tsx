import type { Child } from 'hono/jsx';
import { describeInventory } from '../../engine/describe-inventory.ts';
import type { RunInventory } from '../../engine/run-admin.ts';
import { sentence } from './format.ts';
import { Csrf, Layout, type Chrome } from './layout.tsx';
import { urls } from './urls.ts';
import { When } from './when.tsx';

interface Target {
  wfId: string;
  /** The workflow's title, or its id when its file is not loaded. */
  wfTitle: string;
  key: string;
  csrf: string;
  /** Where "Cancel" goes, and where archive and unarchive come back to. */
  back: string;
}

function Crumbs({ t, last }: { t: Target; last: string }): Child {
  return (
    <nav aria-label="Breadcrumb" class="breadcrumb">
      <ul>
        <li><a href={urls.home()}>Workflows</a></li>
        <li><a href={urls.workflow(t.wfId)}>{t.wfTitle}</a></li>
        <li><a href={urls.run(t.wfId, t.key)}>{t.key}</a></li>
        <li><span aria-current="page">{last}</span></li>
      </ul>
    </nav>
  );
}

/** "Archive run X?" / "Unarchive run X?": what it means, and one button. */
export function ConfirmArchivePage(props: { chrome: Chrome; t: Target; archive: boolean }): Child {
  const { t, archive } = props;
  const verb = archive ? 'Archive' : 'Unarchive';
  return (
    <Layout chrome={props.chrome} title={`${verb} ${t.key}`}>
      <Crumbs t={t} last={verb} />
      <article class="confirm-run-action" aria-labelledby="confirm-title">
        <h1 id="confirm-title">{verb} run <code>{t.key}</code>?</h1>
        {archive ? (
          <p>
            An archived run is hidden from the lists of runs (the home page, this workflow's page and <code>railbook runs</code>)
            and kept whole: it still opens by its key, the workflow's page lists it under “Show archived runs”, and you can
            unarchive it there at any time.
          </p>
        ) : (
          <p>The run shows in the lists of runs again.</p>
        )}
        <form method="post" action={archive ? urls.archive(t.wfId, t.key) : urls.unarchive(t.wfId, t.key)} class="confirm-buttons">
          <Csrf token={t.csrf} />
          <input type="hidden" name="back" value={t.back} />
          <button type="submit" autofocus>{verb} run {t.key}</button>
          <a href={t.back} role="button" class="secondary outline">Cancel</a>
        </form>
      </article>
    </Layout>
  );
}

/** "Delete run X?": everything that goes with it, whether it is finalized, and a way out. */
export function ConfirmDeletePage(props: { chrome: Chrome; t: Target; inv: RunInventory; error?: string | undefined }): Child {
  const { t, inv, error } = props;
  const running = inv.running.length > 0;
  return (
    <Layout chrome={props.chrome} title={`Delete ${t.key}`}>
      <Crumbs t={t} last="Delete" />
      <article class="confirm-run-action confirm-delete" aria-labelledby="confirm-title">
        <h1 id="confirm-title">Delete run <code>{t.key}</code>?</h1>
        {error ? <p class="notice" role="alert">{sentence(error)}</p> : null}
        <p>Deleting removes the run for good, with everything in it:</p>
        <ul class="delete-inventory">
          {describeInventory(inv).filter((p) => p !== 'finalized' && p !== 'archived').map((p) => <li>{p}</li>)}
          <li>its history (every event of the run)</li>
        </ul>
        {inv.finalized ? (
          <p class="delete-finalized">
            <strong>This run is finalized</strong> (locked as finished work <When iso={inv.finalized} phrase />). Deleting it removes it all the same.
          </p>
        ) : null}
        {running ? (
          <p class="notice" role="alert">
            Step {inv.running.map((s) => `“${s}”`).join(', ')} is running. Stop it first on the <a href={urls.run(t.wfId, t.key)}>run page</a>, then delete the run.
          </p>
        ) : null}
        <p>
          This cannot be undone. To hide the run from the lists but keep it, <a href={urls.archive(t.wfId, t.key)}>archive it</a> instead.
        </p>
        <form method="post" action={urls.deleteRun(t.wfId, t.key)} class="confirm-buttons">
          <Csrf token={t.csrf} />
          <input type="hidden" name="confirm" value={t.key} />
          <button type="submit" class="danger" disabled={running}>Delete run {t.key}</button>
          <a href={t.back} role="button" class="secondary outline" autofocus>Cancel</a>
        </form>
      </article>
    </Layout>
  );
}
