import { Hono, type Context } from 'hono';
import type { Assistant } from '../../ai/assistant.ts';
import { DocumentError, type DocumentInput } from '../../ai/memory/documents.ts';
import { NoteError, normaliseKey } from '../../ai/memory/notes.ts';
import { parseRunSource, runDocuments } from '../../ai/memory/run-documents.ts';
import { readSource, SourceError } from '../../ai/memory/sources.ts';
import type { Engine } from '../../engine/engine.ts';
import { EngineError } from '../../engine/errors.ts';
import {
  ConfirmRemoveDocumentPage, ConfirmRemoveNotePage, DocumentsSection, EmbeddingSection, MemoryPage, memoryUrls, NotesSection,
  type AddFrom, type DocumentsModel, type EmbeddingModel, type NotesModel, type SourceView,
} from '../views/memory.tsx';
import { stepDomId, urls } from '../views/urls.ts';
import { chrome, isHx, noStore, settleWithin } from './common.ts';

export interface MemoryDeps {
  /** The data folder's assistant (opened on first use). */
  assistant: () => Assistant;
}

/** The configured embedding model is asked of the provider: a page waits no longer than this. */
const EMBED_MODEL_WAIT_MS = 2_000;
const RECENT_RUNS = 30;
/** The most characters of pasted text (a document read from a file may be larger). */
const PASTE_MAX_CHARS = 1_000_000;

const NOTICES: Record<string, string> = {
  'note-saved': 'Note saved.',
  'note-removed': 'Note deleted.',
  'doc-removed': 'Document removed.',
};

/**
 * `/memory`: notes (add, edit, delete), documents (add from a URL, a path on this machine, pasted
 * text or a run's outputs; remove) and the embedding job (progress, pause / resume / cancel).
 * Forms are plain POSTs answered with a redirect to the page (or the page again with the message
 * at the field, 422); htmx gets the changed section instead.
 */
