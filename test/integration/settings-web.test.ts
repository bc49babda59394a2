// The Settings page over real HTTP: saving (CSRF-protected), validation shown at the field, values
// set by the environment read-only, the provider's models as suggestions, "Test connection", and
// the API key: once saved it never appears in any page or response again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadAiSettings } from '../../src/ai/ai-settings.ts';
import { FakeOllama } from '../helpers/fake-ollama.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

const SECRET = 'sk-test-Zq7pW3xR9vK2mN8bL4hJ';

function form(app: TestApp, path: string, body: Record<string, string>): Promise<Response> {
  return fetch(app.base + path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });
}

/** Every response body a person could see, after the key was saved. */
async function everyBody(app: TestApp, csrf: string): Promise<string[]> {
  const gets = ['/', '/settings', '/settings?saved=1', '/settings?test=1', '/settings/health', '/chat', '/chat/pane', '/chat/history', '/chat/history?q=x', '/wf/hello', '/schedules', '/profiles', '/nope'];
  const bodies: string[] = [];
  for (const p of gets) {
    const r = await fetch(app.base + p);
    bodies.push(`${p} ${r.status} ${[...r.headers].join(' ')} ${await r.text()}`);
  }
  // A refused save (the page comes back with what was sent) and a chat turn with its stream.
  const refused = await form(app, '/settings', { _csrf: csrf, baseUrl: 'ftp://nope', apiKey: '' });
  bodies.push(await refused.text());
  const turn = await fetch(app.base + '/chat', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrf, 'HX-Request': 'true' },
    body: 'message=what%20is%20my%20key',
  });
  const html = await turn.text();
  bodies.push(html);
  const url = /data-chat-stream="([^"]+)"/.exec(html)?.[1];
  if (url) bodies.push(await (await fetch(app.base + url)).text());
  return bodies;
}

describe('the Settings page', () => {
  let fake: FakeOllama;
  let app: TestApp;
  let csrf: string;

  before(async () => {
    fake = await FakeOllama.start();
    app = await startTestApp({ ai: { provider: 'ollama', baseUrl: fake.url } });
    csrf = await app.csrf();
  });
  after(async () => {
    await app?.stop();
    await fake?.close();
  });

  test('the page shows the saved values, and the provider\'s models as suggestions', async () => {
    const html = await (await fetch(app.base + '/settings')).text();
    assert.match(html, /<h1>Settings<\/h1>/);
    assert.match(html, /<option value="ollama" selected="">Ollama<\/option>|<option value="ollama" selected>Ollama<\/option>/);
    assert.match(html, new RegExp(`<input id="ai-baseUrl" name="baseUrl" type="url" value="${fake.url.replace(/[.]/g, '\\.')}"`));
    assert.match(html, /<datalist id="ai-models"><option value="gemma3:1b"><\/option><option value="nomic-embed-text:latest"><\/option><\/datalist>/);
    assert.match(html, /list="ai-models"/);
    assert.match(html, /re-embeds the memory in the background/);
    assert.match(html, /<input id="ai-apiKey" name="apiKey" type="password" value=""/);
    assert.doesNotMatch(html, /A key is saved/);
  });

  test('saving needs the CSRF token', async () => {
    const r = await form(app, '/settings', { chatModel: 'evil' });
    assert.equal(r.status, 403);
    assert.equal((await loadAiSettings(app.engine.store, {})).chatModel.value, undefined);
  });

  test('a value that cannot be used is shown at its field and nothing is saved', async () => {
    const r = await form(app, '/settings', { _csrf: csrf, provider: 'ollama', baseUrl: 'ftp://example.org', chatModel: 'gemma3:1b', personaName: 'Ada' });
    assert.equal(r.status, 422);
    const html = await r.text();
    assert.match(html, /<input id="ai-baseUrl" name="baseUrl" type="url" value="ftp:\/\/example\.org"[^>]*aria-invalid="true"/);
    assert.match(html, /<small id="ai-baseUrl-hint" class="field-error">The base URL must start with http:\/\/ or https:\/\//);
    assert.match(html, /Nothing was saved/);
    const s = await loadAiSettings(app.engine.store, {});
    assert.equal(s.baseUrl.value, fake.url);
    assert.equal(s.personaName.value, 'Railbook', 'not even the valid fields');
  });

  test('saving the key: it is stored, and never appears in any page or response afterwards', async () => {
    const r = await form(app, '/settings', {
      _csrf: csrf, provider: 'ollama', baseUrl: fake.url, apiKey: SECRET, chatModel: 'gemma3:1b', embedModel: '', modelFile: '', personaName: 'Ada', systemPrompt: 'Be brief.\nBe kind.',
    });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/settings?saved=1');
    const s = await loadAiSettings(app.engine.store, {});
    assert.equal(s.apiKey.value, SECRET);
    assert.equal(s.chatModel.value, 'gemma3:1b');
    assert.equal(s.personaName.value, 'Ada');
    assert.equal(s.systemPrompt.value, 'Be brief.\nBe kind.');
    assert.equal(s.embedModel.value, undefined);

    const page = await (await fetch(app.base + '/settings?saved=1')).text();
    assert.match(page, /role="status">Saved\./);
    assert.match(page, /A key is saved — leave this empty to keep it\./);
    assert.match(page, /<input type="checkbox" name="removeApiKey" value="1"/);
    assert.match(page, /<textarea id="ai-systemPrompt" name="systemPrompt"[^>]*>Be brief\.\nBe kind\.<\/textarea>/);

    for (const body of await everyBody(app, csrf)) {
      assert.ok(!body.includes(SECRET), `the key is not in: ${body.slice(0, 80)}`);
      assert.ok(!body.includes(SECRET.slice(3, 15)), 'not even a part of it');
    }

    // Saving again with the field empty keeps it; the checkbox removes it.
    assert.equal((await form(app, '/settings', { _csrf: csrf, provider: 'ollama', baseUrl: fake.url, apiKey: '', chatModel: 'gemma3:1b' })).status, 303);
    assert.equal((await loadAiSettings(app.engine.store, {})).apiKey.value, SECRET);
    assert.equal((await form(app, '/settings', { _csrf: csrf, provider: 'ollama', baseUrl: fake.url, apiKey: '', removeApiKey: '1' })).status, 303);
    assert.equal((await loadAiSettings(app.engine.store, {})).apiKey.value, undefined);
    assert.doesNotMatch(await (await fetch(app.base + '/settings')).text(), /A key is saved/);
  });

  test('Test connection says whether the model answers, and lists the models', async () => {
    const html = await (await fetch(app.base + '/settings?test=1')).text();
    assert.match(html, /<div class="settings-test is-ready" role="status"><p><strong>Connected<\/strong>: Ollama 0\.5\.7 at [^<]*gemma3:1b<\/p>/);
    assert.match(html, /The provider has 2 models: gemma3:1b, nomic-embed-text:latest\./);
  });

  test('"Automatic" clears the provider; an emptied field clears its setting', async () => {
    assert.equal((await form(app, '/settings', { _csrf: csrf, provider: 'auto', baseUrl: fake.url, chatModel: '' })).status, 303);
    const s = await loadAiSettings(app.engine.store, {});
    assert.equal(s.provider.value, undefined);
    assert.equal(s.chatModel.value, undefined);
    assert.equal(s.baseUrl.value, fake.url);
    // Put back for the badge.
    assert.equal((await form(app, '/settings', { _csrf: csrf, provider: 'ollama', chatModel: 'gemma3:1b' })).status, 303);
  });

  test('the health badge follows a change of settings at once (the cached answer is dropped on save)', async () => {
    assert.match(await (await fetch(app.base + '/settings/health')).text(), /health-ready/);
    assert.equal((await form(app, '/settings', { _csrf: csrf, provider: 'openai', baseUrl: '' })).status, 303);
    const badge = await (await fetch(app.base + '/settings/health')).text();
    assert.match(badge, /class="health-badge health-none"/);
    assert.match(badge, /title="[^"]*no base URL is set/);
    assert.equal((await form(app, '/settings', { _csrf: csrf, provider: 'ollama', baseUrl: fake.url })).status, 303);
    assert.match(await (await fetch(app.base + '/settings/health')).text(), /health-ready/);
  });
});

