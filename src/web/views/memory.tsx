import type { Child } from 'hono/jsx';
import type { EmbeddingJobState } from '../../ai/memory/embedding-job.ts';
import type { EmbeddingSet } from '../../ai/memory/embedding-sets.ts';
import type { Note } from '../../ai/memory/notes.ts';
import { formatSize } from '../../ai/memory/sources.ts';
import type { DocumentListing } from '../../ai/memory/vector-memory.ts';
import { Csrf, Layout, type Chrome } from './layout.tsx';
import { When } from './when.tsx';

// The Memory page: the notes the assistant keeps about the person, the documents it can search,
// and the embedding of those documents (a build's progress, pause / resume / cancel). Every form
// is a plain POST that comes back to the page; with htmx the section it changed is swapped in
// place. Removing goes through a confirmation page, as every delete in the app does.

export const memoryUrls = {
  page: (q = '') => `/memory${q}`,
  notes: () => '/memory/notes',
  editNote: (key: string) => `/memory?edit=${encodeURIComponent(key)}#memory-note-form`,
  removeNote: (key?: string) => `/memory/notes/remove${key === undefined ? '' : `?key=${encodeURIComponent(key)}`}`,
  documents: () => '/memory/documents',
  addRun: () => '/memory/documents/run',
  removeDocument: (source?: string) => `/memory/documents/remove${source === undefined ? '' : `?source=${encodeURIComponent(source)}`}`,
  embedding: () => '/memory/embedding',
  embeddingAction: (action: 'pause' | 'resume' | 'cancel') => `/memory/embedding/${action}`,
};

export interface NotesModel {
  csrf: string;
  notes: Note[];
  /** What the form shows: empty, the note being edited, or what was sent when it was refused. */
  form: { key: string; value: string; original: string };
  error?: string | undefined;
  notice?: string | undefined;
}

/** Where a document came from, as the page shows it. */
export type SourceView =
  | { kind: 'url'; href: string }
  | { kind: 'run'; href: string | undefined; label: string }
  | { kind: 'path'; label: string };

export interface DocumentView {
  doc: DocumentListing;
  source: SourceView;
}

export type AddFrom = 'url' | 'path' | 'text' | 'run';

export interface DocumentsModel {
  csrf: string;
  docs: DocumentView[];
  /** Whether an embedding model is configured (else documents wait for one). */
  hasModel: boolean;
  /** The model a build is embedding with, if one is building. */
  building: string | undefined;
  recentRuns: { key: string; label: string }[];
  form: { url: string; path: string; title: string; text: string; runKey: string };
  error?: { from: AddFrom; message: string } | undefined;
  notice?: string | undefined;
}

export interface EmbeddingModel {
  csrf: string;
  job: EmbeddingJobState;
  active: EmbeddingSet | undefined;
  building: EmbeddingSet | undefined;
  /** The embedding model the settings call for, or why there is none; undefined if not known in time. */
  configured: { model: string } | { model: undefined; message: string } | undefined;
  documents: number;
}

export interface MemoryPageModel {
  chrome: Chrome;
  notes: NotesModel;
  documents: DocumentsModel;
  embedding: EmbeddingModel;
}

export function MemoryPage({ m }: { m: MemoryPageModel }): Child {
  return (
    <Layout chrome={m.chrome} title="Memory">
      <h1>Memory</h1>
      <p class="muted">What the assistant keeps between conversations, whichever model answers: notes about you, and documents it searches and cites.</p>
      <nav aria-label="On this page" class="memory-toc">
        <a href="#memory-notes-title">Notes</a> · <a href="#memory-documents-title">Documents</a> · <a href="#memory-embedding-title">Embedding</a>
      </nav>
      <NotesSection m={m.notes} />
      <DocumentsSection m={m.documents} />
      <EmbeddingSection m={m.embedding} />
    </Layout>
  );
}

// ---- notes ----

