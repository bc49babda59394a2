import type { Child } from 'hono/jsx';
import { Csrf } from './layout.tsx';
import { urls } from './urls.ts';

/** What a list page (home, a workflow's page) says after a run was archived, unarchived or deleted. */
export interface ListNoticeModel {
  kind: 'archived' | 'unarchived' | 'deleted';
  key: string;
  /** The run's workflow; for an archived run, where Undo sends the unarchive. */
  wfId: string;
}

export function ListNotice({ n, csrf, back }: { n: ListNoticeModel | undefined; csrf: string; back: string }): Child {
  if (!n) return null;
  return (
    // A div, not a p: the Undo form cannot sit inside a paragraph.
    <div class="notice list-notice" role="status">
      {n.kind === 'archived' ? (
        <>
          Run <code>{n.key}</code> is archived: hidden from the lists, kept whole.{' '}
          <form method="post" action={urls.unarchive(n.wfId, n.key)} class="inline-form">
            <Csrf token={csrf} />
            <input type="hidden" name="back" value={back} />
            <button type="submit" class="secondary outline small">Undo</button>
          </form>
        </>
      ) : n.kind === 'unarchived' ? (
        <>Run <code>{n.key}</code> is unarchived: it shows in the lists again.</>
      ) : (
        <>Run <code>{n.key}</code> was deleted, with its artifacts and history.</>
      )}
    </div>
  );
}
