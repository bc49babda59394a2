/**
 * The messages sent for a turn, within a token budget (estimated, see tokens.ts). The system
 * prompt says who the assistant is (persona name and the saved system prompt), then the notes,
 * where the person is, retrieved passages and the summary of older turns — each part within its
 * own share, so one cannot crowd out the rest. The rest of the budget goes to the conversation,
 * newest turns first (kept in order). Turns that do not fit are returned as `left`: the summary
 * should fold them in (summary.ts). Nothing here changes what is stored.
 */
import type { ConversationSummary } from '../memory/conversation.ts';
import type { Note } from '../memory/notes.ts';
import type { ChatMessage } from '../provider.ts';
import type { Citation, StoredTurn } from './chat-types.ts';
import { clipToTokens, estimateTokens, messageTokens } from './tokens.ts';

export interface ContextBudget {
  /** The window the chat uses of the model's context, in tokens: prompt and answer together. */
  contextTokens: number;
  /** Kept for the answer (and sent as the request's maxTokens). */
  answerTokens: number;
  /** The most the system prompt's parts may use, each. */
  notesTokens: number;
  placeTokens: number;
  passagesTokens: number;
  summaryTokens: number;
}

/** 4096 tokens fits every chat model in use (most have far more); a quarter is left for the answer. */
export const DEFAULT_BUDGET: ContextBudget = {
  contextTokens: 4096,
  answerTokens: 1024,
  notesTokens: 400,
  placeTokens: 500,
  passagesTokens: 600,
  summaryTokens: 300,
};

/** The default budget with some parts changed; the parts' shares shrink to fit a small window. */
export function resolveBudget(partial: Partial<ContextBudget> = {}): ContextBudget {
  const b = { ...DEFAULT_BUDGET, ...partial };
  b.contextTokens = Math.max(256, Math.floor(b.contextTokens));
  b.answerTokens = Math.min(Math.max(16, Math.floor(b.answerTokens)), Math.floor(b.contextTokens / 2));
  const prompt = b.contextTokens - b.answerTokens;
  // The system prompt's parts together may take at most 60% of the prompt: the conversation needs room.
  const parts = b.notesTokens + b.placeTokens + b.passagesTokens + b.summaryTokens;
  const room = Math.floor(prompt * 0.6);
  if (parts > room) {
    const k = room / parts;
    b.notesTokens = Math.floor(b.notesTokens * k);
    b.placeTokens = Math.floor(b.placeTokens * k);
    b.passagesTokens = Math.floor(b.passagesTokens * k);
    b.summaryTokens = Math.floor(b.summaryTokens * k);
  }
  return b;
}

export interface ContextInput {
  personaName: string;
  systemPrompt?: string | undefined;
  /** Most recently updated first (as Notes.list gives them). */
  notes: readonly Note[];
  /** Where the person is, in words (place.ts). */
  place?: string | undefined;
  passages?: readonly Citation[] | undefined;
  summary: ConversationSummary;
  /** The conversation's turns after the summary, oldest first, without the message being asked. */
  turns: readonly StoredTurn[];
  message: string;
  budget: ContextBudget;
  /** Whether the note tools are offered (the prompt then says how to use them). */
  tools?: boolean | undefined;
}

export interface BuiltContext {
  messages: ChatMessage[];
  /** The estimated tokens of `messages`. */
  tokens: number;
  /** Turns that did not fit, oldest first; the summary should cover them. */
  left: StoredTurn[];
  /** The passages that made it into the prompt (their [n] markers as given). */
  passages: Citation[];
}

