import type { Child } from 'hono/jsx';
import type { Workflow } from '../../engine/workflow.ts';
import { sentence } from './format.ts';
import { Csrf, Layout, type Chrome } from './layout.tsx';
import { ListNotice, type ListNoticeModel } from './list-notice.tsx';
import { Markdown } from './markdown.tsx';
import { RunsTable, type RunRow } from './runs-table.tsx';
import { urls } from './urls.ts';

export interface LandingView {
  wf: Workflow;
  /** What the key box shows: empty at first, else what the person typed. */
  key: string;
  /** The next free key when the page was made: "+ New run" takes it (or the next one, if another tab took it since). */
  suggested: string;
  /** Keys of the runs listed (archived ones left out), offered as suggestions to resume. */
  keys: string[];
  runs: RunRow[];
  /** The table shows the archived runs instead of the current ones. */
  showArchived: boolean;
  archivedCount: number;
  csrf: string;
  error?: string | undefined;
  /** A typed key that names no run yet: ask before creating it. */
  create?: string | undefined;
  notice?: ListNoticeModel | undefined;
}

/** `/wf/<id>`: start the next run, or open one by its key; the runs of this workflow below. */
export function LandingPage({ chrome, v }: { chrome: Chrome; v: LandingView }): Child {
  const here = v.showArchived ? `${urls.workflow(v.wf.id)}?show=archived` : urls.workflow(v.wf.id);
  const invalid = v.error !== undefined;
  return (
    <Layout chrome={chrome} title={v.wf.title}>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <ul>
          <li><a href={urls.home()}>Workflows</a></li>
          <li><span aria-current="page">{v.wf.title}</span></li>
        </ul>
      </nav>
      <h1>{v.wf.title}</h1>
      <Markdown source={v.wf.description} class="workflow-description" />
      <ListNotice n={v.notice} csrf={v.csrf} back={here} />
      {v.create ? <CreateQuestion v={v} runKey={v.create} /> : null}
      <article class="open-run" aria-labelledby="open-run-title">
        <h2 id="open-run-title">Start or resume a run</h2>
        <form method="post" action={urls.runs(v.wf.id)} class="new-run-form">
          <Csrf token={v.csrf} />
          <input type="hidden" name="suggested" value={v.suggested} />
          <button type="submit" name="action" value="new" aria-describedby="next-key-help">+ New run</button>
          <small id="next-key-help">
            Starts the next run, <code id="next-key">{v.suggested}</code>.
          </small>
        </form>
        <form method="post" action={urls.runs(v.wf.id)} class="open-run-form">
          <Csrf token={v.csrf} />
          <input type="hidden" name="suggested" value={v.suggested} />
          <label for="run-key">Open a run by its key</label>
          <fieldset role="group">
            <input
              type="text"
              id="run-key"
              name="key"
              value={v.key}
              list="run-keys"
              placeholder={v.keys[0] ? `e.g. ${v.keys[0]}` : 'a run key'}
              required
              autocomplete="off"
              spellcheck={false}
              aria-invalid={invalid ? 'true' : undefined}
              aria-describedby={invalid ? 'run-key-error run-key-help' : 'run-key-help'}
            />
            <button type="submit" name="action" value="open" class="secondary">Open</button>
          </fieldset>
          {invalid ? <small id="run-key-error" class="field-error" role="alert">{sentence(v.error!)}</small> : null}
          <small id="run-key-help">
            Pick or type the key of a run to resume it. A key with no run yet is offered as a new run by that name. Keys use
            letters, digits, “.”, “_” and “-”.
          </small>
          <datalist id="run-keys">
            {v.keys.map((k) => <option value={k}></option>)}
          </datalist>
        </form>
      </article>
      <section aria-labelledby="runs-title">
        <h2 id="runs-title">{v.showArchived ? `Archived runs of ${v.wf.title}` : `Runs of ${v.wf.title}`}</h2>
        <p class="runs-toggle">
          {v.showArchived ? (
            <a href={urls.workflow(v.wf.id)}>Back to the current runs</a>
          ) : v.archivedCount > 0 ? (
            <a href={`${urls.workflow(v.wf.id)}?show=archived`}>Show archived runs ({v.archivedCount})</a>
          ) : null}
        </p>
        <RunsTable
          rows={v.runs}
          showWorkflow={false}
          caption={v.showArchived ? `Archived runs of ${v.wf.title}` : `Runs of ${v.wf.title}`}
          actions={{ csrf: v.csrf, back: here }}
          empty={v.showArchived ? 'No archived runs.' : v.archivedCount > 0 ? 'No current runs: every run is archived.' : 'No runs yet.'}
        />
      </section>
    </Layout>
  );
}

/** "No run X exists. Create it?": a typed key is never made into a run silently. */
function CreateQuestion({ v, runKey: key }: { v: LandingView; runKey: string }): Child {
  return (
    <article class="create-run" role="region" aria-labelledby="create-run-title">
      <h2 id="create-run-title">No run <code>{key}</code> exists</h2>
      <p>Create a new run of {v.wf.title} with the key <code>{key}</code>?</p>
      <form method="post" action={urls.runs(v.wf.id)} class="confirm-buttons">
        <Csrf token={v.csrf} />
        <input type="hidden" name="key" value={key} />
        <button type="submit" name="action" value="create" autofocus>Create {key}</button>
        <a href={urls.workflow(v.wf.id)} role="button" class="secondary outline">Cancel</a>
      </form>
    </article>
  );
}
