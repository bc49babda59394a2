import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { loadAiSettings } from '../ai/ai-settings.ts';
import type { ChatEvent, ChatService, ChatTurnRequest } from '../ai/chat/chat-types.ts';
import { assistantFor, type Assistant } from '../ai/assistant.ts';
import { MEMORY_FILE } from '../ai/memory/memory-db.ts';
import { describePlace } from '../ai/chat/place.ts';
import type { Engine } from '../engine/engine.ts';
import { EngineError } from '../engine/errors.ts';
import { filesRoute } from './files.ts';
import { ChatStreams } from './chat-streams.ts';
import { apiRoutes } from './routes/api.ts';
import { assetsRoute } from './routes/assets.ts';
import { chatRoutes } from './routes/chat.tsx';
import { memoryRoutes } from './routes/memory.tsx';
import { chrome, isHx, noStore, statusOf } from './routes/common.ts';
import { profileRoutes } from './routes/profiles.tsx';
import { runBarRoutes } from './routes/run-bar.tsx';
import { runControlRoutes } from './routes/run-controls.tsx';
import { runRoutes } from './routes/runs.tsx';
import { scheduleRoutes } from './routes/schedules.tsx';
import { ReadinessCache, settingsRoutes } from './routes/settings.tsx';
import { stepRoutes } from './routes/steps.tsx';
import { requestSizeLimit } from './body-limit.ts';
import { security } from './security/index.ts';
import { sentence } from './views/format.ts';
import { MessagePage } from './views/message-page.tsx';

export interface AppOptions {
  /** Access token required on every request (set when bound to a non-loopback address). */
  accessToken?: string | undefined;
  /** The chat beside every page. Default: one over the data folder's memory, opened on first use. */
  chat?: ChatService | undefined;
  /** Where the AI settings' `RAILBOOK_AI_*` variables are read (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
}

/** What closing an app must also close: its live chat turns, and the memory it opened. */
const closers = new WeakMap<Hono, () => Promise<void>>();

/** Stops the app's live chat turns and closes what it opened itself (server.ts calls it on close). */
export async function closeApp(app: Hono): Promise<void> {
  await closers.get(app)?.();
}

/** The whole web app as one Hono instance; `server.ts` binds it to a socket. */
export async function createApp(engine: Engine, opts: AppOptions = {}): Promise<Hono> {
  const app = new Hono();
  const csrfSecret = await engine.store.settings.getOrInit('csrf_secret', () => randomBytes(32).toString('hex'));
  // First: nothing below may read a body larger than any form needs.
  app.use('*', requestSizeLimit(engine.registry, engine.maxUploadBytes));
  app.use('*', security({ accessToken: opts.accessToken, csrfSecret }));

  app.route('/assets', assetsRoute());
  app.route('/files', filesRoute(engine.store.dataDir, engine.store.artifacts.remote ? (p) => engine.store.artifacts.ensureLocal(p) : undefined));
  app.route('/api', apiRoutes(engine));
  const env = opts.env ?? process.env;
  // The data folder's assistant: the chat's unless the app is given its own, and always the
  // Memory page's (opened on first use, so a test's own chat never creates the memory file).
  const own = defaultAssistant(engine, env, { openNow: !opts.chat });
  const chat = opts.chat ?? own.chat;
  const streams = new ChatStreams();
  const readiness = new ReadinessCache(chat);
  closers.set(app, async () => {
    await streams.stopAll();
    await own.close();
  });
  // A saved setting reaches both the given chat and the assistant (its embedding job re-embeds).
  const settingsChat = opts.chat ? withRefresh(opts.chat, () => own.chat.refresh()) : chat;
  app.route('/', chatRoutes(engine, { chat, streams, readiness }));
  app.route('/', settingsRoutes(engine, { chat: settingsChat, readiness, env }));
  app.route('/', memoryRoutes(engine, { assistant: own.assistant }));
  app.route('/', profileRoutes(engine));
  app.route('/', scheduleRoutes(engine));
  app.route('/', stepRoutes(engine));
  app.route('/', runBarRoutes(engine));
  app.route('/', runControlRoutes(engine));
  app.route('/', runRoutes(engine));

  app.notFound((c) => problem(c, engine, 404, 'Not found', `There is no page at ${c.req.path}`, 'not_found'));
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof EngineError) {
      const status = statusOf(err);
      return problem(c, engine, status, status === 404 ? 'Not found' : 'That did not work', err.message, err.code);
    }
    // A bug, not something the person can act on: details go to the terminal, not the browser.
    console.error(`railbook: error on ${c.req.method} ${c.req.path}:`, err);
    return problem(c, engine, 500, 'Something went wrong', 'Railbook hit an unexpected error. The details are in the terminal where it runs; your data is safe.', 'internal');
  });
  return app;
}

