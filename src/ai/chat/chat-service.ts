/**
 * The chat's core, one per data folder: a turn stores the person's message, builds the budgeted
 * context (context.ts), streams the model's answer with the note tools (tools.ts), stores the
 * answer however it ends, and afterwards folds turns that no longer fit into the running summary
 * (summary.ts). The web pane and `railbook chat` both talk to this, so they share one memory.
 * The provider is chosen again whenever the settings change.
 */
import type { AiSettings } from '../ai-settings.ts';
import { chooseProvider, type Choice } from '../choose-provider.ts';
import type { Conversations } from '../memory/conversation.ts';
import type { Notes } from '../memory/notes.ts';
import { ProviderError, type ChatMessage, type Provider, type ToolCall } from '../provider.ts';
import { chatModelOf } from './chat-model.ts';
import type { ChatEvent, ChatPlace, ChatReadiness, ChatService, ChatTurnRequest, Citation, StoredTurn } from './chat-types.ts';
import { buildContext, resolveBudget, type ContextBudget } from './context.ts';
import { foldIntoSummary } from './summary.ts';
import { NOTE_TOOLS, runNoteTool } from './tools.ts';
import { messageOf } from '../wire.ts';

export interface ChatServiceDeps {
  conversations: Conversations;
  notes: Notes;
  /** The AI settings in force (read again for every turn: the Settings page may change them). */
  settings: () => Promise<AiSettings>;
  /** Default: chooseProvider(settings), as at start-up. */
  choose?: ((settings: AiSettings) => Promise<Choice>) | undefined;
  /** Where the person is, in words (place.ts describePlace); a failure leaves it out. */
  place?: ((place: ChatPlace) => Promise<string | undefined>) | undefined;
  /** Passages from the vector memory for the message, numbered [n]; a failure leaves them out. */
  retrieve?: ((query: string, signal?: AbortSignal) => Promise<Citation[]>) | undefined;
  budget?: Partial<ContextBudget> | undefined;
  /** Rounds of tool calls one turn may take before the model must answer in words. Default 4. */
  maxToolRounds?: number | undefined;
  /** What background work (the summary) does with a failure; default: nothing (it is tried again later). */
  onBackgroundError?: ((err: unknown) => void) | undefined;
}

export interface RailbookChatService extends ChatService {
  readonly conversations: Conversations;
  readonly notes: Notes;
  /** Forgets the chosen provider: the next turn chooses again. */
  refresh(): void;
  /** Resolves when background work (summaries) has finished: before closing the memory. */
  idle(): Promise<void>;
}

type Outcome = { reason: 'stop' | 'length' | 'aborted' } | { reason: 'error'; error: string };

