/**
 * The chat's messages in node-llama-cpp's terms, and fitted to the model's context: a history
 * longer than the context is cut (oldest turns first) before llama.cpp would fail on it.
 */
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions, LlamaChat, LlamaModel } from 'node-llama-cpp';
import type { ChatMessage } from './provider.ts';

/**
 * The chat's messages as node-llama-cpp's history. An assistant turn's tool calls become function
 * calls in its response, each with the result of the `tool` message that answers it (by id, else
 * the next unanswered call of that name); a tool message that answers no call is given to the
 * model as a user turn that says which tool returned it.
 */
export function toHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const calls = new Map<string, ChatModelFunctionCall>();
  const unanswered: { name: string; call: ChatModelFunctionCall }[] = [];
  for (const m of messages) {
    if (m.role === 'system') history.push({ type: 'system', text: m.content });
    else if (m.role === 'user') history.push({ type: 'user', text: m.content });
    else if (m.role === 'assistant') {
      const response: (string | ChatModelFunctionCall)[] = m.content === '' ? [] : [m.content];
      for (const c of m.toolCalls ?? []) {
        const call: ChatModelFunctionCall = { type: 'functionCall', name: c.name, params: c.arguments, result: undefined };
        response.push(call);
        calls.set(c.id, call);
        unanswered.push({ name: c.name, call });
      }
      history.push({ type: 'model', response });
    } else {
      const byId = m.toolCallId === undefined ? undefined : calls.get(m.toolCallId);
      const i = byId ? unanswered.findIndex((u) => u.call === byId) : unanswered.findIndex((u) => m.name === undefined || u.name === m.name);
      const target = byId ?? unanswered[i]?.call;
      if (target && i >= 0) {
        unanswered.splice(i, 1);
        target.result = jsonOrText(m.content);
      } else {
        history.push({ type: 'user', text: `(The tool ${m.name ?? 'called'} returned:)\n${m.content}` });
      }
    }
  }
  return history;
}

/**
 * Makes the history fit `budget` tokens, as counted by the model's own tokenizer: the oldest turns
 * after the system prompt go first (the newest turn always stays), then the system prompt is cut,
 * then the newest turn. Without this a long prompt on a small context fails in llama.cpp's
 * context shift instead of answering.
 */
export function fitHistory(history: ChatHistoryItem[], count: (text: string) => number, budget: number): ChatHistoryItem[] {
  const size = (h: ChatHistoryItem): number => historyTokens([h], count);
  const items = history.map((h) => ({ h, n: size(h) }));
  let total = items.reduce((a, b) => a + b.n, 0);
  if (total <= budget) return history;
  const firstTurn = items[0]?.h.type === 'system' ? 1 : 0;
  while (total > budget && items.length - firstTurn > 1) total -= items.splice(firstTurn, 1)[0]!.n;
  for (const i of firstTurn === 1 ? [0, items.length - 1] : [items.length - 1]) {
    const it = items[i];
    if (total <= budget || !it || it.h.type === 'model') continue;
    const text = itemText(it.h);
    const textTokens = Math.max(1, it.n - 8);
    const keep = Math.max(0, textTokens - (total - budget));
    // Tokens to characters by this text's own ratio, rounded down: the cut errs on the short side.
    const cut = text.slice(0, Math.floor((text.length * keep) / textTokens));
    it.h = { ...it.h, text: cut } as ChatHistoryItem;
    const n = size(it.h);
    total += n - it.n;
    it.n = n;
  }
  return items.map((i) => i.h);
}

/** Tokens of a minimal prompt as the model's chat template writes it, with or without the tools' documentation. */
export function promptTokens(chat: LlamaChat, model: LlamaModel, functions: ChatModelFunctions | undefined): number {
  const { contextText } = chat.chatWrapper.generateContextState({
    chatHistory: [{ type: 'system', text: '' }, { type: 'user', text: '' }],
    ...(functions ? { availableFunctions: functions, documentFunctionParams: true } : {}),
  });
  return contextText.tokenize(model.tokenizer).length;
}

/** The history's size in tokens, as fitHistory counts it (each item's text plus its framing). */
export function historyTokens(history: ChatHistoryItem[], count: (text: string) => number): number {
  return history.reduce((n, h) => n + count(itemText(h)) + 8, 0);
}

function itemText(h: ChatHistoryItem): string {
  if (h.type === 'model') {
    return h.response.map((r) => (typeof r === 'string' ? r : r.type === 'segment' ? r.text : JSON.stringify(r.params ?? null) + JSON.stringify(r.result ?? null))).join('');
  }
  return typeof h.text === 'string' ? h.text : JSON.stringify(h.text);
}

/** A tool's result as the model sees it: its JSON when it is JSON, else the text. */
function jsonOrText(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}
