/**
 * Which provider to talk to, in the order issue 8 gives: a provider set explicitly is used as
 * configured; otherwise Ollama on its default port if it answers, else a configured server, else
 * the embedded model if a GGUF file is configured, else plain words on how to get a model.
 * Nothing here ever quotes the API key: the providers redact it from their own messages.
 */
import type { AiSettings, Sourced } from './ai-settings.ts';
import { AI_ENV } from './ai-settings.ts';
import { LlamaProvider } from './llama.ts';
import { DEFAULT_OLLAMA_URL, OllamaProvider } from './ollama.ts';
import { OpenAiProvider } from './openai.ts';
import type { Provider } from './provider.ts';
import { messageOf } from './wire.ts';

export interface ChooseOptions {
  /** Injected fetch for the providers (tests, proxies); default the global one. */
  fetch?: typeof fetch | undefined;
  /** Where to look for Ollama when no provider is set; default http://127.0.0.1:11434. */
  ollamaUrl?: string | undefined;
  signal?: AbortSignal | undefined;
}

export type Choice =
  | { provider: Provider; why: string }
  /** No model to talk to: `help` says, for a person, why and what to do. */
  | { provider: undefined; help: string };

/** Suggested in the help when no model is configured: small enough for a laptop. */
export const SUGGESTED_CHAT_MODEL = 'gemma3:1b';
export const SUGGESTED_EMBED_MODEL = 'nomic-embed-text';

export async function chooseProvider(settings: AiSettings, opts: ChooseOptions = {}): Promise<Choice> {
  const ollamaUrl = opts.ollamaUrl ?? DEFAULT_OLLAMA_URL;
  const baseUrl = settings.baseUrl.value;
  const apiKey = settings.apiKey.value;
  const kind = settings.provider.value;
  const said = `${origin(settings.provider, 'provider')} is ${kind ?? ''}`;

  // Set explicitly: used as configured, without probing. A provider that does not answer then says
  // so, with what to do, on its first request.
  if (kind === 'ollama') {
    const url = baseUrl ?? ollamaUrl;
    return { provider: new OllamaProvider({ baseUrl: url, fetch: opts.fetch }), why: `${said}: Ollama at ${url}` };
  }
  if (kind === 'openai') {
    if (baseUrl === undefined) {
      return {
        provider: undefined,
        help: [
          `${said} (an OpenAI-compatible server), but no base URL is set.`,
          `Set ${AI_ENV.baseUrl} to the server's address, ending in /v1, for example:`,
          ...SERVER_EXAMPLES,
          `and ${AI_ENV.apiKey} if the server needs a key.`,
        ].join('\n'),
      };
    }
    return { provider: new OpenAiProvider({ baseUrl, apiKey, fetch: opts.fetch }), why: `${said}: the OpenAI-compatible server at ${baseUrl}` };
  }
  if (kind === 'llama') {
    const file = settings.modelFile.value;
    if (file === undefined) {
      return {
        provider: undefined,
        help: [`${said} (the embedded llama.cpp), but no model file is set: set ${AI_ENV.modelFile} to a GGUF file.`, '', howToGetGguf(settings)].join('\n'),
      };
    }
    return { provider: new LlamaProvider({ modelFile: file }), why: `${said}: the embedded llama.cpp with ${file}` };
  }

  // Nothing set: look. Both probes run at once; the order decides, not which answers first.
  const ollama = new OllamaProvider({ baseUrl: ollamaUrl, fetch: opts.fetch });
  const server = baseUrl === undefined ? undefined : new OpenAiProvider({ baseUrl, apiKey, fetch: opts.fetch });
  const [ollamaHealth, serverHealth] = await Promise.all([ollama.health(opts.signal), server?.health(opts.signal)]);
  if (ollamaHealth.ok) return { provider: ollama, why: `found ${ollamaHealth.detail}` };

  const notes = [`- ${ollamaHealth.detail}`];
  if (server && serverHealth && baseUrl !== undefined) {
    if (serverHealth.ok) return { provider: server, why: `${origin(settings.baseUrl, 'baseUrl')}: ${serverHealth.detail}` };
    // People point the base URL at an Ollama elsewhere (another machine, another port) too: its
    // address has no path, where OpenAI-compatible ones end in /v1.
    if (new URL(baseUrl).pathname.replace(/\/+$/, '') === '') {
      const remote = new OllamaProvider({ baseUrl, fetch: opts.fetch });
      const remoteHealth = await remote.health(opts.signal);
      if (remoteHealth.ok) return { provider: remote, why: `${origin(settings.baseUrl, 'baseUrl')}: ${remoteHealth.detail}` };
    }
    notes.push(`- ${serverHealth.detail} (the server of ${origin(settings.baseUrl, 'baseUrl')})`);
  }

  // The file is checked (there, and a GGUF) but not loaded: loading waits for the first question.
  const file = settings.modelFile.value;
  if (file !== undefined) {
    const embedded = new LlamaProvider({ modelFile: file });
    try {
      await embedded.models();
      return { provider: embedded, why: `${origin(settings.modelFile, 'modelFile')}: the embedded llama.cpp with ${file}` };
    } catch (e) {
      notes.push(`- ${messageOf(e)}`);
    }
  }
  return { provider: undefined, help: [`No AI model is available. What was tried:`, ...notes, '', howToGetOne(settings)].join('\n') };
}

