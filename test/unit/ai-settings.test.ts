// The AI settings on a real store (a SQLite file in a temp folder): the environment wins over
// saved settings, which win over the defaults; what cannot be used is refused, naming the setting;
// and the API key never shows: not in errors, not in the public form of the settings.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import {
  AiSettingsError,
  DEFAULT_PERSONA_NAME,
  loadAiSettings,
  publicAiSettings,
  saveAiSettings,
  settingKey,
  type AiSettingsPatch,
} from '../../src/ai/ai-settings.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/temp-engine.ts';

const KEY = 'sk-test-7f3a9c2e1b5d4-do-not-show';

/** A fresh store per test: settings left by one must not decide another. */
async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const tmp = tempDir('railbook-ai-settings-');
  const store = await Store.open(tmp.dir);
  try {
    await fn(store);
  } finally {
    await store.close();
    tmp.cleanup();
  }
}

async function refused(store: Store, patch: AiSettingsPatch, field: string, pattern?: RegExp): Promise<AiSettingsError> {
  let caught: unknown;
  try {
    await saveAiSettings(store, patch);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof AiSettingsError, `expected ${JSON.stringify(patch)} to be refused`);
  assert.equal(caught.field, field);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

describe('precedence: environment, then saved, then default', () => {
  test('a fresh store has only defaults', async () => {
    await withStore(async (store) => {
      const s = await loadAiSettings(store, {});
      assert.deepEqual(s.provider, { value: undefined, source: 'default' });
      assert.deepEqual(s.baseUrl, { value: undefined, source: 'default' });
      assert.deepEqual(s.apiKey, { value: undefined, source: 'default' });
      assert.deepEqual(s.chatModel, { value: undefined, source: 'default' });
      assert.deepEqual(s.embedModel, { value: undefined, source: 'default' });
      assert.deepEqual(s.modelFile, { value: undefined, source: 'default' });
      assert.deepEqual(s.personaName, { value: DEFAULT_PERSONA_NAME, source: 'default' });
      assert.deepEqual(s.systemPrompt, { value: undefined, source: 'default' });
    });
  });

  test('saved settings are read back as saved, under ai.* keys', async () => {
    await withStore(async (store) => {
      await saveAiSettings(store, {
        provider: 'openai',
        baseUrl: 'http://127.0.0.1:1234/v1',
        apiKey: KEY,
        chatModel: 'qwen2.5:7b',
        embedModel: 'nomic-embed-text',
        modelFile: '/models/tiny.gguf',
        personaName: 'Ada',
        systemPrompt: 'You help with runs.\nBe brief.',
      });
      assert.equal(await store.settings.get(settingKey('chatModel')), 'qwen2.5:7b');
      const s = await loadAiSettings(store, {});
      assert.deepEqual(s.provider, { value: 'openai', source: 'saved' });
      assert.deepEqual(s.baseUrl, { value: 'http://127.0.0.1:1234/v1', source: 'saved' });
      assert.deepEqual(s.apiKey, { value: KEY, source: 'saved' });
      assert.deepEqual(s.chatModel, { value: 'qwen2.5:7b', source: 'saved' });
      assert.deepEqual(s.embedModel, { value: 'nomic-embed-text', source: 'saved' });
      assert.deepEqual(s.modelFile, { value: '/models/tiny.gguf', source: 'saved' });
      assert.deepEqual(s.personaName, { value: 'Ada', source: 'saved' });
      assert.deepEqual(s.systemPrompt, { value: 'You help with runs.\nBe brief.', source: 'saved' });
    });
  });

  test('the environment wins over saved settings; an empty variable counts as unset', async () => {
    await withStore(async (store) => {
      await saveAiSettings(store, { provider: 'openai', baseUrl: 'http://127.0.0.1:1234/v1', apiKey: KEY, chatModel: 'saved-chat', embedModel: 'saved-embed', modelFile: '/saved.gguf' });
      const env = {
        RAILBOOK_AI_PROVIDER: 'ollama',
        RAILBOOK_AI_BASE_URL: 'http://gpu-box:11434',
        RAILBOOK_AI_API_KEY: 'env-key',
        RAILBOOK_AI_CHAT_MODEL: ' env-chat ',
        RAILBOOK_AI_EMBED_MODEL: '',
        RAILBOOK_AI_MODEL_FILE: '   ',
      };
      const s = await loadAiSettings(store, env);
      assert.deepEqual(s.provider, { value: 'ollama', source: 'env' });
      assert.deepEqual(s.baseUrl, { value: 'http://gpu-box:11434', source: 'env' });
      assert.deepEqual(s.apiKey, { value: 'env-key', source: 'env' });
      assert.deepEqual(s.chatModel, { value: 'env-chat', source: 'env' }, 'trimmed');
      assert.deepEqual(s.embedModel, { value: 'saved-embed', source: 'saved' });
      assert.deepEqual(s.modelFile, { value: '/saved.gguf', source: 'saved' });
    });
  });

  test('the environment alone, over an empty store', async () => {
    await withStore(async (store) => {
      const s = await loadAiSettings(store, { RAILBOOK_AI_EMBED_MODEL: 'all-minilm', RAILBOOK_AI_MODEL_FILE: '/m/tiny.gguf' });
      assert.deepEqual(s.embedModel, { value: 'all-minilm', source: 'env' });
      assert.deepEqual(s.modelFile, { value: '/m/tiny.gguf', source: 'env' });
      assert.deepEqual(s.chatModel, { value: undefined, source: 'default' });
    });
  });

  test('the persona and system prompt have no variable: the environment cannot change them', async () => {
    await withStore(async (store) => {
      await saveAiSettings(store, { personaName: 'Ada' });
      const s = await loadAiSettings(store, { RAILBOOK_AI_PERSONA_NAME: 'Eve', RAILBOOK_AI_SYSTEM_PROMPT: 'x' });
      assert.deepEqual(s.personaName, { value: 'Ada', source: 'saved' });
      assert.deepEqual(s.systemPrompt, { value: undefined, source: 'default' });
    });
  });
});

describe('saving', () => {
  test('a field left out is kept; null clears it back to the default', async () => {
    await withStore(async (store) => {
      await saveAiSettings(store, { chatModel: 'a', embedModel: 'b', personaName: 'Ada' });
      await saveAiSettings(store, { chatModel: 'c' });
      let s = await loadAiSettings(store, {});
      assert.equal(s.chatModel.value, 'c');
      assert.equal(s.embedModel.value, 'b');
      await saveAiSettings(store, { embedModel: null, personaName: null });
      s = await loadAiSettings(store, {});
      assert.deepEqual(s.embedModel, { value: undefined, source: 'default' });
      assert.deepEqual(s.personaName, { value: DEFAULT_PERSONA_NAME, source: 'default' });
      assert.equal(s.chatModel.value, 'c');
    });
  });

  test('an empty API key keeps the saved one; null clears it', async () => {
    await withStore(async (store) => {
      await saveAiSettings(store, { apiKey: KEY });
      await saveAiSettings(store, { apiKey: '', chatModel: 'm' });
      assert.equal((await loadAiSettings(store, {})).apiKey.value, KEY);
      await saveAiSettings(store, { apiKey: '   ' });
      assert.equal((await loadAiSettings(store, {})).apiKey.value, KEY);
      await saveAiSettings(store, { apiKey: null });
      assert.deepEqual((await loadAiSettings(store, {})).apiKey, { value: undefined, source: 'default' });
    });
  });

  test('the provider is one of ollama, openai, llama', async () => {
    await withStore(async (store) => {
      for (const p of ['ollama', 'openai', 'llama'] as const) {
        await saveAiSettings(store, { provider: p });
        assert.equal((await loadAiSettings(store, {})).provider.value, p);
      }
      await refused(store, { provider: 'gpt4all' }, 'provider', /must be one of ollama, openai, llama, not "gpt4all"/);
      await refused(store, { provider: '' }, 'provider', /cannot be empty/);
      await refused(store, { provider: 'OLLAMA' }, 'provider');
    });
  });

  test('the base URL is http(s) only, without credentials', async () => {
    await withStore(async (store) => {
      for (const ok of ['http://127.0.0.1:11434', 'https://api.example.com/v1', 'http://[::1]:8080/v1/']) {
        await saveAiSettings(store, { baseUrl: ok });
        assert.equal((await loadAiSettings(store, {})).baseUrl.value, ok);
      }
      await refused(store, { baseUrl: 'ftp://example.com/v1' }, 'baseUrl', /must start with http:\/\/ or https:\/\//);
      await refused(store, { baseUrl: 'file:///etc/passwd' }, 'baseUrl', /http/);
      await refused(store, { baseUrl: 'javascript:alert(1)' }, 'baseUrl', /http/);
      await refused(store, { baseUrl: 'localhost:1234' }, 'baseUrl');
      await refused(store, { baseUrl: 'not a url' }, 'baseUrl');
      await refused(store, { baseUrl: '' }, 'baseUrl', /cannot be empty/);
      await refused(store, { baseUrl: 'http://host/v1\nX-Injected: 1' }, 'baseUrl');
      const e = await refused(store, { baseUrl: 'http://me:hunter2@host/v1' }, 'baseUrl', /user name or password/);
      assert.doesNotMatch(e.message, /hunter2/);
      assert.equal((await loadAiSettings(store, {})).baseUrl.value, 'http://[::1]:8080/v1/', 'the refused values were not saved');
    });
  });

  test('model names: not empty, at most 200 characters, no control characters', async () => {
    await withStore(async (store) => {
      const longest = 'm'.repeat(200);
      await saveAiSettings(store, { chatModel: longest, embedModel: 'hf.co/org/model-GGUF:Q4_K_M' });
      const s = await loadAiSettings(store, {});
      assert.equal(s.chatModel.value, longest);
      assert.equal(s.embedModel.value, 'hf.co/org/model-GGUF:Q4_K_M');
      for (const field of ['chatModel', 'embedModel'] as const) {
        await refused(store, { [field]: '' }, field, /cannot be empty/);
        await refused(store, { [field]: '   ' }, field, /cannot be empty/);
        await refused(store, { [field]: 'm'.repeat(201) }, field, /longer than 200/);
        await refused(store, { [field]: 'gemma\n3' }, field, /control characters/);
        await refused(store, { [field]: 'gemma\u00073' }, field, /control characters/);
        await refused(store, { [field]: 'gemma\u009b3' }, field, /control characters/);
      }
    });
  });

  test('the system prompt keeps its lines; other control characters are refused', async () => {
    await withStore(async (store) => {
      await saveAiSettings(store, { systemPrompt: '  Line one.\n\tLine two.\r\n' });
      assert.equal((await loadAiSettings(store, {})).systemPrompt.value, '  Line one.\n\tLine two.\r\n');
      await refused(store, { systemPrompt: 'bell \u0007' }, 'systemPrompt', /control characters/);
      await refused(store, { personaName: 'A\nB' }, 'personaName', /control characters/);
    });
  });

  test('a value that is not text (a form posted as JSON) is refused', async () => {
    await withStore(async (store) => {
      await refused(store, { chatModel: 42 as never }, 'chatModel', /must be text/);
      await refused(store, { apiKey: { key: KEY } as never }, 'apiKey', /must be text/);
    });
  });

  test('a patch with one bad value saves nothing', async () => {
    await withStore(async (store) => {
      await saveAiSettings(store, { chatModel: 'before' });
      await refused(store, { chatModel: 'after', baseUrl: 'ftp://x' }, 'baseUrl');
      assert.equal((await loadAiSettings(store, {})).chatModel.value, 'before');
    });
  });

  test('a bad value in the environment is refused, naming the variable', async () => {
    await withStore(async (store) => {
      await assert.rejects(loadAiSettings(store, { RAILBOOK_AI_PROVIDER: 'chatgpt' }), (e: unknown) => e instanceof AiSettingsError && e.field === 'provider' && /^RAILBOOK_AI_PROVIDER must be one of/.test(e.message));
      await assert.rejects(loadAiSettings(store, { RAILBOOK_AI_BASE_URL: 'ftp://x/v1' }), /^AiSettingsError: RAILBOOK_AI_BASE_URL must start with http/);
      await assert.rejects(loadAiSettings(store, { RAILBOOK_AI_CHAT_MODEL: 'x'.repeat(201) }), /RAILBOOK_AI_CHAT_MODEL is longer than 200/);
    });
  });

  test('a bad saved value (the database edited by hand) is refused as saved', async () => {
    await withStore(async (store) => {
      await store.settings.set(settingKey('baseUrl'), 'gopher://old');
      await assert.rejects(loadAiSettings(store, {}), /^AiSettingsError: The saved base URL must start with http/);
      // The environment overrides it, so the bad saved value does not matter then.
      assert.equal((await loadAiSettings(store, { RAILBOOK_AI_BASE_URL: 'http://ok:1/v1' })).baseUrl.value, 'http://ok:1/v1');
    });
  });
});

describe('the API key is never shown', () => {
  test('publicAiSettings has only apiKeySet, and nothing of the key in any form', async () => {
    await withStore(async (store) => {
      await saveAiSettings(store, { provider: 'openai', baseUrl: 'http://127.0.0.1:1234/v1', apiKey: KEY });
      const s = await loadAiSettings(store, {});
      const pub = publicAiSettings(s);
      assert.equal(pub.apiKeySet, true);
      assert.equal(pub.apiKeySource, 'saved');
      assert.ok(!('apiKey' in pub));
      for (const shown of [JSON.stringify(pub), inspect(pub, { depth: 10 }), String(Object.values(pub))]) {
        assert.ok(!shown.includes(KEY), shown);
        assert.ok(!shown.includes(KEY.slice(0, 12)), 'not even a prefix');
      }
      assert.deepEqual(pub.baseUrl, { value: 'http://127.0.0.1:1234/v1', source: 'saved' });

      const fromEnv = publicAiSettings(await loadAiSettings(store, { RAILBOOK_AI_API_KEY: 'other-key' }));
      assert.equal(fromEnv.apiKeySource, 'env');
      assert.ok(!JSON.stringify(fromEnv).includes('other-key'));

      await saveAiSettings(store, { apiKey: null });
      assert.equal(publicAiSettings(await loadAiSettings(store, {})).apiKeySet, false);
    });
  });

  test('a refused key is not quoted in the error, from a patch or from the environment', async () => {
    await withStore(async (store) => {
      const bad = `${KEY} with-a-space`;
      const e1 = await refused(store, { apiKey: bad }, 'apiKey');
      const e2 = await refused(store, { apiKey: `${KEY}\u0000` }, 'apiKey');
      const e3 = await refused(store, { apiKey: 'k'.repeat(5000) }, 'apiKey', /longer than/);
      let e4: unknown;
      try {
        await loadAiSettings(store, { RAILBOOK_AI_API_KEY: bad });
      } catch (e) {
        e4 = e;
      }
      assert.ok(e4 instanceof AiSettingsError && /^RAILBOOK_AI_API_KEY /.test(e4.message));
      for (const e of [e1, e2, e3, e4 as Error]) {
        for (const text of [e.message, String(e.stack), inspect(e)]) {
          assert.ok(!text.includes(KEY.slice(0, 12)), text);
          assert.ok(!text.includes('kkkkkkkk'), 'not the long key either');
        }
      }
      assert.equal((await loadAiSettings(store, {})).apiKey.value, undefined, 'nothing was saved');
    });
  });
});

// Saved means in the database: a new Store on the same folder reads them back.
describe('persistence', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    tmp = tempDir('railbook-ai-settings-reopen-');
  });
  after(() => tmp.cleanup());

  test('saved settings survive closing and reopening the store', async () => {
    const first = await Store.open(tmp.dir);
    await saveAiSettings(first, { chatModel: 'kept', apiKey: KEY });
    await first.close();
    const second = await Store.open(tmp.dir);
    try {
      const s = await loadAiSettings(second, {});
      assert.deepEqual(s.chatModel, { value: 'kept', source: 'saved' });
      assert.equal(s.apiKey.value, KEY);
    } finally {
      await second.close();
    }
  });
});
