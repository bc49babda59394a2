import type { Child } from 'hono/jsx';
import type { ChatReadiness } from '../../ai/chat/chat-types.ts';
import { AI_ENV, PROVIDER_KINDS, type AiSettingField, type PublicAiSettings } from '../../ai/ai-settings.ts';
import { Csrf, Layout, type Chrome } from './layout.tsx';

// The Settings page: the AI provider, its models and the assistant's persona. The API key is a
// secret the page never holds: its field is always empty, and the page says only whether one is
// saved. A value set by an environment variable wins over the saved one, so it is shown read-only.

/** The form's text values (never the API key). */
export type SettingsValues = Record<Exclude<AiSettingField, 'apiKey'>, string>;

export interface SettingsPageModel {
  chrome: Chrome;
  csrf: string;
  /** The settings in force; undefined when they could not be read (see loadError). */
  settings: PublicAiSettings | undefined;
  /** What the form shows: the saved values, or what was just sent when it was refused. */
  values: SettingsValues;
  /** Fields set by the environment (read-only here). */
  fromEnv: Partial<Record<AiSettingField, string>>;
  /** Whether a key is saved (the key itself never reaches this page). */
  keySaved: boolean;
  errors: Partial<Record<AiSettingField | 'form', string>>;
  loadError?: string | undefined;
  saved?: boolean | undefined;
  /** The result of "Test connection". */
  test?: { readiness: ChatReadiness; models: string[] | undefined; modelsError?: string | undefined } | undefined;
  /** The provider's models, for the model fields' suggestions. */
  models: string[];
}

const PROVIDER_LABEL: Record<string, string> = {
  '': 'Automatic: Ollama if it answers, else a configured server, else a model file',
  ollama: 'Ollama',
  openai: 'OpenAI-compatible server (LM Studio, llama.cpp server, vLLM, a hosted service)',
  llama: 'Embedded llama.cpp with a GGUF model file',
};

