/**
 * Which model the chat talks to: the chat model setting; for the embedded provider the GGUF file
 * is the model. Without one, plain words on how to choose one, with the provider's own models
 * as suggestions when it lists them.
 */
import { AI_ENV, type AiSettings } from '../ai-settings.ts';
import { SUGGESTED_CHAT_MODEL } from '../choose-provider.ts';
import type { Provider } from '../provider.ts';

export type ModelChoice = { model: string } | { model: undefined; help: string };

/** Embedding-only models are no use for chatting; leave them out of the suggestions. */
const EMBEDDING = /embed|bge-|minilm|e5-/i;

export async function chatModelOf(settings: AiSettings, provider: Provider, signal?: AbortSignal): Promise<ModelChoice> {
  const set = settings.chatModel.value;
  if (set !== undefined) return { model: set };
  if (provider.kind === 'llama') return { model: settings.modelFile.value ?? 'default' };

  let offered: string[] = [];
  try {
    offered = (await provider.models(signal)).map((m) => m.id).filter((id) => !EMBEDDING.test(id));
  } catch {
    // The help stands without suggestions.
  }
  const example = offered[0] ?? SUGGESTED_CHAT_MODEL;
  const lines = [
    'No chat model is chosen.',
    `Choose one on the Settings page, or set ${AI_ENV.chatModel}, for example:`,
    `    ${AI_ENV.chatModel}=${example}`,
  ];
  if (offered.length > 0) {
    lines.push(`The provider has: ${offered.slice(0, 12).join(', ')}${offered.length > 12 ? ', …' : ''}.`);
  } else if (provider.kind === 'ollama') {
    lines.push(`Ollama has no chat model yet: download one with  ollama pull ${SUGGESTED_CHAT_MODEL}`);
  }
  return { model: undefined, help: lines.join('\n') };
}
