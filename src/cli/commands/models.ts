import type { Command } from 'commander';
import type { AiSettings } from '../../ai/ai-settings.ts';
import type { ModelInfo } from '../../ai/provider.ts';
import { openStore, withGlobalOptions, type GlobalOptions } from '../context.ts';
import { formatTable } from '../table.ts';

interface Options extends GlobalOptions {
  json?: boolean;
}

/**
 * What the tests change: where Ollama is looked for when no provider is set, the HTTP client, the
 * environment, and where the output goes (default the process's).
 */
export interface ModelsDeps {
  ollamaUrl?: string | undefined;
  fetch?: typeof fetch | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  stdout?: ((text: string) => void) | undefined;
  stderr?: ((text: string) => void) | undefined;
}

/** One model as `--json` prints it: sizes in bytes, times as the provider gave them (ISO 8601). */
export interface ModelRow {
  id: string;
  size: number | null;
  modified: string | null;
  family: string | null;
}

export function modelsCommand(program: Command, deps: ModelsDeps = {}): void {
  const cmd = program
    .command('models')
    .description("list the AI provider's models: name, size, modified")
    .option('--json', 'print JSON instead of a table: {"provider", "why", "models": [{"id", "size" (bytes), "modified", "family"}]}')
    .addHelpText('after', `
The provider is chosen as the chat chooses it: the one set by RAILBOOK_AI_PROVIDER (or on the
Settings page) as configured; else Ollama if it answers on its default port (11434); else the
server at RAILBOOK_AI_BASE_URL; else the embedded llama.cpp with the GGUF file at
RAILBOOK_AI_MODEL_FILE. Which one was used is said on stderr.

Environment (wins over the settings saved on the Settings page):
  RAILBOOK_AI_PROVIDER     ollama | openai (any OpenAI-compatible server) | llama (embedded, GGUF)
  RAILBOOK_AI_BASE_URL     where the server is: Ollama's address, or an OpenAI-compatible one
                           ending in /v1 (LM Studio http://127.0.0.1:1234/v1, llama.cpp's server
                           http://127.0.0.1:8080/v1, vLLM http://127.0.0.1:8000/v1)
  RAILBOOK_AI_API_KEY      the server's API key, if it needs one (never printed)
  RAILBOOK_AI_CHAT_MODEL   the model the chat uses
  RAILBOOK_AI_EMBED_MODEL  the model that embeds documents for memory
  RAILBOOK_AI_MODEL_FILE   a GGUF file for the embedded llama.cpp provider
  RAILBOOK_AI_THREADS      CPU threads for the embedded provider (default 1)

Exit codes: 0 listed (an empty list too), 1 no model provider is available (what to do is
printed on stderr) or the provider failed, 2 a setting is not valid.

Examples:
  railbook models
  RAILBOOK_AI_PROVIDER=openai RAILBOOK_AI_BASE_URL=http://127.0.0.1:1234/v1 railbook models
  railbook models --json`)
    .action(async (opts: Options) => {
      const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
      const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));
      const [{ chooseProvider, SUGGESTED_CHAT_MODEL }, { ProviderError }, { CliError, EXIT }] = await Promise.all([
        import('../../ai/choose-provider.ts'),
        import('../../ai/provider.ts'),
        import('../exit-codes.ts'),
      ]);
      const settings = await readSettings(opts, deps.env ?? process.env);
      const choice = await chooseProvider(settings, { ollamaUrl: deps.ollamaUrl, fetch: deps.fetch });
      if (!choice.provider) throw new CliError(choice.help, EXIT.unexpected);

      let models: ModelInfo[];
      try {
        models = await choice.provider.models();
      } catch (e) {
        if (e instanceof ProviderError) throw new CliError(e.message, EXIT.unexpected);
        throw e;
      }
      const rows = models.map((m): ModelRow => ({ id: m.id, size: m.size ?? null, modified: m.modified ?? null, family: m.family ?? null }));
      if (opts.json) {
        out(JSON.stringify({ provider: choice.provider.kind, why: choice.why, models: rows }, null, 2) + '\n');
        return;
      }
      err(`(${choice.why})\n`);
      if (rows.length === 0) {
        const hint = choice.provider.kind === 'ollama' ? `: download one with  ollama pull ${settings.chatModel.value ?? SUGGESTED_CHAT_MODEL}` : '';
        err(`no models yet${hint}\n`);
        return;
      }
      const { formatBytes } = await import('../../widgets/format.ts');
      out(formatTable(['NAME', 'SIZE', 'MODIFIED'], rows.map((r) => [r.id, r.size === null ? '—' : formatBytes(r.size), r.modified === null ? '—' : localTime(r.modified)])));
    });
  withGlobalOptions(cmd, { workflows: false });
}

/** The settings need only the store: it is opened, read and closed before any provider is asked. */
async function readSettings(opts: GlobalOptions, env: NodeJS.ProcessEnv): Promise<AiSettings> {
  const [{ Store }, { resolveDataDir }, { loadAiSettings, AiSettingsError }, { CliError, EXIT }] = await Promise.all([
    import('../../store/store.ts'),
    import('../../store/data-dir.ts'),
    import('../../ai/ai-settings.ts'),
    import('../exit-codes.ts'),
  ]);
  const store = await openStore(opts, resolveDataDir, (dir, databaseUrl) => Store.open(dir, { databaseUrl }));
  try {
    return await loadAiSettings(store, env);
  } catch (e) {
    if (e instanceof AiSettingsError) throw new CliError(e.message, EXIT.usage);
    throw e;
  } finally {
    await store.close();
  }
}

function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
