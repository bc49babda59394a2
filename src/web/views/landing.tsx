import type { Child } from 'hono/jsx';
import type { Workflow } from '../../engine/workflow.ts';
import { sentence } from './format.ts';
import { Csrf, Layout, type Chrome } from './layout.tsx';
import { Markdown } from './markdown.tsx';
import { RunsTable, type RunRow } from './runs-table.tsx';
import { urls } from './urls.ts';

export interface LandingView {
  wf: Workflow;
  /** What the key box shows: the next free key, or what the person typed. */
  key: string;
  /** The next free key when the page was made: opening it means "a new run", even if another tab took it since. */
  suggested: string;
  /** Existing keys, offered as suggestions to resume. */
  keys: string[];
  runs: RunRow[];
  csrf: string;
  error?: string | undefined;
}

/** `/wf/<id>`: open a run by key (new or existing), or start the next one. */
export function LandingPage({ chrome, v }: { chrome: Chrome; v: LandingView }): Child {
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
      <article class="open-run" aria-labelledby="open-run-title">
        <h2 id="open-run-title">Start or resume a run</h2>
        <form method="post" action={urls.runs(v.wf.id)} class="open-run-form">
          <Csrf token={v.csrf} />
          <input type="hidden" name="suggested" value={v.suggested} />
          <label for="run-key">Run key</label>
          <fieldset role="group">
            <input
              type="text"
              id="run-key"
              name="key"
              value={v.key}
              list="run-keys"
              autocomplete="off"
              spellcheck={false}
              aria-invalid={v.error ? 'true' : undefined}
              aria-describedby={v.error ? 'run-key-error run-key-help' : 'run-key-help'}
            />
            <button type="submit" name="action" value="open">Open</button>
          </fieldset>
          {v.error ? <small id="run-key-error" class="field-error" role="alert">{sentence(v.error)}</small> : null}
          <small id="run-key-help">
            Keep the suggested key for a new run, or type an existing key to resume it. Keys use letters, digits, ".", "_" and "-".
          </small>
          <datalist id="run-keys">
            {v.keys.map((k) => <option value={k}></option>)}
          </datalist>
          <button type="submit" name="action" value="new" class="secondary">+ New run</button>
        </form>
      </article>
      <section aria-labelledby="runs-title">
        <h2 id="runs-title">Runs of {v.wf.title}</h2>
        <RunsTable rows={v.runs} showWorkflow={false} caption={`Runs of ${v.wf.title}`} />
      </section>
    </Layout>
  );
}
