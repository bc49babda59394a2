/**
 * The AI settings: which provider, where it is, its API key, the chat and embedding models, a
 * GGUF file for the embedded provider, and the assistant's persona. Saved in the store's settings
 * (keys `ai.*`, outside run state) by the Settings page; for scripts and servers the environment
 * (`RAILBOOK_AI_*`) wins over what is saved. Every value says where it came from.
 *
 * The API key is a secret: it is never put in an error message, and `publicAiSettings` is the
 * only form of the settings to show, print or send to a browser.
 */
import type { Store } from '../store/store.ts';
import type { ProviderKind } from './provider.ts';

export type SettingSource = 'env' | 'saved' | 'default';

export interface Sourced<T> {
  value: T;
  source: SettingSource;
}

export interface AiSettings {
  /** Unset: the start-up order decides (see choose-provider.ts). */
  provider: Sourced<ProviderKind | undefined>;
  baseUrl: Sourced<string | undefined>;
  /** Secret: never shown; see publicAiSettings. */
  apiKey: Sourced<string | undefined>;
  chatModel: Sourced<string | undefined>;
  embedModel: Sourced<string | undefined>;
  /** A GGUF file for the embedded llama.cpp provider. */
  modelFile: Sourced<string | undefined>;
  personaName: Sourced<string>;
  systemPrompt: Sourced<string | undefined>;
}

/** The settings without the key: what may be shown, printed, logged or sent to a browser. */
export interface PublicAiSettings {
  provider: Sourced<ProviderKind | undefined>;
  baseUrl: Sourced<string | undefined>;
  apiKeySet: boolean;
  apiKeySource: SettingSource;
  chatModel: Sourced<string | undefined>;
  embedModel: Sourced<string | undefined>;
  modelFile: Sourced<string | undefined>;
  personaName: Sourced<string>;
  systemPrompt: Sourced<string | undefined>;
}

/**
 * A change to the saved settings. A field left out is kept; `null` clears it. For `apiKey`, an
 * empty string also keeps the saved key (a form shows the key's field empty once it is saved).
 */
export interface AiSettingsPatch {
  /** One of PROVIDER_KINDS; anything else is refused (the value usually comes from a form). */
  provider?: string | null | undefined;
  baseUrl?: string | null | undefined;
  apiKey?: string | null | undefined;
  chatModel?: string | null | undefined;
  embedModel?: string | null | undefined;
  modelFile?: string | null | undefined;
  personaName?: string | null | undefined;
  systemPrompt?: string | null | undefined;
}

/** What loadAiSettings needs of the store: its key/value settings. */
export type AiSettingsStore = Pick<Store, 'settings'>;

export type AiSettingField = keyof AiSettingsPatch;

/** A value that cannot be used; `field` names the setting, the message never quotes an API key. */
export class AiSettingsError extends Error {
  constructor(readonly field: AiSettingField, message: string) {
    super(message);
    this.name = 'AiSettingsError';
  }
}

export const PROVIDER_KINDS: readonly ProviderKind[] = ['ollama', 'openai', 'llama'];
export const DEFAULT_PERSONA_NAME = 'Railbook';

/** The environment variable of each setting that has one (the persona and prompt are saved only). */
export const AI_ENV: Readonly<Partial<Record<AiSettingField, string>>> = {
  provider: 'RAILBOOK_AI_PROVIDER',
  baseUrl: 'RAILBOOK_AI_BASE_URL',
  apiKey: 'RAILBOOK_AI_API_KEY',
  chatModel: 'RAILBOOK_AI_CHAT_MODEL',
  embedModel: 'RAILBOOK_AI_EMBED_MODEL',
  modelFile: 'RAILBOOK_AI_MODEL_FILE',
};

const FIELDS: readonly AiSettingField[] = ['provider', 'baseUrl', 'apiKey', 'chatModel', 'embedModel', 'modelFile', 'personaName', 'systemPrompt'];

const MODEL_NAME_MAX = 200;
const PERSONA_MAX = 100;
const SYSTEM_PROMPT_MAX = 20_000;
const API_KEY_MAX = 4096;
const PATH_MAX = 4096;
const URL_MAX = 2048;

/** C0 controls, DEL and C1 controls; a system prompt may keep its line breaks and tabs. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

const LABEL: Record<AiSettingField, string> = {
  provider: 'The provider',
  baseUrl: 'The base URL',
  apiKey: 'The API key',
  chatModel: 'The chat model',
  embedModel: 'The embedding model',
  modelFile: 'The model file',
  personaName: 'The persona name',
  systemPrompt: 'The system prompt',
};

/** The key under which a setting is saved. */
export function settingKey(field: AiSettingField): string {
  return `ai.${field}`;
}

/**
 * The settings in force: each from the environment if its variable is set (and not empty), else
 * saved, else the default. A value that cannot be used, from either, is an AiSettingsError that
 * names where it came from.
 */
