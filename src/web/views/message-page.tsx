import type { Child } from 'hono/jsx';
import { Layout, type Chrome } from './layout.tsx';
import { urls } from './urls.ts';

/** A plain page for "not found" and unexpected errors: what happened, and a way back. */
export function MessagePage(props: { chrome: Chrome; title: string; message: string; workflow?: { id: string; title: string } | undefined }): Child {
  const { chrome, title, message, workflow } = props;
  return (
    <Layout chrome={chrome} title={title}>
      <article class="message-page">
        <h1>{title}</h1>
        <p>{message}</p>
        <p class="message-links">
          {workflow ? (
            <>
              <a href={urls.workflow(workflow.id)}>Runs of {workflow.title}</a>
              {' · '}
            </>
          ) : null}
          <a href={urls.home()}>All workflows</a>
        </p>
      </article>
    </Layout>
  );
}