export function createChatService(deps: ChatServiceDeps): RailbookChatService {
  const { conversations, notes } = deps;
  const budget = resolveBudget(deps.budget);
  const maxToolRounds = Math.max(0, deps.maxToolRounds ?? 4);
  const choose = deps.choose ?? ((s: AiSettings) => chooseProvider(s));
  const background = new Set<Promise<void>>();
  const summarising = new Set<number>();
  let cached: { key: string; choice: Promise<Choice> } | undefined;

  /** The provider for these settings; only a found provider is kept (a model may be started later). */
  function chosen(settings: AiSettings): Promise<Choice> {
    const key = JSON.stringify(settings);
    if (cached?.key !== key) {
      const choice = choose(settings);
      const entry = { key, choice };
      cached = entry;
      const forget = () => {
        if (cached === entry) cached = undefined;
      };
      choice.then((c) => (c.provider ? undefined : forget()), forget);
    }
    return cached.choice;
  }

  function later(work: () => Promise<void>): void {
    const p = work().catch((err: unknown) => deps.onBackgroundError?.(err));
    background.add(p);
    void p.finally(() => background.delete(p));
  }

  function summarise(provider: Provider, model: string, conversationId: number, left: StoredTurn[]): void {
    // One fold at a time per conversation; turns left now are folded by a later one.
    if (left.length === 0 || summarising.has(conversationId)) return;
    summarising.add(conversationId);
    later(async () => {
      try {
        await foldIntoSummary({
          provider,
          model,
          conversations,
          conversationId,
          turns: left,
          summaryTokens: budget.summaryTokens,
          inputTokens: budget.contextTokens - budget.summaryTokens,
        });
      } finally {
        summarising.delete(conversationId);
      }
    });
  }

  async function* turn(req: ChatTurnRequest): AsyncGenerator<ChatEvent> {
    if (req.message.trim() === '') {
      yield { type: 'done', reason: 'error', message: 'There is no message to send.' };
      return;
    }
    const conversationId = conversations.current(req.profile);
    const userTurn = conversations.addTurn(conversationId, { role: 'user', content: req.message, status: 'done', place: req.place });
    yield { type: 'start', conversationId, userTurnId: userTurn.id };

    let settings: AiSettings;
    let provider: Provider;
    let model: string;
    try {
      settings = await deps.settings();
      const choice = await chosen(settings);
      if (!choice.provider) {
        yield { type: 'done', reason: 'error', message: choice.help };
        return;
      }
      provider = choice.provider;
      const m = await chatModelOf(settings, provider, req.signal);
      if (m.model === undefined) {
        yield { type: 'done', reason: 'error', message: m.help };
        return;
      }
      model = m.model;
    } catch (e) {
      yield { type: 'done', reason: 'error', message: messageOf(e) };
      return;
    }

    const [place, found] = await Promise.all([
      req.place && deps.place ? deps.place(req.place).catch(() => undefined) : undefined,
      deps.retrieve ? deps.retrieve(req.message, req.signal).catch((): Citation[] => []) : [],
    ]);
    const summary = conversations.summary(conversationId);
    const ctx = buildContext({
      personaName: settings.personaName.value,
      systemPrompt: settings.systemPrompt.value,
      notes: notes.list(),
      place,
      passages: found,
      summary,
      turns: conversations.turns(conversationId, { afterId: summary.upto }).filter((t) => t.id !== userTurn.id),
      message: req.message,
      budget,
      tools: maxToolRounds > 0,
    });

    // Our own controller: the person's signal stops the model, and so does a consumer that goes away.
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    if (req.signal?.aborted) controller.abort();

    let text = '';
    let stored: StoredTurn | undefined;
    const store = (outcome: Outcome): StoredTurn => {
      stored ??= conversations.addTurn(conversationId, {
        role: 'assistant',
        content: text,
        status: outcome.reason === 'aborted' ? 'stopped' : outcome.reason === 'error' ? 'failed' : 'done',
        error: outcome.reason === 'error' ? outcome.error : undefined,
        place: req.place,
        model,
        citations: ctx.passages,
      });
      return stored;
    };

    const messages: ChatMessage[] = [...ctx.messages];
    let outcome: Outcome | undefined;
    try {
      for (let round = 0; outcome === undefined; round++) {
        const offerTools = round < maxToolRounds;
        const calls: ToolCall[] = [];
        let said = '';
        let reason: 'stop' | 'length' | 'tool_calls' | 'aborted' = 'stop';
        for await (const chunk of provider.chat({ model, messages, tools: offerTools ? [...NOTE_TOOLS] : undefined, maxTokens: budget.answerTokens, signal: controller.signal })) {
          if (chunk.type === 'token') {
            text += chunk.text;
            said += chunk.text;
            yield { type: 'token', text: chunk.text };
          } else if (chunk.type === 'tool_call') {
            calls.push(chunk.call);
          } else {
            reason = chunk.reason;
          }
        }
        if (reason === 'aborted' || controller.signal.aborted) {
          outcome = { reason: 'aborted' };
        } else if (calls.length > 0 && offerTools) {
          messages.push({ role: 'assistant', content: said, toolCalls: calls });
          for (const call of calls) {
            const done = runNoteTool(notes, call);
            yield { type: 'tool', name: call.name, summary: done.summary };
            messages.push({ role: 'tool', content: done.result, toolCallId: call.id, name: call.name });
          }
        } else {
          outcome = { reason: reason === 'length' ? 'length' : 'stop' };
        }
      }
    } catch (e) {
      if (controller.signal.aborted) outcome = { reason: 'aborted' };
      else {
        outcome = { reason: 'error', error: messageOf(e) };
        // Nothing answers there any more: look again next time (Ollama may have moved or stopped).
        if (e instanceof ProviderError && e.kind === 'unreachable') cached = undefined;
      }
    } finally {
      req.signal?.removeEventListener('abort', onAbort);
      if (outcome === undefined) {
        // The consumer went away mid-answer: keep what came, as stopped.
        controller.abort();
        store({ reason: 'aborted' });
      }
    }

    const saved = store(outcome);
    if (ctx.passages.length > 0) yield { type: 'citations', citations: ctx.passages };
    if (outcome.reason === 'error') {
      yield { type: 'done', reason: 'error', assistantTurnId: saved.id, message: outcome.error };
    } else {
      yield { type: 'done', reason: outcome.reason, assistantTurnId: saved.id };
    }
    // After the answer: the summary never delays a first token, and its failure fails nothing.
    if (outcome.reason !== 'error') summarise(provider, model, conversationId, ctx.left);
  }

  return {
    conversations,
    notes,
    turn,
    async history(profile, opts = {}) {
      return conversations.history(profile, opts.limit);
    },
    async search(profile, query, opts = {}) {
      return conversations.search(profile, query, opts.limit ?? 50);
    },
    async clearConversation(profile) {
      conversations.clear(conversations.current(profile));
    },
    async exportConversations(profile) {
      return conversations.exportAll(profile);
    },
    async newConversation(profile) {
      return conversations.newConversation(profile);
    },
    async readiness(signal): Promise<ChatReadiness> {
      try {
        const settings = await deps.settings();
        const choice = await chosen(settings);
        if (!choice.provider) return { ready: false, detail: choice.help.split('\n')[0] ?? 'No AI model is available.', help: choice.help };
        const health = await choice.provider.health(signal);
        if (!health.ok) {
          cached = undefined;
          return { ready: false, detail: health.detail, help: `${health.detail}\nStart it, or choose another provider on the Settings page.` };
        }
        const m = await chatModelOf(settings, choice.provider, signal);
        if (m.model === undefined) return { ready: false, detail: `${health.detail} · no chat model chosen`, help: m.help };
        return { ready: true, detail: `${health.detail} · ${m.model}` };
      } catch (e) {
        return { ready: false, detail: messageOf(e) };
      }
    },
    refresh() {
      cached = undefined;
    },
    async idle() {
      while (background.size > 0) await Promise.allSettled([...background]);
    },
  };
}

