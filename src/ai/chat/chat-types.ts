/**
 * The contract between the chat's core (src/ai/chat) and what shows it: the web pane and
 * `railbook chat`. A turn is asked for, streams events, and is stored — whatever shows it.
 */

/** Where the person is when they ask: the chat is told about this workflow, run and step. */
export interface ChatPlace {
  workflowId?: string | undefined;
  runKey?: string | undefined;
  /** The step on screen (the first one not done, unless the person is looking at another). */
  stepId?: string | undefined;
}

export interface Citation {
  /** 1-based, as the answer refers to it: [1], [2]… */
  n: number;
  documentId: number;
  /** A file path, URL or `run:<key>/<step>`: where the text came from. */
  source: string;
  title?: string | undefined;
  /** The retrieved passage (trimmed), and how close it was (higher is closer). */
  excerpt: string;
  score: number;
}

/** What a turn yields, in order; always ends with exactly one `done`. */
export type ChatEvent =
  /** The turn's ids, first, once the person's message is stored. */
  | { type: 'start'; conversationId: number; userTurnId: number }
  | { type: 'token'; text: string }
  /** The model used a tool (remember / recall / forget): said in words for the person. */
  | { type: 'tool'; name: string; summary: string }
  | { type: 'citations'; citations: Citation[] }
  /**
   * `stop`: finished. `length`: cut at the token limit. `aborted`: the person stopped it (what
   * came so far is kept). `error`: `message` says why in words a person can act on (also when no
   * model is configured: then it is the help text).
   */
  | { type: 'done'; reason: 'stop' | 'length' | 'aborted' | 'error'; assistantTurnId?: number | undefined; message?: string | undefined };

export interface ChatTurnRequest {
  profile: string;
  message: string;
  place?: ChatPlace | undefined;
  /** Aborting stops the model; the partial answer is stored, marked stopped. */
  signal?: AbortSignal | undefined;
}

export type TurnRole = 'user' | 'assistant' | 'comment';

/** A stored turn, for the history view and the pane on page load. */
export interface StoredTurn {
  id: number;
  conversationId: number;
  role: TurnRole;
  content: string;
  /** done · stopped (by the person) · failed (with `error`) */
  status: 'done' | 'stopped' | 'failed';
  error?: string | undefined;
  place?: ChatPlace | undefined;
  model?: string | undefined;
  citations?: Citation[] | undefined;
  createdAt: number;
}

/** Whether the chat can answer now, for the header's indicator and the pane's empty state. */
export interface ChatReadiness {
  ready: boolean;
  /** "Ollama at http://127.0.0.1:11434 · gemma3:1b", or why not. */
  detail: string;
  /** When not ready: how to connect a model, in plain words (multi-line). */
  help?: string | undefined;
}

export interface ChatService {
  /** Stores the message, streams the answer, stores it (also when stopped or failed). */
  turn(req: ChatTurnRequest): AsyncIterable<ChatEvent>;
  /** The profile's current conversation, oldest first (at most `limit`, the newest ones). */
  history(profile: string, opts?: { limit?: number | undefined }): Promise<StoredTurn[]>;
  /** Full-text search over every conversation of the profile, newest first. */
  search(profile: string, query: string, opts?: { limit?: number | undefined }): Promise<StoredTurn[]>;
  /** Starts a new conversation; the old one stays searchable and exportable. */
  newConversation(profile: string): Promise<number>;
  /** Deletes the current conversation's turns and summary (notes and documents stay). */
  clearConversation(profile: string): Promise<void>;
  /** Every conversation of the profile with its turns, oldest first, for a download. */
  exportConversations(profile: string): Promise<unknown[]>;
  readiness(signal?: AbortSignal): Promise<ChatReadiness>;
}
