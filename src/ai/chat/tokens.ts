/**
 * A token estimate, without a tokenizer: models differ (and the embedded, Ollama and hosted ones
 * do not share one), so the chat budgets with ceil(characters / 4) — close to the average of
 * BPE tokenizers on English text, generous for code and for languages with longer tokens, and
 * the same on every provider. Budgets leave room for the error.
 */
import type { ChatMessage } from '../provider.ts';

export const CHARS_PER_TOKEN = 4;
/** What each message costs beyond its text (role, separators), in tokens. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

export function messageTokens(m: ChatMessage): number {
  let n = MESSAGE_OVERHEAD_TOKENS + estimateTokens(m.content);
  for (const c of m.toolCalls ?? []) n += estimateTokens(c.name) + estimateTokens(JSON.stringify(c.arguments));
  return n;
}

export function messagesTokens(ms: readonly ChatMessage[]): number {
  return ms.reduce((sum, m) => sum + messageTokens(m), 0);
}

/** The text cut to at most `tokens` (estimated), ending with "…" when cut. */
export function clipToTokens(text: string, tokens: number): string {
  const max = Math.max(0, tokens) * CHARS_PER_TOKEN;
  if (text.length <= max) return text;
  if (max <= 1) return '';
  return `${text.slice(0, max - 1)}…`;
}
