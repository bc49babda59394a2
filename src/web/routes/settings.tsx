import { Hono, type Context } from 'hono';
import type { ChatReadiness, ChatService } from '../../ai/chat/chat-types.ts';
import {
  AiSettingsError, loadAiSettings, publicAiSettings, saveAiSettings, settingKey,
  type AiSettingField, type AiSettingsPatch, type PublicAiSettings,
} from '../../ai/ai-settings.ts';
import { chooseProvider } from '../../ai/choose-provider.ts';
import type { Engine } from '../../engine/engine.ts';
import { HealthBadge } from '../views/health-badge.tsx';
import { envSetFields, SettingsPage, type SettingsPageModel, type SettingsValues } from '../views/settings.tsx';
import { chrome, noStore, settleWithin } from './common.ts';

/** How long the header's badge trusts the last answer: pages load often, providers are probed rarely. */
export const READINESS_TTL_MS = 5_000;
/** The badge and the pane wait this long for a provider's answer, then say "unknown". */
const READINESS_WAIT_MS = 2_000;
const MODELS_WAIT_MS = 2_000;

/** The chat's readiness, shared by the header's badge and the pane, kept for a few seconds. */
export class ReadinessCache {
  private last: { at: number; value: Promise<ChatReadiness> } | undefined;
  constructor(private readonly chat: ChatService, private readonly ttlMs = READINESS_TTL_MS) {}

  get(): Promise<ChatReadiness> {
    const now = Date.now();
    if (this.last && now - this.last.at < this.ttlMs) return this.last.value;
    const value = this.chat.readiness().catch((e: unknown): ChatReadiness => ({ ready: false, detail: e instanceof Error ? e.message : String(e) }));
    this.last = { at: now, value };
    return value;
  }

  /** Within `ms`, or undefined (the caller shows "unknown" rather than keep a page waiting). */
  within(ms = READINESS_WAIT_MS): Promise<ChatReadiness | undefined> {
    return settleWithin(this.get(), ms);
  }

  /** The settings changed: the next question asks the provider again. */
  clear(): void {
    this.last = undefined;
  }
}

export interface SettingsDeps {
  chat: ChatService;
  readiness: ReadinessCache;
  /** Where `RAILBOOK_AI_*` come from (default process.env). */
  env: NodeJS.ProcessEnv;
}

const TEXT_FIELDS = ['baseUrl', 'chatModel', 'embedModel', 'modelFile', 'personaName', 'systemPrompt'] as const;

/**
 * `/settings`: the AI settings form (a plain POST; saved → back to the page with "Saved", refused
 * → the page again with the message at the field), "Test connection" (a GET with `?test=1`), and
 * `/settings/health`, the header's badge (a fragment that the page fetches after it has loaded).
 */
export function settingsRoutes(engine: Engine, deps: SettingsDeps): Hono {
  const app = new Hono();

  app.get('/settings/health', async (c) => {
    noStore(c);
    return c.html(<HealthBadge r={await deps.readiness.within()} />);
  });

  app.get('/settings', async (c) => {
    noStore(c);
    const test = c.req.query('test') === '1';
    if (test) deps.readiness.clear();
    const m = await pageModel(c, engine, deps, { test });
    m.saved = c.req.query('saved') === '1' && !test;
    return c.html(<SettingsPage m={m} />);
  });

  app.post('/settings', async (c) => {
    const body = await c.req.parseBody();
    const fromEnv = envSetFields(deps.env);
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
    const patch: AiSettingsPatch = {};
    // A field the environment sets is not on the form; one that comes anyway is ignored.
    if (!fromEnv.provider) {
      const p = text('provider');
      if (p !== undefined) patch.provider = p === 'auto' || p.trim() === '' ? null : p;
    }
    for (const f of TEXT_FIELDS) {
      if (fromEnv[f]) continue;
      const v = text(f);
      if (v === undefined) continue;
      // An emptied field clears the setting (the default applies again).
      patch[f] = v.trim() === '' ? null : v;
    }
    if (!fromEnv.apiKey) {
      if (body.removeApiKey === '1') patch.apiKey = null;
      else {
        const k = text('apiKey');
        // Empty keeps the saved key (saveAiSettings says so too).
        if (k !== undefined && k.trim() !== '') patch.apiKey = k;
      }
    }
    try {
      await saveAiSettings(engine.store, patch);
    } catch (e) {
      if (!(e instanceof AiSettingsError)) throw e;
      noStore(c);
      const m = await pageModel(c, engine, deps, { test: false });
      // Show what was sent (never the key) with the message at its field.
      for (const f of TEXT_FIELDS) {
        const v = text(f);
        if (v !== undefined && !fromEnv[f]) m.values[f] = v;
      }
      const p = text('provider');
      if (p !== undefined && !fromEnv.provider) m.values.provider = p === 'auto' ? '' : p;
      m.errors[e.field] = e.message;
      m.errors.form = 'Nothing was saved: one value needs fixing.';
      return c.html(<SettingsPage m={m} />, 422);
    }
    deps.readiness.clear();
    (deps.chat as { refresh?: () => void }).refresh?.();
    return c.redirect('/settings?saved=1', 303);
  });

  return app;
}

