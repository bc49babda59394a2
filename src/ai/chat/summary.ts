/**
 * The running summary: turns that no longer fit the context are folded, by the model, into the
 * conversation's stored summary, which then stands for them in later prompts. It runs after an
 * answer has been streamed, so it never delays a first token. The turns stay stored: a summary
 * is derived, and a failed one is simply tried again after a later turn.
 */
import type { Conversations } from '../memory/conversation.ts';
import type { ChatMessage, Provider } from '../provider.ts';
import type { StoredTurn } from './chat-types.ts';
import { clipToTokens, estimateTokens } from './tokens.ts';

export interface FoldOptions {
  provider: Provider;
  model: string;
  conversations: Conversations;
  conversationId: number;
  /** The turns to fold in, oldest first (all newer than the stored summary). */
  turns: readonly StoredTurn[];
  /** The summary's own size, in tokens. */
  summaryTokens: number;
  /** How much the request may send, in tokens; turns beyond it wait for the next fold. */
  inputTokens: number;
  signal?: AbortSignal | undefined;
}

/** Each turn as the summariser reads it is cut to this: the gist is enough. */
const TURN_TOKENS = 400;

/**
 * Folds as many of `turns` (oldest first) as fit into the stored summary, and saves it with the
 * newest turn covered. Returns the new summary, or undefined when there was nothing to fold.
 * Throws the provider's error (the caller decides it must not fail anything).
 */
export async function foldIntoSummary(o: FoldOptions): Promise<string | undefined> {
  const previous = o.conversations.summary(o.conversationId);
  const turns = o.turns.filter((t) => t.id > previous.upto && t.content.trim() !== '');
  if (turns.length === 0) return undefined;

  const words = Math.max(30, Math.floor(o.summaryTokens * 0.6));
  const system = [
    'You keep a running summary of a conversation between a person and their assistant.',
    'Fold the new turns into the summary so far. Keep facts about the person, decisions, names, numbers and open questions; drop small talk.',
    `Write at most ${words} words of plain text, in the third person, with no preamble.`,
  ].join(' ');
  const head = `Summary so far:\n${previous.text.trim() === '' ? '(none yet)' : previous.text.trim()}\n\nNew turns:`;
  let room = o.inputTokens - estimateTokens(system) - estimateTokens(head) - 16;
  const lines: string[] = [];
  let upto = previous.upto;
  for (const t of turns) {
    const who = t.role === 'user' ? 'Person' : t.role === 'comment' ? 'Assistant (comment on a step)' : 'Assistant';
    const line = `${who}: ${clipToTokens(t.content.trim(), TURN_TOKENS)}`;
    const cost = estimateTokens(line) + 1;
    if (cost > room && lines.length > 0) break;
    room -= cost;
    lines.push(line);
    upto = t.id;
  }

  const messages: ChatMessage[] = [
    { role: 'system', content: system },
    { role: 'user', content: `${head}\n${lines.join('\n')}` },
  ];
  let text = '';
  for await (const chunk of o.provider.chat({ model: o.model, messages, maxTokens: o.summaryTokens, temperature: 0.2, signal: o.signal })) {
    if (chunk.type === 'token') text += chunk.text;
    else if (chunk.type === 'done' && chunk.reason === 'aborted') return undefined;
  }
  const summary = clipToTokens(text.trim(), o.summaryTokens);
  if (summary === '') return undefined;
  o.conversations.setSummary(o.conversationId, { text: summary, upto });
  return summary;
}
