import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { assetUrl } from '../assets.ts';
import type { ChatPlace } from '../../ai/chat/chat-types.ts';
import { ChatSlot, chatUrls } from './chat-pane.tsx';
import { HealthSlot } from './health-badge.tsx';
import { urls } from './urls.ts';

/** What every page's frame needs: the CSRF token, the menus, and where we are. */
export interface Chrome {
  csrf: string;
  profile: string;
  profiles: string[];
  workflows: { id: string; title: string }[];
  /** The current path, for forms that come back here (profile switch). */
  path: string;
  /** The workflow being shown, highlighted in the menu. */
  workflowId?: string | undefined;
}

/**
 * htmx settings: our CSP allows no inline styles or eval; 422 (validation) and 409 (conflict)
 * responses carry HTML meant to be shown, so they are swapped like successes.
 */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 0,
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    { code: '422|409', swap: true, error: false },
    { code: '[45]..', swap: false, error: true },
  ],
});

export interface LayoutProps {
  chrome: Chrome;
  title: string;
  children?: Child;
  /** More for the right pane, under the chat (the run's history). */
  aside?: Child;
  wide?: boolean;
  /** Where the person is, told to the chat (default: the page's workflow, if any). */
  chatPlace?: ChatPlace | undefined;
  /** False on the pages that are the chat themselves: no pane beside them. */
  chat?: boolean | undefined;
}

export function Layout(props: LayoutProps): Child {
  const { chrome } = props;
  const withChat = props.chat !== false;
  const place: ChatPlace = props.chatPlace ?? (chrome.workflowId ? { workflowId: chrome.workflowId } : {});
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          <title>{props.title} · Railbook</title>
          <meta name="csrf-token" content={chrome.csrf} />
          <meta name="htmx-config" content={HTMX_CONFIG} />
          <link rel="icon" href={assetUrl('favicon.svg')} type="image/svg+xml" />
          <link rel="stylesheet" href={assetUrl('pico.min.css')} />
          <link rel="stylesheet" href={assetUrl('highlight.css')} />
          <link rel="stylesheet" href={assetUrl('app.css')} />
          <link rel="stylesheet" href={assetUrl('outputs.css')} />
          <script src={assetUrl('htmx.min.js')} defer></script>
          <script src={assetUrl('htmx-sse.js')} defer></script>
          <link rel="stylesheet" href={assetUrl('chat.css')} />
          <script src={assetUrl('app.js')} defer></script>
          <script src={assetUrl('chat.js')} defer></script>
          <link rel="stylesheet" href={assetUrl('tables.css')} />
          <script src={assetUrl('tables.js')} defer></script>
          <link rel="stylesheet" href={assetUrl('graph.css')} />
          {/* graph.js loads these two only on a page that shows a link graph. */}
          <meta name="railbook-graph-libs" content={`${assetUrl('graphology.umd.min.js')} ${assetUrl('sigma.min.js')}`} />
          <script src={assetUrl('graph-data.js')} defer></script>
          <script src={assetUrl('graph-controls.js')} defer></script>
          <script src={assetUrl('graph.js')} defer></script>
        </head>
        <body hx-ext="sse" hx-headers={JSON.stringify({ 'X-CSRF-Token': chrome.csrf })}>
          <a class="skip-link" href="#main">Skip to content</a>
          <Header chrome={chrome} />
          <main id="main" class="container-fluid">
            <div id="flash" role="alert" aria-live="assertive" hidden></div>
            {props.aside || withChat ? (
              <div class="panes">
                <div class="pane-main">{props.children}</div>
                <aside class="pane-side" aria-label={props.aside ? 'Chat and run details' : 'Chat'}>
                  {withChat ? <ChatSlot place={place} /> : null}
                  {props.aside}
                </aside>
              </div>
            ) : (
              <div class="pane-single">{props.children}</div>
            )}
          </main>
        </body>
      </html>
    </>
  );
}

/** The header's links to the app's own pages (beside the Workflows and Profile menus). */
function pageLinks(chrome: Chrome): { href: string; label: string; current: boolean }[] {
  return [
    { href: urls.schedules(), label: 'Schedules' },
    { href: chatUrls.memory(), label: 'Memory' },
    { href: chatUrls.settings(), label: 'Settings' },
  ].map((l) => ({ ...l, current: chrome.path.startsWith(l.href) }));
}

function Header({ chrome }: { chrome: Chrome }): Child {
  return (
    <header class="app-header container-fluid">
      <nav aria-label="Main">
        <ul>
          <li>
            <a href={urls.home()} class="brand"><strong>Railbook</strong></a>
          </li>
        </ul>
        <ul>
          <li>
            <HealthSlot />
          </li>
          {pageLinks(chrome).map((l) => (
            <li class="wide-only">
              <a href={l.href} aria-current={l.current ? 'page' : undefined}>{l.label}</a>
            </li>
          ))}
          <li class="narrow-only">
            {/* On a phone the page links fold into one menu, so the header stays one line. */}
            <details class="dropdown">
              <summary aria-label="Pages">☰</summary>
              <ul class="menu-end">
                {pageLinks(chrome).map((l) => (
                  <li>
                    <a href={l.href} aria-current={l.current ? 'page' : undefined}>{l.label}</a>
                  </li>
                ))}
              </ul>
            </details>
          </li>
          <li>
            <details class="dropdown">
              <summary>Workflows</summary>
              <ul class="menu-end">
                {chrome.workflows.length === 0 ? <li><span>No workflows loaded</span></li> : null}
                {chrome.workflows.map((w) => (
                  <li>
                    <a href={urls.workflow(w.id)} aria-current={w.id === chrome.workflowId ? 'page' : undefined}>{w.title}</a>
                  </li>
                ))}
              </ul>
            </details>
          </li>
          <li>
            <details class="dropdown profile-menu">
              <summary>
                <span class="summary-label">Profile: </span>
                <strong>{chrome.profile}</strong>
              </summary>
              <ul class="menu-end">
                {chrome.profiles.map((p) => (
                  <li>
                    <form method="post" action="/profiles/switch" class="menu-form">
                      <input type="hidden" name="_csrf" value={chrome.csrf} />
                      <input type="hidden" name="back" value={chrome.path} />
                      <button type="submit" name="name" value={p} class="menu-item" aria-current={p === chrome.profile ? 'true' : undefined}>
                        {p === chrome.profile ? `✓ ${p}` : `Switch to ${p}`}
                      </button>
                    </form>
                  </li>
                ))}
                <li>
                  <a href={urls.profiles()}>New or rename profile…</a>
                </li>
              </ul>
            </details>
          </li>
        </ul>
      </nav>
    </header>
  );
}

/** The hidden CSRF field every form carries (htmx also sends the token as a header). */
export function Csrf({ token }: { token: string }): Child {
  return <input type="hidden" name="_csrf" value={token} />;
}
