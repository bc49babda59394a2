// A real Railbook server on 127.0.0.1 (ephemeral port) over a real database (a SQLite file in a
// temp folder, or a fresh PostgreSQL database), with the built-in and fixture workflows: what the
// integration and browser tests talk to.
import { saveAiSettings, type AiSettingsPatch } from '../../src/ai/ai-settings.ts';
import type { ChatService } from '../../src/ai/chat/chat-types.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { startServer, type RunningServer } from '../../src/web/server.ts';
import type { Backend } from './backends.ts';
import { tempDir, tempEngine } from './temp-engine.ts';

export interface TestApp {
  engine: Engine;
  server: RunningServer;
  base: string;
  dataDir: string;
  /** The CSRF token the app's pages carry (stable for the data folder). */
  csrf(): Promise<string>;
  stop(): Promise<void>;
}

export interface TestAppOptions {
  /** Notebook folders to load as workflows, as `--notebooks-dir` does. */
  notebooks?: string[] | undefined;
  /** The store: SQLite (default) or a fresh PostgreSQL database. */
  backend?: Backend | undefined;
  /** AI settings saved in the store before the server starts (e.g. a FakeOllama's URL). */
  ai?: AiSettingsPatch | undefined;
  /**
   * The environment the app reads `RAILBOOK_AI_*` from. Default: none of them (an empty
   * environment), so a developer's own variables never leak into a test.
   */
  env?: NodeJS.ProcessEnv | undefined;
  /** A ChatService of the test's own; default: the app's (the data folder's memory). */
  chat?: ChatService | undefined;
}

export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const tmp = tempDir('railbook-app-');
  const t = await tempEngine({ dataDir: tmp.dir, backend: opts.backend });
  if (opts.notebooks?.length) {
    const { notebookLoader } = await import('../../src/notebooks/notebook-loader.ts');
    for (const dir of opts.notebooks) await t.engine.registry.loadDir(dir, notebookLoader());
    const errors = t.engine.registry.errors;
    if (errors.length) throw new Error(`notebooks failed to load: ${errors.map((e) => `${e.file}: ${e.message}`).join('; ')}`);
  }
  if (opts.ai) await saveAiSettings(t.engine.store, opts.ai);
  const server = await startServer({ engine: t.engine, port: 0, env: opts.env ?? {}, chat: opts.chat });
  const base = `http://127.0.0.1:${server.port}`;
  return {
    engine: t.engine,
    server,
    base,
    dataDir: tmp.dir,
    csrf: async () => /<meta name="csrf-token" content="([^"]+)"/.exec(await (await fetch(`${base}/`)).text())![1]!,
    stop: async () => {
      await server.close();
      await t.close();
      tmp.cleanup();
    },
  };
}
