/**
 * The assistant of one data folder, assembled: the memory file (conversation, notes, documents
 * and vectors), the chat over it, retrieval with citations, and the background job that keeps the
 * vectors embedded with the configured model. The web app, `railbook chat`, `railbook memory`
 * and the steps' comments all get it here, so they share one memory and one way of choosing the
 * provider. One per data folder per process (`assistantFor`), released when its last user closes.
 */
import path from 'node:path';
import type { AiSettings } from './ai-settings.ts';
import { CHAT_SCHEMA_PARTS } from './chat/chat-memory.ts';
import { createChatService, type RailbookChatService } from './chat/chat-service.ts';
import type { ChatPlace, Citation } from './chat/chat-types.ts';
import { chooseProvider, type Choice } from './choose-provider.ts';
import { Conversations } from './memory/conversation.ts';
import { DOCUMENTS_SCHEMA } from './memory/documents-schema.ts';
import { providerEmbedder, type Embedder } from './memory/embedder.ts';
import { EmbeddingJob } from './memory/embedding-job.ts';
import { activeSet } from './memory/embedding-sets.ts';
import { MemoryDb } from './memory/memory-db.ts';
import { Notes } from './memory/notes.ts';
import { VectorMemory } from './memory/vector-memory.ts';
import { LlamaProvider } from './llama.ts';
import type { Provider } from './provider.ts';

export interface AssistantOptions {
  dataDir: string;
  /** The AI settings in force, read again whenever they matter (the Settings page changes them). */
  settings: () => Promise<AiSettings>;
  choose?: ((settings: AiSettings) => Promise<Choice>) | undefined;
  /** Where the person is, in words (chat/place.ts). */
  place?: ((place: ChatPlace) => Promise<string | undefined>) | undefined;
  /** What background work does with a failure (default: print it). */
  onBackgroundError?: ((err: unknown) => void) | undefined;
}

export interface Assistant {
  readonly memory: MemoryDb;
  readonly conversations: Conversations;
  readonly notes: Notes;
  readonly vectors: VectorMemory;
  readonly chat: RailbookChatService;
  readonly embedding: EmbeddingJob;
  /** The provider for the settings in force (cached per settings), or why there is none. */
  provider(settings?: AiSettings): Promise<Choice>;
  /** The embedding model the settings call for, or why there is none. */
  embedModel(): Promise<{ model: string; provider: Provider } | { model: undefined; message: string }>;
  /** The settings changed: choose the provider again, and catch the vectors up. */
  settingsChanged(): void;
  /** Tells the chat how to describe where the person is (the web app knows the engine). */
  setPlace(place: (place: ChatPlace) => Promise<string | undefined>): void;
  close(): Promise<void>;
}

/** Passages at least this close (cosine) are offered to the model; farther ones are noise. */
export const MIN_CITATION_SCORE = 0.2;
/** Passages retrieved per message. */
export const CITATIONS_PER_TURN = 4;

