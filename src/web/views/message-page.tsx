import type { Child } from 'hono/jsx';
import { Layout, type Chrome } from './layout.tsx';
import { urls } from './urls.ts';

/** A plain page for "not found" and unexpected errors: what happened, and a way back. */
export function MessagePage({ chrome, title, message }: { chrome: Chrome; title: string; message: string }): Child {
  return (
    <Layout chrome={chrome} title={title}>
      <article class="message-page">
        <h1>{title}</h1>
        <p>{message}</p>
        <p>
          <a href={urls.home()}>Back to the workflows</a>
        </p>
      </article>
    </Layout>
  );
}
