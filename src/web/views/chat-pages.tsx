/** The chat as pages of their own: the pane full width (without JavaScript), and the history. */
import type { Child } from 'hono/jsx';
import type { StoredTurn } from '../../ai/chat/chat-types.ts';
import { ChatPane, chatUrls, TurnItem, type ChatPaneModel } from './chat-pane.tsx';
import { Layout, type Chrome } from './layout.tsx';

/** The chat as a page of its own: the road without JavaScript, and a wide view. */
export function ChatPage({ chrome, m }: { chrome: Chrome; m: ChatPaneModel }): Child {
  return (
    <Layout chrome={chrome} title="Chat" chat={false}>
      <h1 class="visually-hidden">Chat</h1>
      <div class="chat-page">
        <ChatPane m={m} />
      </div>
    </Layout>
  );
}

/** `/chat/history`: the current conversation, or every conversation's turns that match a search. */
export function ChatHistoryPage(props: { chrome: Chrome; q: string; turns: StoredTurn[]; error?: string | undefined; notice?: string | undefined }): Child {
  const { q, turns } = props;
  return (
    <Layout chrome={props.chrome} title="Chat history" chat={false}>
      <h1>Chat history</h1>
      <form method="get" action="/chat/history" role="search" class="chat-search">
        <label for="chat-q">Search every conversation</label>
        <input id="chat-q" type="search" name="q" value={q} />
        <button type="submit">Search</button>
      </form>
      <p class="muted">
        {q.trim() === '' ? 'The current conversation, oldest first.' : `${turns.length} turn${turns.length === 1 ? '' : 's'} matching “${q}”, newest first.`}
        {' '}<a href={chatUrls.page()}>Back to the chat</a>
      </p>
      {props.error ? <p class="chat-error" role="alert">{props.error}</p> : null}
      {props.notice ? <p class="notice" role="status">{props.notice}</p> : null}
      <ol class="chat-log chat-history">
        {turns.map((t) => (
          <>
            <li class="chat-when muted"><time datetime={new Date(t.createdAt).toISOString()}>{new Date(t.createdAt).toISOString().slice(0, 16).replace('T', ' ')}</time></li>
            <TurnItem t={t} />
          </>
        ))}
      </ol>
      <section class="chat-history-actions" aria-label="Export or clear">
        <p>
          <a href="/chat/history/export" download>Download every conversation (JSON)</a>
          {' · '}<span class="muted">the whole memory, notes and documents too: <code>railbook memory export</code></span>
        </p>
        <form method="post" action="/chat/history/clear" class="chat-clear">
          <input type="hidden" name="_csrf" value={props.chrome.csrf} />
          <label>
            <input type="checkbox" name="confirm" value="yes" required /> Delete the current conversation's messages (notes and documents stay)
          </label>
          <button type="submit" class="secondary outline">Clear the conversation</button>
        </form>
      </section>
    </Layout>
  );
}
