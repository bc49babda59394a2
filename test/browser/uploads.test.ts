// Uploads in real Chromium against a server started with a 1 MB limit: the form states the limit,
// a file over it is stopped in the browser before it is sent, one within it is stored with its
// SHA-256 — with htmx, and as a plain form post without JavaScript (its CSRF token read from the
// first part of the streamed body).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { Engine } from '../../src/engine/engine.ts';
import { BUILTIN_WORKFLOWS_DIR, loadWorkflows } from '../../src/engine/registry.ts';
import type { ArtifactRef } from '../../src/store/artifact-ref.ts';
import { Store } from '../../src/store/store.ts';
import { startServer, type RunningServer } from '../../src/web/server.ts';
import { tempDir } from '../helpers/temp-engine.ts';
import { launchBrowser, newPage } from './helpers.ts';

const UPLOAD_FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/upload-workflows');

describe('browser: uploads and their limit', () => {
  let browser: Browser;
  let engine: Engine;
  let server: RunningServer;
  let base: string;
  const data = tempDir('railbook-browser-uploads-');

  before(async () => {
    browser = await launchBrowser();
    engine = await Engine.start(await Store.open(data.dir), await loadWorkflows([BUILTIN_WORKFLOWS_DIR, UPLOAD_FIXTURES]), { maxUploadBytes: 1_000_000 });
    server = await startServer({ engine, port: 0 });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await engine?.shutdown();
    await engine?.store.close();
    data.cleanup();
  });

  test('the limit is stated; a file over it is stopped before sending; one within it is stored (htmx)', async () => {
    const { page, context, problems } = await newPage(browser);
    try {
      await engine.open('uploads', { key: 'b-1' });
      await page.goto(`${base}/wf/uploads/runs/b-1`);
      const input = page.getByLabel('Any file');
      assert.equal(await page.locator('#f-big-file-limit').innerText(), 'At most 1.0 MB per file.');
      assert.match((await input.getAttribute('aria-describedby')) ?? '', /f-big-file-limit/);

      let posts = 0;
      page.on('request', (r) => { if (r.method() === 'POST') posts++; });
      await input.setInputFiles({ name: 'huge.log', mimeType: 'text/plain', buffer: Buffer.alloc(2_000_000, 1) });
      assert.equal(await input.evaluate((el: HTMLInputElement) => el.validationMessage), 'This file is 2.0 MB; choose one of at most 1.0 MB.');
      await page.locator('#step-big form.step-form button[type=submit]').click();
      assert.equal(posts, 0, 'nothing was sent');
      assert.equal((await engine.get('b-1')).steps.big!.status, 'pending');

      const bytes = randomBytes(600_000);
      await input.setInputFiles({ name: 'export.csv', mimeType: 'text/csv', buffer: bytes });
      assert.equal(await input.evaluate((el: HTMLInputElement) => el.validationMessage), '');
      await page.locator('#step-big form.step-form button[type=submit]').click();
      await page.locator('#step-big[data-status="done"]').waitFor({ timeout: 15_000 });
      const ref = ((await engine.get('b-1')).steps.big!.output as { file: ArtifactRef }).file;
      assert.equal(ref.sha256, createHash('sha256').update(bytes).digest('hex'));
      assert.equal(ref.name, 'export.csv');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('without JavaScript, the plain form upload works (the token comes first in the body)', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await engine.open('uploads', { key: 'b-nojs' });
      await page.goto(`${base}/wf/uploads/runs/b-nojs`);
      const bytes = randomBytes(300_000);
      await page.getByLabel('Any file').setInputFiles({ name: 'plain.bin', mimeType: 'application/octet-stream', buffer: bytes });
      await Promise.all([page.waitForURL(/\/runs\/b-nojs#step-small$/), page.locator('#step-big form.step-form button[type=submit]').click()]);
      const ref = ((await engine.get('b-nojs')).steps.big!.output as { file: ArtifactRef }).file;
      assert.equal(ref.sha256, createHash('sha256').update(bytes).digest('hex'));
    } finally {
      await context.close();
    }
  });
});