export function NotesSection({ m }: { m: NotesModel }): Child {
  const hx = { 'hx-post': memoryUrls.notes(), 'hx-target': '#memory-notes', 'hx-swap': 'outerHTML' };
  const editing = m.form.original !== '';
  return (
    <section id="memory-notes" class="memory-section" aria-labelledby="memory-notes-title">
      <h2 id="memory-notes-title">Notes</h2>
      <p class="muted">Notes are what the assistant remembers about you and your work; it reads them at the start of every conversation, and may add to them itself.</p>
      {m.notice ? <p class="notice" role="status">{m.notice}</p> : null}
      {m.notes.length === 0 ? (
        <p class="muted">No notes yet.</p>
      ) : (
        <div class="table-scroll">
          <table class="memory-notes">
            <thead>
              <tr><th scope="col">Key</th><th scope="col">Value</th><th scope="col">Set by</th><th scope="col">When</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {m.notes.map((n) => (
                <tr>
                  <th scope="row">{n.key}</th>
                  <td class="memory-note-value">{n.value}</td>
                  <td>{n.source === 'model' ? 'the assistant' : 'you'}</td>
                  <td><When iso={new Date(n.updatedAt).toISOString()} /></td>
                  <td class="memory-actions">
                    <a href={memoryUrls.editNote(n.key)} aria-label={`Edit note ${n.key}`}>Edit</a>{' '}
                    <a href={memoryUrls.removeNote(n.key)} class="danger-link" aria-label={`Delete note ${n.key}`}>Delete…</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form method="post" action={memoryUrls.notes()} id="memory-note-form" class="memory-form" {...hx}>
        <h3>{editing ? `Edit note “${m.form.original}”` : 'Add a note'}</h3>
        <Csrf token={m.csrf} />
        {editing ? <input type="hidden" name="original" value={m.form.original} /> : null}
        {m.error ? <p class="field-error" id="memory-note-error" role="alert">{m.error}</p> : null}
        <label for="memory-note-key">Key</label>
        <input id="memory-note-key" name="key" type="text" value={m.form.key} required maxlength={100} placeholder="preferred language" autocomplete="off"
          autofocus={m.error || m.notice ? true : undefined}
          aria-invalid={m.error ? 'true' : undefined} aria-describedby={m.error ? 'memory-note-error' : undefined} />
        <label for="memory-note-value">Value</label>
        <textarea id="memory-note-value" name="value" rows={2} required maxlength={2000} placeholder="Dutch"
          aria-invalid={m.error ? 'true' : undefined} aria-describedby={m.error ? 'memory-note-error' : undefined}>{m.form.value}</textarea>
        <div class="memory-buttons">
          <button type="submit">{editing ? 'Save note' : 'Add note'}</button>
          {editing ? <a href={memoryUrls.page('#memory-notes-title')} role="button" class="secondary outline">Cancel</a> : null}
        </div>
      </form>
    </section>
  );
}

export function ConfirmRemoveNotePage({ chrome, note }: { chrome: Chrome; note: Note }): Child {
  return (
    <Layout chrome={chrome} title={`Delete note ${note.key}`}>
      <article class="confirm-run-action" aria-labelledby="confirm-title">
        <h1 id="confirm-title">Delete the note “{note.key}”?</h1>
        <p>The assistant forgets it: <q>{note.value}</q>. It comes back only if you (or the assistant) add it again.</p>
        <form method="post" action={memoryUrls.removeNote()} class="confirm-buttons">
          <Csrf token={chrome.csrf} />
          <input type="hidden" name="key" value={note.key} />
          <input type="hidden" name="confirm" value={note.key} />
          <button type="submit" class="danger">Delete note</button>
          <a href={memoryUrls.page('#memory-notes-title')} role="button" class="secondary outline" autofocus>Cancel</a>
        </form>
      </article>
    </Layout>
  );
}

// ---- documents ----

export function DocumentsSection({ m }: { m: DocumentsModel }): Child {
  const hx = { 'hx-post': memoryUrls.documents(), 'hx-target': '#memory-documents', 'hx-swap': 'outerHTML' };
  const err = (from: AddFrom) => (m.error?.from === from ? m.error.message : undefined);
  const errField = (from: AddFrom, id: string) => {
    const e = err(from);
    return e ? <p class="field-error" id={id} role="alert">{e}</p> : null;
  };
  // htmx focuses an [autofocus] element of the content it swaps in: the field to fix.
  const invalid = (from: AddFrom, id: string) => (err(from) ? { 'aria-invalid': 'true', 'aria-describedby': id, autofocus: true } : {});
  return (
    <section id="memory-documents" class="memory-section" aria-labelledby="memory-documents-title">
      <h2 id="memory-documents-title">Documents</h2>
      <p class="muted">Text the assistant searches when you ask it something, and cites. Documents are kept as text for good; their embeddings are made again when the embedding model changes.</p>
      {m.notice ? <p class="notice" role="status">{m.notice}</p> : null}
      {m.docs.length === 0 ? (
        <p class="muted">No documents yet: add a web page, a file or folder on this machine, some text, or a run's outputs below.</p>
      ) : (
        <div class="table-scroll">
          <table class="memory-documents">
            <thead>
              <tr><th scope="col">Document</th><th scope="col">State</th><th scope="col">Size</th><th scope="col">Added</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {m.docs.map((d) => (
                <tr>
                  <td>
                    <strong class="memory-doc-title">{d.doc.title}</strong>
                    <br />
                    <SourceCell s={d.source} />
                  </td>
                  <td><DocState d={d.doc} hasModel={m.hasModel} building={m.building} /></td>
                  <td class="memory-size">{d.doc.chars.toLocaleString('en')} characters, {d.doc.chunks} chunk{d.doc.chunks === 1 ? '' : 's'}</td>
                  <td><When iso={new Date(d.doc.addedAt).toISOString()} /></td>
                  <td class="memory-actions">
                    <a href={memoryUrls.removeDocument(d.doc.source)} class="danger-link" aria-label={`Remove document ${d.doc.title}`}>Remove…</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h3 id="memory-add-title">Add documents</h3>
      <div class="memory-add">
        <form method="post" action={memoryUrls.documents()} class="memory-form" {...hx}>
          <Csrf token={m.csrf} />
          <input type="hidden" name="from" value="url" />
          <label for="memory-add-url">A web page</label>
          {errField('url', 'memory-add-url-error')}
          <input id="memory-add-url" name="url" type="url" value={m.form.url} required placeholder="https://example.org/article" autocomplete="off" {...invalid('url', 'memory-add-url-error')} />
          <button type="submit">Add page</button>
        </form>

        <form method="post" action={memoryUrls.documents()} class="memory-form" {...hx}>
          <Csrf token={m.csrf} />
          <input type="hidden" name="from" value="path" />
          <label for="memory-add-path">A file or folder on this machine</label>
          {errField('path', 'memory-add-path-error')}
          <input id="memory-add-path" name="path" type="text" value={m.form.path} required placeholder="/home/me/notes" autocomplete="off" {...invalid('path', 'memory-add-path-error')} />
          <small>Folders are read recursively; .md .txt .html .json .csv .ipynb files are taken.</small>
          <button type="submit">Add file or folder</button>
        </form>

        <form method="post" action={memoryUrls.documents()} class="memory-form" {...hx}>
          <Csrf token={m.csrf} />
          <input type="hidden" name="from" value="text" />
          <label for="memory-add-title-field">Pasted text: title</label>
          {errField('text', 'memory-add-text-error')}
          <input id="memory-add-title-field" name="title" type="text" value={m.form.title} required maxlength={200} placeholder="Meeting notes, 3 March" autocomplete="off" {...invalid('text', 'memory-add-text-error')} />
          <label for="memory-add-text">Text</label>
          <textarea id="memory-add-text" name="text" rows={4} required {...invalid('text', 'memory-add-text-error')}>{m.form.text}</textarea>
          <button type="submit">Add text</button>
        </form>

        <form method="post" action={memoryUrls.addRun()} class="memory-form" id="memory-add-run" hx-post={memoryUrls.addRun()} hx-target="#memory-documents" hx-swap="outerHTML">
          <Csrf token={m.csrf} />
          <label for="memory-add-run-key">A run's outputs</label>
          {errField('run', 'memory-add-run-error')}
          {m.recentRuns.length ? (
            <select id="memory-add-run-key" name="runKey" required {...invalid('run', 'memory-add-run-error')}>
              {m.recentRuns.map((r) => <option value={r.key} selected={r.key === m.form.runKey}>{r.label}</option>)}
            </select>
          ) : (
            <input id="memory-add-run-key" name="runKey" type="text" value={m.form.runKey} required placeholder="run key" autocomplete="off" {...invalid('run', 'memory-add-run-error')} />
          )}
          <small>Each finished step's output becomes a document; adding again updates them.</small>
          <button type="submit">Add this run's outputs to memory</button>
        </form>
      </div>
    </section>
  );
}

function SourceCell({ s }: { s: SourceView }): Child {
  if (s.kind === 'url') return <a href={s.href} rel="noopener noreferrer" target="_blank" class="memory-source">{s.href}</a>;
  if (s.kind === 'run') return s.href ? <a href={s.href} class="memory-source">{s.label}</a> : <span class="memory-source">{s.label}</span>;
  return <code class="memory-source">{s.label}</code>;
}

function DocState({ d, hasModel, building }: { d: DocumentListing; hasModel: boolean; building: string | undefined }): Child {
  const main = d.embedding.state === 'embedded'
    ? `embedded by ${d.embedding.model}`
    : hasModel || building ? 'waiting to be embedded' : 'waiting for an embedding model';
  return (
    <span class={`memory-state is-${d.embedding.state}`}>
      {main}
      {d.rebuilt !== undefined ? <><br /><small>re-embedding{building ? ` with ${building}` : ''}: {d.rebuilt ? 'done' : 'waiting'}</small></> : null}
    </span>
  );
}

export function ConfirmRemoveDocumentPage({ chrome, doc }: { chrome: Chrome; doc: DocumentListing }): Child {
  return (
    <Layout chrome={chrome} title="Remove document">
      <article class="confirm-run-action" aria-labelledby="confirm-title">
        <h1 id="confirm-title">Remove “{doc.title}” from memory?</h1>
        <p>Its text (<code>{doc.source}</code>, {formatSize(doc.chars)}) and its {doc.chunks} chunk{doc.chunks === 1 ? '' : 's'} go; the assistant no longer finds or cites it. The original is not touched.</p>
        <form method="post" action={memoryUrls.removeDocument()} class="confirm-buttons">
          <Csrf token={chrome.csrf} />
          <input type="hidden" name="source" value={doc.source} />
          <input type="hidden" name="confirm" value="1" />
          <button type="submit" class="danger">Remove document</button>
          <a href={memoryUrls.page('#memory-documents-title')} role="button" class="secondary outline" autofocus>Cancel</a>
        </form>
      </article>
    </Layout>
  );
}

// ---- embedding ----

/** The embedding's state; while a build runs, htmx fetches it again every second. */
export function EmbeddingSection({ m, oob }: { m: EmbeddingModel; oob?: boolean }): Child {
  const live = m.job.state === 'running';
  const poll = live ? { 'hx-get': memoryUrls.embedding(), 'hx-trigger': 'every 1s', 'hx-swap': 'outerHTML' } : {};
  return (
    <section id="memory-embedding" class="memory-section" aria-labelledby="memory-embedding-title" hx-swap-oob={oob ? 'true' : undefined} {...poll}>
      <h2 id="memory-embedding-title">Embedding</h2>
      <dl class="memory-facts">
        <dt>Searching with</dt>
        <dd>{m.active ? <>{m.active.model} ({m.active.dims} dimensions, {m.active.done} chunk{m.active.done === 1 ? '' : 's'})</> : m.documents ? 'nothing yet: no document is embedded' : 'nothing yet: there are no documents'}</dd>
        <dt>Embedding model (Settings)</dt>
        <dd>
          {m.configured === undefined ? 'unknown (the provider did not answer in time)' : m.configured.model ?? 'none'}
          {' '}<a href="/settings#ai-embedModel">Change</a>
        </dd>
      </dl>
      <JobState m={m} />
    </section>
  );
}

function JobState({ m }: { m: EmbeddingModel }): Child {
  const j = m.job;
  const progress = j.state === 'running' || j.state === 'paused' ? j.progress : undefined;
  const done = progress?.done ?? m.building?.done;
  const total = progress?.total ?? m.building?.total;
  const model = progress?.model ?? m.building?.model;
  const bar = (
    <p class="memory-progress">
      {done !== undefined && total !== undefined ? (
        <>
          <progress value={String(done)} max={String(Math.max(total, 1))} aria-label={`Embedding with ${model ?? 'the new model'}`}></progress>
          <span>{done} of {total} chunks</span>
        </>
      ) : (
        <progress aria-label="Embedding"></progress>
      )}
    </p>
  );
  const button = (action: 'pause' | 'resume' | 'cancel', label: string, cls = 'secondary') => (
    <form method="post" action={memoryUrls.embeddingAction(action)} class="inline-form" hx-post={memoryUrls.embeddingAction(action)} hx-target="#memory-embedding" hx-swap="outerHTML">
      <Csrf token={m.csrf} />
      <button type="submit" class={cls}>{label}</button>
    </form>
  );
  switch (j.state) {
    case 'running':
      return (
        <div class="memory-job is-running" role="status">
          <p><strong>{m.active && model && model !== m.active.model ? `Re-embedding with ${model}` : `Embedding${model ? ` with ${model}` : ''}`}</strong>{m.active && model !== m.active.model ? `: searches use ${m.active.model} until it is complete.` : '.'}</p>
          {bar}
          <div class="memory-buttons">{button('pause', 'Pause')}{m.building ? button('cancel', 'Cancel', 'secondary outline') : null}</div>
        </div>
      );
    case 'paused':
      return (
        <div class="memory-job is-paused" role="status">
          {m.building ? (
            <>
              <p><strong>Paused</strong> re-embedding with {m.building.model}{m.active ? `; searches use ${m.active.model}` : ''}. Resume continues where it stopped; Cancel drops the new set{m.active ? ' and keeps the current one' : ''}.</p>
              {bar}
            </>
          ) : (
            <p><strong>Paused.</strong> New documents wait to be embedded until you resume.</p>
          )}
          <div class="memory-buttons">{button('resume', 'Resume', '')}{m.building ? button('cancel', 'Cancel', 'secondary outline') : null}</div>
        </div>
      );
    case 'no-model':
      return (
        <div class="memory-job is-no-model" role="status">
          <p><strong>No embedding model.</strong></p>
          <p class="memory-help">{j.message}</p>
          <p>Documents are kept and wait; set an embedding model on the <a href="/settings#ai-embedModel">Settings page</a> and they are embedded then.</p>
        </div>
      );
    case 'elsewhere':
      return (
        <div class="memory-job is-elsewhere" role="status">
          <p><strong>Embedding in another process.</strong> {sentenceOf(j.message)} Nothing to do here: this page shows the result when it is done.</p>
        </div>
      );
    case 'failed':
      return (
        <div class="memory-job is-failed" role="alert">
          <p><strong>Embedding failed:</strong> {sentenceOf(j.message)}</p>
          <p>Check that the model provider runs and has the embedding model (<a href="/settings?test=1">Test connection</a>), then try again. Documents are kept{m.active ? `, and searches still use ${m.active.model}` : ''}.</p>
          <div class="memory-buttons">{button('resume', 'Try again', '')}</div>
        </div>
      );
    default:
      return (
        <div class="memory-job is-idle" role="status">
          {m.building ? (
            <>
              <p>A re-embed with {m.building.model} is not finished; it continues on its own.</p>
              {bar}
            </>
          ) : (
            <p>{m.active ? 'Up to date.' : m.documents ? 'Nothing is embedded yet.' : 'Nothing to embed.'}</p>
          )}
        </div>
      );
  }
}

/** A message as a sentence of its own: a capital first, a full stop last. */
function sentenceOf(s: string): string {
  const t = s.trim();
  if (t === '') return t;
  const cap = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(cap) ? cap : `${cap}.`;
}