export function openAssistant(opts: AssistantOptions): Assistant {
  const memory = MemoryDb.open(opts.dataDir, [...CHAT_SCHEMA_PARTS, DOCUMENTS_SCHEMA]);
  const choose = opts.choose ?? ((s: AiSettings) => chooseProvider(s));
  let describePlace = opts.place;
  const onError = opts.onBackgroundError ?? ((err: unknown) => console.error('railbook: background AI work failed:', err));
  let cached: { key: string; choice: Promise<Choice> } | undefined;

  /** The provider for `given` settings (the chat has just read them), else for the settings now. */
  const provider = async (given?: AiSettings): Promise<Choice> => {
    const settings = given ?? (await opts.settings());
    const key = JSON.stringify(settings);
    if (cached?.key !== key) {
      const choice = choose(settings);
      cached = { key, choice };
      // Only a found provider is kept: a model started later is found on the next call.
      void choice.then((c) => { if (!c.provider && cached?.choice === choice) cached = undefined; }, () => { if (cached?.choice === choice) cached = undefined; });
    }
    return cached.choice;
  };

  const embedModel: Assistant['embedModel'] = async () => {
    const [settings, choice] = await Promise.all([opts.settings(), provider()]);
    if (!choice.provider) return { model: undefined, message: choice.help };
    // The embedded provider's model is its file: it embeds with it unless told otherwise. The set
    // is named by the file's full path, so its queries can still be embedded after the chat moves
    // to another file or provider (see lazyEmbedder).
    const model = settings.embedModel.value ?? (choice.provider.kind === 'llama' ? modelFileOf(choice.provider) : undefined);
    if (!model) return { model: undefined, message: 'No embedding model is set: choose one on the Settings page or set RAILBOOK_AI_EMBED_MODEL (for Ollama, e.g. `ollama pull nomic-embed-text`). Documents are kept and will be embedded then.' };
    return { model, provider: choice.provider };
  };

  /** Embeds with `model` through whichever provider is in force when it is called. */
  const lazyEmbedder = (model: string): Embedder => ({
    model,
    embed: async (texts, signal) => {
      const choice = await provider();
      // A set made by a GGUF file other than the one in use (a re-embed is building, or the chat
      // moved to another provider) embeds its queries with that file; loaded models are shared.
      const own = choice.provider?.kind === 'llama' && modelFileOf(choice.provider) === model;
      if (!own && path.isAbsolute(model) && /\.gguf$/i.test(model)) return providerEmbedder(new LlamaProvider({ modelFile: model }), model).embed(texts, signal);
      if (!choice.provider) throw new Error(choice.help);
      return providerEmbedder(choice.provider, model).embed(texts, signal);
    },
  });

  const vectors = VectorMemory.on(memory.db, { embedderFor: lazyEmbedder });
  const embedding = new EmbeddingJob(memory.db, async () => {
    const m = await embedModel();
    return m.model === undefined ? { embedder: undefined, message: m.message } : { embedder: providerEmbedder(m.provider, m.model) };
  });
  embedding.on('change', (s) => { if (s.state === 'failed') onError(new Error(`embedding the memory: ${s.message}`)); });

  const retrieve = async (query: string, signal?: AbortSignal): Promise<Citation[]> => {
    // Nothing embedded, nothing to find: the query is not embedded (that would delay the answer).
    const active = activeSet(memory.db);
    if (!active || active.done === 0) return [];
    const hits = await vectors.search(query, CITATIONS_PER_TURN, { signal });
    return hits
      .filter((h) => h.score >= MIN_CITATION_SCORE)
      .map((h, i) => ({ n: i + 1, documentId: h.documentId, source: h.source, title: h.title, excerpt: h.excerpt, score: h.score }));
  };

  const conversations = new Conversations(memory);
  const notes = new Notes(memory);
  const chat = createChatService({
    conversations,
    notes,
    settings: opts.settings,
    choose: (s) => provider(s),
    place: (p) => describePlace?.(p) ?? Promise.resolve(undefined),
    retrieve,
    onBackgroundError: onError,
  });

  return {
    memory,
    conversations,
    notes,
    vectors,
    chat,
    embedding,
    provider,
    embedModel,
    settingsChanged: () => {
      cached = undefined;
      chat.refresh();
      embedding.kick();
    },
    setPlace: (fn) => {
      describePlace = fn;
    },
    close: async () => {
      await embedding.close();
      // A summary being made is let finish (it was asked for), but a slow model does not hold the close.
      await settleWithin(chat.idle(), 10_000);
      memory.close();
    },
  };
}


/** The embedded provider's GGUF file (its one model). */
function modelFileOf(p: Provider): string | undefined {
  const file = (p as { modelFile?: unknown }).modelFile;
  return typeof file === 'string' ? file : undefined;
}

function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
    p.then(() => { clearTimeout(t); resolve(); }, () => { clearTimeout(t); resolve(); });
  });
}

const shared = new Map<string, { assistant: Assistant; users: number }>();

/**
 * The process's assistant for a data folder, opened on first use and shared (the web app and the
 * steps' comments in one server use one memory connection); `release` closes it with its last user.
 */
export function assistantFor(opts: AssistantOptions): { assistant: Assistant; release: () => Promise<void> } {
  let entry = shared.get(opts.dataDir);
  if (!entry) {
    entry = { assistant: openAssistant(opts), users: 0 };
    shared.set(opts.dataDir, entry);
  }
  entry.users++;
  if (opts.place) entry.assistant.setPlace(opts.place);
  const e = entry;
  let released = false;
  return {
    assistant: e.assistant,
    release: async () => {
      if (released) return;
      released = true;
      if (--e.users > 0) return;
      shared.delete(opts.dataDir);
      await e.assistant.close();
    },
  };
}
