/**
 * One small interface for every model provider (Ollama, any OpenAI-compatible server, the
 * embedded llama.cpp): streamed chat with tool calls, embeddings, the models on offer, and
 * whether the provider answers at all. Chat, memory and the steps' "peanut gallery" talk to this,
 * never to a provider's own protocol.
 */

export type ProviderKind = 'ollama' | 'openai' | 'llama';

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments (an object schema). */
  parameters: Record<string, unknown>;
}

export interface ToolCall {
  /** The provider's id for the call, or one made up when it gives none (Ollama). */
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** An assistant turn that asked for tools. */
  toolCalls?: ToolCall[] | undefined;
  /** A tool turn: which call this answers, and the tool's name. */
  toolCallId?: string | undefined;
  name?: string | undefined;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ToolSpec[] | undefined;
  temperature?: number | undefined;
  maxTokens?: number | undefined;
  /** Aborting ends the stream (the iterator finishes with a `done` of reason `aborted`) and closes the connection. */
  signal?: AbortSignal | undefined;
}

/** What a streamed chat yields, in order: tokens and tool calls as they come, then one `done`. */
export type ChatChunk =
  | { type: 'token'; text: string }
  | { type: 'tool_call'; call: ToolCall }
  | { type: 'done'; reason: 'stop' | 'length' | 'tool_calls' | 'aborted'; usage?: { promptTokens?: number; completionTokens?: number } | undefined };

export interface ModelInfo {
  id: string;
  /** Bytes on disk, when the provider says. */
  size?: number | undefined;
  modified?: string | undefined;
  family?: string | undefined;
}

export interface Health {
  ok: boolean;
  provider: ProviderKind;
  /** For people: "Ollama 0.5.7 at http://127.0.0.1:11434", or why not. */
  detail: string;
}

export interface PullProgress {
  status: string;
  completed?: number | undefined;
  total?: number | undefined;
}

export interface Provider {
  readonly kind: ProviderKind;
  /** Streams the answer. Errors before the first chunk reject the first `next()`; errors mid-stream throw from the iterator, after the chunks already yielded. */
  chat(req: ChatRequest): AsyncIterable<ChatChunk>;
  /** One vector per text, in order. */
  embed(model: string, texts: string[], signal?: AbortSignal): Promise<number[][]>;
  models(signal?: AbortSignal): Promise<ModelInfo[]>;
  health(signal?: AbortSignal): Promise<Health>;
  /** Downloads a model (Ollama only). */
  pull?(model: string, onProgress: (p: PullProgress) => void, signal?: AbortSignal): Promise<void>;
}

export type ProviderErrorKind =
  /** Nothing answers at the address (refused, DNS, timeout connecting). */
  | 'unreachable'
  /** The provider does not have that model. */
  | 'model_not_found'
  /** The provider refused the request (status, with its own message). */
  | 'http'
  /** An answer that is not the protocol (bad JSON, wrong shape). */
  | 'bad_response'
  /** The stream broke off or reported an error after it began. */
  | 'stream_broken'
  /** The API key was refused. */
  | 'unauthorized';

/** A provider's failure, in words a person can act on; never carries an API key. */
export class ProviderError extends Error {
  constructor(readonly kind: ProviderErrorKind, message: string, readonly status?: number) {
    super(message);
    this.name = 'ProviderError';
  }
}