export function buildContext(input: ContextInput): BuiltContext {
  const { budget } = input;
  const promptBudget = budget.contextTokens - budget.answerTokens;

  const sections: string[] = [identity(input)];
  const notes = notesSection(input.notes, budget.notesTokens, input.tools === true);
  if (notes) sections.push(notes);
  if (input.place && input.place.trim() !== '') {
    sections.push(`Where the person is now in Railbook:\n${clipToTokens(input.place.trim(), budget.placeTokens)}`);
  }
  const { text: passagesText, used } = passagesSection(input.passages ?? [], budget.passagesTokens);
  if (passagesText) sections.push(passagesText);
  if (input.summary.text.trim() !== '') {
    sections.push(`A summary of the earlier part of this conversation:\n${clipToTokens(input.summary.text.trim(), budget.summaryTokens)}`);
  }
  const system: ChatMessage = { role: 'system', content: sections.join('\n\n') };

  // The question always goes, cut if it alone would not fit (it is stored whole).
  const systemTokens = messageTokens(system);
  const questionRoom = Math.max(16, promptBudget - systemTokens - 8);
  const question: ChatMessage = { role: 'user', content: clipToTokens(input.message, questionRoom) };
  let room = promptBudget - systemTokens - messageTokens(question);

  const kept: ChatMessage[] = [];
  let firstKept = input.turns.length;
  for (let i = input.turns.length - 1; i >= 0; i--) {
    const m = turnMessage(input.turns[i]!);
    if (m === undefined) {
      firstKept = i;
      continue;
    }
    const cost = messageTokens(m);
    if (cost > room) break;
    room -= cost;
    kept.push(m);
    firstKept = i;
  }
  kept.reverse();
  const messages = [system, ...kept, question];
  return {
    messages,
    tokens: messages.reduce((n, m) => n + messageTokens(m), 0),
    left: input.turns.slice(0, firstKept),
    passages: used,
  };
}

function identity(input: ContextInput): string {
  const lines = [
    `You are ${input.personaName}, the assistant inside Railbook, a local app where a person runs step-by-step workflows.`,
    'Answer plainly and briefly; use Markdown when it helps.',
  ];
  const own = input.systemPrompt?.trim();
  return own ? `${lines.join(' ')}\n\n${own}` : lines.join(' ');
}

function notesSection(notes: readonly Note[], tokens: number, tools: boolean): string | undefined {
  const head = tools
    ? 'Notes you keep about the person (change them with the remember and forget tools; keep facts worth keeping, not the conversation):'
    : 'Notes you keep about the person:';
  if (notes.length === 0) {
    return tools ? 'You keep notes about the person with the remember, recall and forget tools; there are none yet.' : undefined;
  }
  let room = tokens - estimateTokens(head);
  const lines: string[] = [];
  for (const n of notes) {
    const line = `- ${n.key}: ${n.value.replace(/\s*\n\s*/g, ' ')}`;
    const cost = estimateTokens(line) + 1;
    // A long note that does not fit is left out; shorter, older ones may still fit.
    if (cost > room) continue;
    room -= cost;
    lines.push(line);
  }
  if (lines.length < notes.length) lines.push(`(${notes.length - lines.length} more: use recall to read them)`);
  return lines.length ? `${head}\n${lines.join('\n')}` : undefined;
}

function passagesSection(passages: readonly Citation[], tokens: number): { text: string | undefined; used: Citation[] } {
  if (passages.length === 0) return { text: undefined, used: [] };
  const head = "Passages from the person's documents. When you use one, cite it by its number, like [1]:";
  let room = tokens - estimateTokens(head);
  const lines: string[] = [];
  const used: Citation[] = [];
  for (const p of passages) {
    const label = p.title ? `${p.title} (${p.source})` : p.source;
    const prefix = `[${p.n}] ${label}: `;
    const left = room - estimateTokens(prefix) - 1;
    if (left < 16) break;
    const line = prefix + clipToTokens(p.excerpt.replace(/\s+/g, ' ').trim(), left);
    room -= estimateTokens(line) + 1;
    lines.push(line);
    used.push(p);
  }
  return lines.length ? { text: `${head}\n${lines.join('\n')}`, used } : { text: undefined, used };
}

/** A stored turn as the model reads it; undefined for one with nothing to say (a failure with no text). */
export function turnMessage(t: StoredTurn): ChatMessage | undefined {
  if (t.content.trim() === '') return undefined;
  if (t.role === 'user') return { role: 'user', content: t.content };
  if (t.role === 'comment') {
    const step = t.place?.stepId ? ` on the step "${t.place.stepId}"` : '';
    const run = t.place?.runKey ? ` of the run ${t.place.runKey}` : '';
    return { role: 'assistant', content: `(My comment${step}${run}:) ${t.content}` };
  }
  return { role: 'assistant', content: t.status === 'stopped' ? `${t.content} [stopped by the person]` : t.content };
}