export async function loadAiSettings(store: AiSettingsStore, env: NodeJS.ProcessEnv = process.env): Promise<AiSettings> {
  const saved = new Map<AiSettingField, string>();
  await Promise.all(
    FIELDS.map(async (f) => {
      const v = await store.settings.get(settingKey(f));
      // Cleared settings are stored as '' (the store has no delete).
      if (v !== undefined && v !== '') saved.set(f, v);
    }),
  );

  const pick = (field: AiSettingField): Sourced<string | undefined> => {
    const name = AI_ENV[field];
    const fromEnv = name === undefined ? undefined : env[name];
    if (fromEnv !== undefined && fromEnv.trim() !== '') {
      return { value: checked(field, fromEnv, 'env'), source: 'env' };
    }
    const fromSaved = saved.get(field);
    if (fromSaved !== undefined) return { value: checked(field, fromSaved, 'saved'), source: 'saved' };
    return { value: undefined, source: 'default' };
  };

  const provider = pick('provider');
  const persona = pick('personaName');
  return {
    provider: { value: provider.value as ProviderKind | undefined, source: provider.source },
    baseUrl: pick('baseUrl'),
    apiKey: pick('apiKey'),
    chatModel: pick('chatModel'),
    embedModel: pick('embedModel'),
    modelFile: pick('modelFile'),
    personaName: persona.value === undefined ? { value: DEFAULT_PERSONA_NAME, source: 'default' } : { value: persona.value, source: persona.source },
    systemPrompt: pick('systemPrompt'),
  };
}

/**
 * Validates the whole patch, then saves it in one transaction: every change is saved or none.
 * Throws AiSettingsError on the first value that cannot be used.
 */
export async function saveAiSettings(store: Pick<Store, 'tx'>, patch: AiSettingsPatch): Promise<void> {
  const writes: [AiSettingField, string][] = [];
  for (const field of FIELDS) {
    const v = patch[field];
    if (v === undefined) continue;
    if (v === null) {
      writes.push([field, '']);
      continue;
    }
    if (typeof v !== 'string') throw new AiSettingsError(field, `${LABEL[field]} must be text.`);
    // An empty key field means "leave the saved key as it is".
    if (field === 'apiKey' && v.trim() === '') continue;
    writes.push([field, checked(field, v, 'patch')]);
  }
  if (writes.length === 0) return;
  await store.tx(async (t) => {
    for (const [field, value] of writes) await t.settings.set(settingKey(field), value);
  });
}

/** The settings without the API key, for anything shown, printed, logged or sent to a browser. */
export function publicAiSettings(s: AiSettings): PublicAiSettings {
  return {
    provider: { ...s.provider },
    baseUrl: { ...s.baseUrl },
    apiKeySet: s.apiKey.value !== undefined && s.apiKey.value !== '',
    apiKeySource: s.apiKey.source,
    chatModel: { ...s.chatModel },
    embedModel: { ...s.embedModel },
    modelFile: { ...s.modelFile },
    personaName: { ...s.personaName },
    systemPrompt: { ...s.systemPrompt },
  };
}

/**
 * The value, trimmed (the system prompt is kept as written), or an AiSettingsError whose message
 * starts with where the value came from: the variable's name, "The saved …", or the setting.
 */
function checked(field: AiSettingField, raw: string, from: 'env' | 'saved' | 'patch'): string {
  const label = from === 'env' ? (AI_ENV[field] ?? LABEL[field]) : from === 'saved' ? `The saved ${LABEL[field].slice(4)}` : LABEL[field];
  const fail = (why: string) => new AiSettingsError(field, `${label} ${why}`);
  const value = field === 'systemPrompt' ? raw : raw.trim();
  if (value.trim() === '') throw fail('cannot be empty (clear it instead).');

  switch (field) {
    case 'provider':
      if (!(PROVIDER_KINDS as readonly string[]).includes(value)) {
        throw fail(`must be one of ${PROVIDER_KINDS.join(', ')}, not ${JSON.stringify(clip(value, 40))}.`);
      }
      return value;
    case 'baseUrl':
      return checkUrl(value, fail);
    case 'apiKey':
      // Never quote the key, not even a part of it.
      if (value.length > API_KEY_MAX) throw fail(`is longer than ${API_KEY_MAX} characters.`);
      if (CONTROL.test(value) || /\s/.test(value)) throw fail('contains spaces or control characters.');
      return value;
    case 'chatModel':
    case 'embedModel':
      if (value.length > MODEL_NAME_MAX) throw fail(`is longer than ${MODEL_NAME_MAX} characters.`);
      if (CONTROL.test(value)) throw fail('contains control characters.');
      return value;
    case 'modelFile':
      if (value.length > PATH_MAX) throw fail(`is longer than ${PATH_MAX} characters.`);
      if (CONTROL.test(value)) throw fail('contains control characters.');
      return value;
    case 'personaName':
      if (value.length > PERSONA_MAX) throw fail(`is longer than ${PERSONA_MAX} characters.`);
      if (CONTROL.test(value)) throw fail('contains control characters.');
      return value;
    case 'systemPrompt':
      if (value.length > SYSTEM_PROMPT_MAX) throw fail(`is longer than ${SYSTEM_PROMPT_MAX} characters.`);
      if (CONTROL_BUT_LINES.test(value)) throw fail('contains control characters.');
      return value;
  }
}

function checkUrl(value: string, fail: (why: string) => AiSettingsError): string {
  if (value.length > URL_MAX) throw fail(`is longer than ${URL_MAX} characters.`);
  if (CONTROL.test(value) || /\s/.test(value)) throw fail('contains spaces or control characters.');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail('is not a URL (e.g. http://127.0.0.1:1234/v1).');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`must start with http:// or https://, not ${url.protocol}//.`);
  // Credentials in the URL would be shown wherever the URL is (and fetch refuses them): the key has its own setting.
  if (url.username !== '' || url.password !== '') throw fail('must not contain a user name or password: set the API key instead.');
  if (url.search !== '' || url.hash !== '') throw fail('must not have a query (?…) or fragment (#…).');
  return value;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