describe('the Settings page with RAILBOOK_AI_* set', () => {
  let fake: FakeOllama;
  let app: TestApp;
  const ENV_KEY = 'env-secret-Hq2Lw8Pz5Tn';

  before(async () => {
    fake = await FakeOllama.start();
    app = await startTestApp({
      ai: { chatModel: 'saved-model' },
      env: { RAILBOOK_AI_PROVIDER: 'ollama', RAILBOOK_AI_BASE_URL: fake.url, RAILBOOK_AI_CHAT_MODEL: 'gemma3:1b', RAILBOOK_AI_API_KEY: ENV_KEY },
    });
  });
  after(async () => {
    await app?.stop();
    await fake?.close();
  });

  test('values from the environment are read-only, say where they come from, and cannot be saved over', async () => {
    const html = await (await fetch(app.base + '/settings')).text();
    assert.match(html, /<input id="ai-chatModel" type="text" value="gemma3:1b" readonly="" aria-readonly="true"|<input id="ai-chatModel" type="text" value="gemma3:1b" readonly aria-readonly="true"/);
    assert.match(html, /set by RAILBOOK_AI_CHAT_MODEL/);
    assert.match(html, /set by RAILBOOK_AI_PROVIDER/);
    assert.match(html, /set by RAILBOOK_AI_BASE_URL/);
    assert.match(html, /set by RAILBOOK_AI_API_KEY/);
    assert.doesNotMatch(html, /name="chatModel"/, 'no field to send');
    assert.doesNotMatch(html, /name="provider"/);
    assert.doesNotMatch(html, /name="apiKey"/);
    assert.match(html, /name="personaName"/, 'what the environment does not set stays editable');
    assert.ok(!html.includes(ENV_KEY), 'the key from the environment is not shown either');

    const csrf = await app.csrf();
    const r = await form(app, '/settings', { _csrf: csrf, chatModel: 'other', provider: 'openai', personaName: 'Zed' });
    assert.equal(r.status, 303);
    const saved = await loadAiSettings(app.engine.store, {});
    assert.equal(saved.chatModel.value, 'saved-model', 'the field the environment sets was not saved over');
    assert.equal(saved.provider.value, undefined);
    assert.equal(saved.personaName.value, 'Zed');
    for (const body of await everyBody(app, csrf)) assert.ok(!body.includes(ENV_KEY), `the key is not in: ${body.slice(0, 80)}`);
  });
});