export function memoryRoutes(engine: Engine, deps: MemoryDeps): Hono {
  const app = new Hono();
  const a = () => deps.assistant();

  app.get('/memory', async (c) => {
    noStore(c);
    const ch = await chrome(c, engine);
    const notes = notesModel(a(), ch.csrf);
    const edit = c.req.query('edit');
    if (edit) {
      const n = safeNote(a(), edit);
      if (n) notes.form = { key: n.key, value: n.value, original: n.key };
    }
    const done = c.req.query('done');
    if (done && done.startsWith('note')) notes.notice = NOTICES[done];
    const docs = await documentsModel(engine, a(), ch.csrf);
    if (done === 'doc-removed') docs.notice = NOTICES[done];
    if (done === 'docs-added') docs.notice = addedNotice(countQuery(c, 'added'), countQuery(c, 'unchanged'), countQuery(c, 'skipped'));
    const run = c.req.query('run');
    if (run) docs.form.runKey = run;
    return c.html(<MemoryPage m={{ chrome: ch, notes, documents: docs, embedding: await embeddingModel(a(), ch.csrf) }} />);
  });

  app.get('/memory/embedding', async (c) => {
    noStore(c);
    return c.html(<EmbeddingSection m={await embeddingModel(a(), (await chrome(c, engine)).csrf)} />);
  });

  // ---- notes ----

  app.post('/memory/notes', async (c) => {
    const body = await c.req.parseBody();
    const key = str(body.key);
    const value = str(body.value);
    const original = str(body.original);
    const notes = a().notes;
    try {
      const note = notes.set(key, value, 'person');
      // A renamed note: the old key goes (the new one is saved first, so nothing is lost on a refusal).
      if (original.trim() !== '' && safeKey(original) !== note.key) notes.remove(original);
    } catch (e) {
      if (!(e instanceof NoteError)) throw e;
      noStore(c);
      const ch = await chrome(c, engine);
      const m = notesModel(a(), ch.csrf);
      m.form = { key, value, original };
      m.error = e.message;
      if (isHx(c)) return c.html(<NotesSection m={m} />, 422);
      return c.html(<MemoryPage m={{ chrome: ch, notes: m, documents: await documentsModel(engine, a(), ch.csrf), embedding: await embeddingModel(a(), ch.csrf) }} />, 422);
    }
    if (!isHx(c)) return c.redirect(memoryUrls.page('?done=note-saved#memory-notes-title'), 303);
    noStore(c);
    const m = notesModel(a(), (await chrome(c, engine)).csrf);
    m.notice = NOTICES['note-saved'];
    return c.html(<NotesSection m={m} />);
  });

  app.get('/memory/notes/remove', async (c) => {
    const note = safeNote(a(), c.req.query('key') ?? '');
    if (!note) throw new EngineError('not_found', `no note "${c.req.query('key') ?? ''}" (the Memory page lists them)`);
    noStore(c);
    return c.html(<ConfirmRemoveNotePage chrome={await chrome(c, engine)} note={note} />);
  });

  app.post('/memory/notes/remove', async (c) => {
    const body = await c.req.parseBody();
    const key = str(body.key);
    // Only the confirmation page's own form deletes: anything else is shown that page first.
    if (body.confirm !== key || key === '') return c.redirect(memoryUrls.removeNote(key), 303);
    if (!safeNote(a(), key)) throw new EngineError('not_found', `no note "${key}" (it may have been deleted already)`);
    a().notes.remove(key);
    return c.redirect(memoryUrls.page('?done=note-removed#memory-notes-title'), 303);
  });

  // ---- documents ----

  /** Adds documents and kicks the embedding; a refusal comes back at its form (422). */
  const addAndAnswer = async (c: Context, from: AddFrom, form: Partial<DocumentsModel['form']>, read: () => Promise<{ documents: DocumentInput[]; skipped: number }>) => {
    let added = 0;
    let unchanged = 0;
    let skipped = 0;
    try {
      const r = await read();
      skipped = r.skipped;
      if (r.documents.length === 0) throw new SourceError(skipped ? `nothing in it could be added (${skipped} file${skipped === 1 ? '' : 's'} skipped: hidden, empty, or not a type Railbook reads)` : 'there is nothing in it to add');
      // All checked before any is stored: documents.ts refuses text it cannot keep.
      for (const doc of r.documents) {
        const res = a().vectors.addDocument(doc);
        if (res.status === 'unchanged') unchanged++;
        else added++;
      }
    } catch (e) {
      if (!(e instanceof SourceError) && !(e instanceof DocumentError) && !(e instanceof EngineError)) throw e;
      if (added + unchanged > 0) a().embedding.kick();
      noStore(c);
      const ch = await chrome(c, engine);
      const m = await documentsModel(engine, a(), ch.csrf);
      m.form = { ...m.form, ...form };
      m.error = { from, message: sentenceOf(e.message) };
      if (isHx(c)) return c.html(<DocumentsSection m={m} />, 422);
      return c.html(<MemoryPage m={{ chrome: ch, notes: notesModel(a(), ch.csrf), documents: m, embedding: await embeddingModel(a(), ch.csrf) }} />, 422);
    }
    a().embedding.kick();
    if (!isHx(c)) return c.redirect(memoryUrls.page(`?done=docs-added&added=${added}&unchanged=${unchanged}&skipped=${skipped}#memory-documents-title`), 303);
    noStore(c);
    const ch = await chrome(c, engine);
    const m = await documentsModel(engine, a(), ch.csrf);
    m.notice = addedNotice(added, unchanged, skipped);
    return c.html(
      <>
        <DocumentsSection m={m} />
        <EmbeddingSection m={await embeddingModel(a(), ch.csrf)} oob />
      </>,
    );
  };

  app.post('/memory/documents', async (c) => {
    const body = await c.req.parseBody();
    const from = str(body.from);
    if (from === 'url') {
      const url = str(body.url).trim();
      return addAndAnswer(c, 'url', { url }, async () => {
        if (url === '') throw new SourceError('give the address of a web page (http or https)');
        if (!/^https?:\/\//i.test(url)) throw new SourceError(`${url}: only http and https URLs can be added`);
        const r = await readSource(url);
        return { documents: r.documents, skipped: r.skipped.length };
      });
    }
    if (from === 'path') {
      const p = str(body.path).trim();
      return addAndAnswer(c, 'path', { path: p }, async () => {
        if (p === '') throw new SourceError('give the path of a file or folder on this machine');
        // A URL typed here would be fetched by readSource: this form is for paths only.
        if (/^[a-z][a-z0-9+.-]*:/i.test(p) && !/^[a-z]:[\\/]/i.test(p)) throw new SourceError(`${p}: not a path (use the web page form for addresses)`);
        const r = await readSource(p);
        return { documents: r.documents, skipped: r.skipped.length };
      });
    }
    if (from === 'text') {
      const title = str(body.title).trim();
      const text = str(body.text).replace(/\r\n/g, '\n');
      return addAndAnswer(c, 'text', { title, text }, async () => {
        if (title === '') throw new SourceError('give the text a title (it is how citations name it)');
        if (title.length > 200) throw new SourceError(`a title is at most 200 characters; this one has ${title.length}`);
        if (text.trim() === '') throw new SourceError('paste some text to remember');
        if (text.length > PASTE_MAX_CHARS) throw new SourceError(`pasted text is at most ${PASTE_MAX_CHARS.toLocaleString('en')} characters; save larger text in a file and add the file`);
        return { documents: [{ source: `text:${title}`, kind: 'text', title, text }], skipped: 0 };
      });
    }
    return c.text('Unknown form: from must be url, path or text', 422);
  });

  app.post('/memory/documents/run', async (c) => {
    const body = await c.req.parseBody();
    const runKey = str(body.runKey).trim();
    return addAndAnswer(c, 'run', { runKey }, async () => {
      if (runKey === '') throw new SourceError('choose a run');
      const documents = await runDocuments(engine, runKey);
      if (documents.length === 0) throw new SourceError(`run ${runKey} has no finished step with an output yet`);
      return { documents, skipped: 0 };
    });
  });

  app.get('/memory/documents/remove', async (c) => {
    const source = c.req.query('source') ?? '';
    const doc = a().vectors.documents().find((d) => d.source === source);
    if (!doc) throw new EngineError('not_found', `no document "${source}" in memory (the Memory page lists them)`);
    noStore(c);
    return c.html(<ConfirmRemoveDocumentPage chrome={await chrome(c, engine)} doc={doc} />);
  });

  app.post('/memory/documents/remove', async (c) => {
    const body = await c.req.parseBody();
    const source = str(body.source);
    if (body.confirm !== '1' || source === '') return c.redirect(memoryUrls.removeDocument(source), 303);
    if (!a().vectors.removeDocument(source)) throw new EngineError('not_found', `no document "${source}" in memory (it may have been removed already)`);
    return c.redirect(memoryUrls.page('?done=doc-removed#memory-documents-title'), 303);
  });

  // ---- the embedding job ----

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.post(memoryUrls.embeddingAction(action), async (c) => {
      const job = a().embedding;
      if (action === 'pause') await job.pause();
      else if (action === 'cancel') await job.cancel();
      else job.resume();
      if (!isHx(c)) return c.redirect(memoryUrls.page('#memory-embedding-title'), 303);
      noStore(c);
      return c.html(<EmbeddingSection m={await embeddingModel(a(), (await chrome(c, engine)).csrf)} />);
    });
  }

  return app;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function safeKey(key: string): string | undefined {
  try {
    return normaliseKey(key);
  } catch {
    return undefined;
  }
}

function safeNote(a: Assistant, key: string) {
  return safeKey(key) === undefined ? undefined : a.notes.get(key);
}

function countQuery(c: Context, name: string): number {
  const n = Number(c.req.query(name));
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

function addedNotice(added: number, unchanged: number, skipped: number): string {
  const parts: string[] = [];
  parts.push(`Added ${added} document${added === 1 ? '' : 's'}`);
  if (unchanged) parts.push(`${unchanged} already in memory, unchanged`);
  if (skipped) parts.push(`${skipped} file${skipped === 1 ? '' : 's'} skipped (hidden, empty, or not a type Railbook reads)`);
  return `${parts.join('; ')}.`;
}

function sentenceOf(s: string): string {
  const t = s.trim();
  const cap = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(cap) ? cap : `${cap}.`;
}

function notesModel(a: Assistant, csrf: string): NotesModel {
  return { csrf, notes: a.notes.list(), form: { key: '', value: '', original: '' } };
}

async function documentsModel(engine: Engine, a: Assistant, csrf: string): Promise<DocumentsModel> {
  const configured = await configuredModel(a);
  const listings = a.vectors.documents();
  const status = a.vectors.status();
  // A run document links to its run: the run's workflow is read once per run.
  const workflows = new Map<string, string | undefined>();
  for (const d of listings) {
    const r = parseRunSource(d.source);
    if (r && !workflows.has(r.runKey)) workflows.set(r.runKey, (await engine.store.runs.get(r.runKey).catch(() => undefined))?.workflow);
  }
  const docs = listings.map((doc) => ({ doc, source: sourceView(doc.source, workflows) }));
  const runs = await engine.listRuns({ limit: RECENT_RUNS });
  const recentRuns = runs.map((r) => ({ key: r.key, label: `${r.key} — ${engine.registry.get(r.workflow)?.title ?? r.workflow}` }));
  return {
    csrf,
    docs,
    // Not known in time: the job's last word on it.
    hasModel: configured ? configured.model !== undefined : a.embedding.state().state !== 'no-model',
    building: status.building?.model,
    recentRuns,
    form: { url: '', path: '', title: '', text: '', runKey: recentRuns[0]?.key ?? '' },
  };
}

function sourceView(source: string, workflows: Map<string, string | undefined>): SourceView {
  if (/^https?:\/\//i.test(source)) return { kind: 'url', href: source };
  const r = parseRunSource(source);
  if (r) {
    const wf = workflows.get(r.runKey);
    const href = wf ? `${urls.run(wf, r.runKey)}${r.stepId ? `#${stepDomId(r.stepId)}` : ''}` : undefined;
    return { kind: 'run', href, label: `run ${r.runKey}${r.stepId ? `, step ${r.stepId}` : ''}` };
  }
  if (source.startsWith('text:')) return { kind: 'path', label: 'pasted text' };
  return { kind: 'path', label: source };
}

async function embeddingModel(a: Assistant, csrf: string): Promise<EmbeddingModel> {
  const status = a.vectors.status();
  const configured = await configuredModel(a);
  return { csrf, job: a.embedding.state(), active: status.active, building: status.building, configured, documents: status.documents };
}

/** The embedding model the settings call for (the provider is asked: cached per settings), or undefined if not known in time. */
function configuredModel(a: Assistant): Promise<EmbeddingModel['configured']> {
  return settleWithin(
    a.embedModel().then((m) => (m.model === undefined ? { model: undefined, message: m.message } : { model: m.model })).catch((e: unknown) => ({ model: undefined, message: e instanceof Error ? e.message : String(e) })),
    EMBED_MODEL_WAIT_MS,
  );
}