/** An error as JSON for the API, as text for htmx (shown in a banner), else as a page. */
async function problem(c: Context, engine: Engine, status: 404 | 409 | 422 | 500, title: string, message: string, code: string): Promise<Response> {
  noStore(c);
  if (c.req.path.startsWith('/api/')) return c.json({ error: message, code }, status);
  if (isHx(c)) return c.text(message, status);
  try {
    // A page under a workflow that exists offers the way back to it, not only to the home page.
    const wfId = /^\/wf\/([^/]+)/.exec(c.req.path)?.[1];
    const wf = wfId ? engine.registry.get(decodeURIComponent(wfId)) : undefined;
    const page = <MessagePage chrome={await chrome(c, engine, wf?.id)} title={title} message={sentence(message)} workflow={wf ? { id: wf.id, title: wf.title } : undefined} />;
    // `await`: c.html's promise rejects later if the page fails while rendering; catch it here.
    return await c.html(page, status);
  } catch {
    return c.text(`${title}: ${message}`, status);
  }
}

/**
 * The chat `railbook serve` gets without further wiring: the data folder's assistant (memory.db,
 * see ai/assistant.ts) with the AI settings in force. It is opened at start only when the memory
 * file exists (so an unfinished re-embed resumes after a restart); otherwise on first use, so a
 * page, a test or a server that never shows the chat never creates the file.
 */
function defaultAssistant(engine: Engine, env: NodeJS.ProcessEnv, o: { openNow: boolean } = { openNow: true }): { chat: ChatService & { refresh(): void }; assistant: () => Assistant; close(): Promise<void> } {
  let held: ReturnType<typeof assistantFor> | undefined;
  const get = (): Assistant => {
    if (!held) {
      held = assistantFor({
        dataDir: engine.store.dataDir,
        settings: () => loadAiSettings(engine.store, env),
        // The workflow, the step on screen and the run's values, as the run page shows them.
        place: (place) => describePlace(engine, place),
      });
      held.assistant.embedding.kick();
    }
    return held.assistant;
  };
  if (o.openNow && existsSync(path.join(engine.store.dataDir, MEMORY_FILE))) get();
  const chat = {
    async *turn(req: ChatTurnRequest): AsyncGenerator<ChatEvent> {
      yield* get().chat.turn(req);
    },
    history: async (profile: string, o?: { limit?: number | undefined }) => get().chat.history(profile, o),
    search: async (profile: string, q: string, o?: { limit?: number | undefined }) => get().chat.search(profile, q, o),
    newConversation: async (profile: string) => get().chat.newConversation(profile),
    clearConversation: async (profile: string) => get().chat.clearConversation(profile),
    exportConversations: async (profile: string) => get().chat.exportConversations(profile),
    readiness: async (signal?: AbortSignal) => get().chat.readiness(signal),
    refresh: () => held?.assistant.settingsChanged(),
  };
  return { chat, assistant: get, close: async () => held?.release() };
}

/** `chat` whose `refresh` (called when the settings are saved) also calls `also`. */
function withRefresh(chat: ChatService, also: () => void): ChatService & { refresh(): void } {
  const own = (chat as { refresh?: () => void }).refresh;
  return {
    turn: (req) => chat.turn(req),
    history: (profile, o) => chat.history(profile, o),
    search: (profile, q, o) => chat.search(profile, q, o),
    newConversation: (profile) => chat.newConversation(profile),
    clearConversation: (profile) => chat.clearConversation(profile),
    exportConversations: (profile) => chat.exportConversations(profile),
    readiness: (signal) => chat.readiness(signal),
    refresh: () => {
      own?.call(chat);
      also();
    },
  };
}