async function pageModel(c: Context, engine: Engine, deps: SettingsDeps, opts: { test: boolean }): Promise<SettingsPageModel> {
  const fromEnv = envSetFields(deps.env);
  const ch = await chrome(c, engine);
  let settings: PublicAiSettings | undefined;
  let loadError: string | undefined;
  let values: SettingsValues;
  let models: string[] | undefined;
  let modelsError: string | undefined;
  try {
    const full = await loadAiSettings(engine.store, deps.env);
    settings = publicAiSettings(full);
    values = {
      provider: settings.provider.value ?? '',
      baseUrl: settings.baseUrl.value ?? '',
      chatModel: settings.chatModel.value ?? '',
      embedModel: settings.embedModel.value ?? '',
      modelFile: settings.modelFile.value ?? '',
      personaName: settings.personaName.value,
      systemPrompt: settings.systemPrompt.value ?? '',
    };
    // The provider's models, as suggestions: only if it answers quickly.
    const ac = new AbortController();
    const listing = (async () => {
      const choice = await chooseProvider(full, { signal: ac.signal });
      if (!choice.provider) return [];
      return (await choice.provider.models(ac.signal)).map((x) => x.id);
    })().catch((e: unknown) => {
      modelsError = e instanceof Error ? e.message : String(e);
      return undefined;
    });
    models = await settleWithin(listing, MODELS_WAIT_MS);
    if (models === undefined && modelsError === undefined) modelsError = 'the provider did not answer in time';
    ac.abort();
  } catch (e) {
    if (!(e instanceof AiSettingsError)) throw e;
    // A saved or environment value is unusable: say which, and still show the form to fix it.
    loadError = `${e.message} Fix it below (or in the environment) and save.`;
    values = await rawValues(engine, deps.env);
  }
  const m: SettingsPageModel = {
    chrome: ch,
    csrf: ch.csrf,
    settings,
    values,
    fromEnv,
    keySaved: settings ? settings.apiKeySet && settings.apiKeySource === 'saved' : (await engine.store.settings.get(settingKey('apiKey'))) ? true : false,
    errors: {},
    loadError,
    models: models ?? [],
  };
  if (opts.test) {
    const readiness = (await deps.readiness.within(10_000)) ?? { ready: false, detail: 'The provider did not answer within 10 seconds.' };
    m.test = { readiness, models, modelsError };
  }
  return m;
}

/** The values as stored or set, unchecked (the key is left out): for a form that must fix one. */
async function rawValues(engine: Engine, env: NodeJS.ProcessEnv): Promise<SettingsValues> {
  const fromEnv = envSetFields(env);
  const one = async (f: Exclude<AiSettingField, 'apiKey'>) => {
    const name = fromEnv[f];
    if (name) return env[name] ?? '';
    return (await engine.store.settings.get(settingKey(f))) ?? '';
  };
  return {
    provider: await one('provider'),
    baseUrl: await one('baseUrl'),
    chatModel: await one('chatModel'),
    embedModel: await one('embedModel'),
    modelFile: await one('modelFile'),
    personaName: await one('personaName'),
    systemPrompt: await one('systemPrompt'),
  };
}