const SERVER_EXAMPLES = [
  '    LM Studio           http://127.0.0.1:1234/v1',
  "    llama.cpp's server  http://127.0.0.1:8080/v1   (llama-server -m model.gguf)",
  '    vLLM                http://127.0.0.1:8000/v1',
];

/** The plain steps to a working model, for a fresh install. */
export function howToGetOne(settings: AiSettings): string {
  const chat = settings.chatModel.value ?? SUGGESTED_CHAT_MODEL;
  const embed = settings.embedModel.value ?? SUGGESTED_EMBED_MODEL;
  return [
    'To get a model, do one of these:',
    '  1. Install Ollama (https://ollama.com/download), then download a model:',
    `       ollama pull ${shellWord(chat)}`,
    `       ollama pull ${shellWord(embed)}     (for document memory)`,
    '     Railbook finds Ollama on its default port (11434) by itself.',
    `  2. Or point ${AI_ENV.baseUrl} at an OpenAI-compatible server, for example:`,
    ...SERVER_EXAMPLES.map((l) => `   ${l}`),
    `     (and ${AI_ENV.apiKey} if it needs a key; ${AI_ENV.chatModel} names the model to use).`,
    `  3. Or set ${AI_ENV.modelFile} to a GGUF file on this machine: Railbook runs it itself`,
    '     (embedded llama.cpp, no server to install).',
    ...GGUF_WHERE.map((l) => `  ${l}`),
    'The Settings page saves the same settings; the environment variables win over saved ones.',
  ].join('\n');
}

/** Where GGUF files come from, for help texts. */
const GGUF_WHERE = [
  '   GGUF files are on Hugging Face (https://huggingface.co/models?library=gguf), for example',
  '   a Q4_K_M file of Gemma 3 1B or Qwen 3 1.7B (about 1 GB); download one and point at it.',
];

/** The help when the embedded provider is chosen without a file. */
function howToGetGguf(settings: AiSettings): string {
  const chat = settings.chatModel.value ?? SUGGESTED_CHAT_MODEL;
  return [
    `Set ${AI_ENV.modelFile} (or the model file on the Settings page) to the path of a GGUF file.`,
    ...GGUF_WHERE,
    'Or, instead of the embedded provider, use',
    `  - Ollama (https://ollama.com/download, then  ollama pull ${shellWord(chat)}): set ${AI_ENV.provider}=ollama,`,
    '    or leave it unset and Railbook finds Ollama by itself;',
    `  - an OpenAI-compatible server: set ${AI_ENV.provider}=openai and ${AI_ENV.baseUrl}, for example:`,
    ...SERVER_EXAMPLES.map((l) => `  ${l}`),
  ].join('\n');
}

/** Where a setting came from, as a person would look for it. */
function origin(s: Sourced<unknown>, field: keyof typeof AI_ENV): string {
  const name = AI_ENV[field] ?? field;
  return s.source === 'env' ? name : `the saved setting ${field}`;
}

/** A word a shell takes as it is, quoted when it has anything special. */
function shellWord(s: string): string {
  return /^[\w./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