export function SettingsPage({ m }: { m: SettingsPageModel }): Child {
  const field = (name: Exclude<AiSettingField, 'apiKey' | 'systemPrompt' | 'provider'>, label: string, opts: { hint?: string; list?: string; type?: string; placeholder?: string } = {}) => {
    const env = m.fromEnv[name];
    const id = `ai-${name}`;
    const err = m.errors[name];
    const hintId = `${id}-hint`;
    return (
      <div class="setting">
        <label for={id}>{label}</label>
        {env ? (
          <>
            <input id={id} type="text" value={m.values[name]} readonly aria-readonly="true" aria-describedby={hintId} />
            <small id={hintId} class="setting-env">set by {env}</small>
          </>
        ) : (
          <>
            <input
              id={id}
              name={name}
              type={opts.type ?? 'text'}
              value={m.values[name]}
              list={opts.list}
              placeholder={opts.placeholder}
              aria-invalid={err ? 'true' : undefined}
              aria-describedby={err || opts.hint ? hintId : undefined}
              autocomplete="off"
            />
            {err ? <small id={hintId} class="field-error">{err}</small> : opts.hint ? <small id={hintId}>{opts.hint}</small> : null}
          </>
        )}
      </div>
    );
  };

  const keyEnv = m.fromEnv.apiKey;
  const providerEnv = m.fromEnv.provider;
  const promptEnv = m.fromEnv.systemPrompt;
  return (
    <Layout chrome={m.chrome} title="Settings">
      <h1>Settings</h1>
      <p class="muted">The AI model the chat talks to, and how the assistant introduces itself. Values set by an environment variable (<code>RAILBOOK_AI_…</code>) win over these and are shown read-only.</p>
      {m.saved ? <p class="notice" role="status">Saved.</p> : null}
      {m.loadError ? <p class="notice settings-load-error" role="alert">{m.loadError}</p> : null}
      {m.errors.form ? <p class="notice" role="alert">{m.errors.form}</p> : null}

      <section class="settings-health" aria-labelledby="settings-test-title">
        <h2 id="settings-test-title">Connection</h2>
        {m.test ? <TestResult t={m.test} /> : <p class="muted">Test whether the saved settings reach a model.</p>}
        <form method="get" action="/settings#settings-test-title">
          <input type="hidden" name="test" value="1" />
          <button type="submit" class="secondary">Test connection</button>
        </form>
      </section>

      <form method="post" action="/settings" class="settings-form" novalidate>
        <Csrf token={m.csrf} />
        <h2>Provider</h2>
        <div class="setting">
          <label for="ai-provider">Provider</label>
          {providerEnv ? (
            <>
              <input id="ai-provider" type="text" value={m.values.provider} readonly aria-readonly="true" aria-describedby="ai-provider-hint" />
              <small id="ai-provider-hint" class="setting-env">set by {providerEnv}</small>
            </>
          ) : (
            <>
              <select id="ai-provider" name="provider" aria-invalid={m.errors.provider ? 'true' : undefined} aria-describedby={m.errors.provider ? 'ai-provider-hint' : undefined}>
                {['', ...PROVIDER_KINDS].map((k) => (
                  <option value={k === '' ? 'auto' : k} selected={m.values.provider === k}>{PROVIDER_LABEL[k] ?? k}</option>
                ))}
              </select>
              {m.errors.provider ? <small id="ai-provider-hint" class="field-error">{m.errors.provider}</small> : null}
            </>
          )}
        </div>
        {field('baseUrl', 'Base URL', { type: 'url', placeholder: 'http://127.0.0.1:11434 or http://127.0.0.1:1234/v1', hint: 'Ollama\'s address, or an OpenAI-compatible server\'s (ending in /v1). Empty: Ollama on its default port.' })}
        <div class="setting">
          <label for="ai-apiKey">API key</label>
          {keyEnv ? (
            <>
              <input id="ai-apiKey" type="password" value="" readonly aria-readonly="true" aria-describedby="ai-apiKey-hint" />
              <small id="ai-apiKey-hint" class="setting-env">set by {keyEnv}</small>
            </>
          ) : (
            <>
              <input
                id="ai-apiKey"
                name="apiKey"
                type="password"
                value=""
                autocomplete="new-password"
                aria-invalid={m.errors.apiKey ? 'true' : undefined}
                aria-describedby="ai-apiKey-hint"
              />
              {m.errors.apiKey ? (
                <small id="ai-apiKey-hint" class="field-error">{m.errors.apiKey}</small>
              ) : (
                <small id="ai-apiKey-hint">{m.keySaved ? 'A key is saved — leave this empty to keep it.' : 'Only for servers that need one. It is stored in the data folder and never shown again.'}</small>
              )}
              {m.keySaved ? (
                <label class="setting-check">
                  <input type="checkbox" name="removeApiKey" value="1" /> Remove the saved key
                </label>
              ) : null}
            </>
          )}
        </div>

        <h2>Models</h2>
        {field('chatModel', 'Chat model', { list: 'ai-models', placeholder: 'gemma3:1b', hint: 'The model that answers in the chat.' })}
        {field('embedModel', 'Embedding model', { list: 'ai-models', placeholder: 'nomic-embed-text', hint: 'Used for the memory\'s documents. Changing it re-embeds the memory in the background; the old vectors serve until the new ones are complete.' })}
        {field('modelFile', 'Model file (GGUF)', { placeholder: '/path/to/model.gguf', hint: 'For the embedded llama.cpp provider: the path of a GGUF file on this machine.' })}
        <datalist id="ai-models">
          {m.models.map((id) => <option value={id}></option>)}
        </datalist>

        <h2>Assistant</h2>
        {field('personaName', 'Persona name', { hint: 'What the assistant calls itself.' })}
        <div class="setting">
          <label for="ai-systemPrompt">System prompt</label>
          {promptEnv ? (
            <>
              <textarea id="ai-systemPrompt" rows={6} readonly aria-readonly="true" aria-describedby="ai-systemPrompt-hint">{m.values.systemPrompt}</textarea>
              <small id="ai-systemPrompt-hint" class="setting-env">set by {promptEnv}</small>
            </>
          ) : (
            <>
              <textarea id="ai-systemPrompt" name="systemPrompt" rows={6} aria-invalid={m.errors.systemPrompt ? 'true' : undefined} aria-describedby="ai-systemPrompt-hint">{m.values.systemPrompt}</textarea>
              {m.errors.systemPrompt ? (
                <small id="ai-systemPrompt-hint" class="field-error">{m.errors.systemPrompt}</small>
              ) : (
                <small id="ai-systemPrompt-hint">Added to the assistant's instructions in every conversation. Empty: the built-in one.</small>
              )}
            </>
          )}
        </div>
        <button type="submit">Save settings</button>
      </form>
    </Layout>
  );
}

function TestResult({ t }: { t: NonNullable<SettingsPageModel['test']> }): Child {
  const r = t.readiness;
  return (
    <div class={`settings-test ${r.ready ? 'is-ready' : 'is-not-ready'}`} role="status">
      <p><strong>{r.ready ? 'Connected' : 'Not ready'}</strong>: {r.detail}</p>
      {r.help ? <p class="chat-help">{r.help}</p> : null}
      {t.models ? (
        t.models.length ? <p>The provider has {t.models.length} model{t.models.length === 1 ? '' : 's'}: {t.models.join(', ')}.</p> : <p>The provider lists no models.</p>
      ) : t.modelsError ? <p class="muted">Models could not be listed: {t.modelsError}</p> : null}
    </div>
  );
}

/** The environment variable of each field that one sets right now. */
export function envSetFields(env: NodeJS.ProcessEnv): Partial<Record<AiSettingField, string>> {
  const out: Partial<Record<AiSettingField, string>> = {};
  for (const [f, name] of Object.entries(AI_ENV) as [AiSettingField, string][]) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') out[f] = name;
  }
  return out;
}
