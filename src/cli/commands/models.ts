import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { AiCommandDeps } from '../ai-command-deps.ts';
import type { AiSettings } from '../../ai/ai-settings.ts';
import type { ModelInfo, PullProgress } from '../../ai/provider.ts';
import { formatBytes } from '../../widgets/format.ts';
import { formatBar } from '../progress-bar.ts';
import { openStore, withGlobalOptions, type GlobalOptions } from '../context.ts';
import { formatTable } from '../table.ts';

interface Options extends GlobalOptions {
  json?: boolean;
}

/**
 * What the tests change: where Ollama is looked for when no provider is set, the HTTP client, the
 * environment, and where the output goes (default the process's).
 */
export interface ModelsDeps extends AiCommandDeps {
  /** Where `models pull` draws its progress (default stderr; a bar only on a terminal). */
  progressStream?: NodeJS.WritableStream | undefined;
  /** Stops `models pull` as Ctrl-C does (tests). */
  signal?: AbortSignal | undefined;
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
    .description("list the AI provider's models: name, size, modified (models pull <name>: download one into Ollama)")
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
  railbook models --json
  railbook models pull gemma3:1b`)
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
      out(formatTable(['NAME', 'SIZE', 'MODIFIED'], rows.map((r) => [r.id, r.size === null ? '—' : formatBytes(r.size), r.modified === null ? '—' : localTime(r.modified)])));
    });
  withGlobalOptions(cmd, { workflows: false });
  pullCommand(cmd, deps);
}

/** `railbook models pull <name>`: Ollama downloads a model, with a progress bar; Ctrl-C stops it. */
function pullCommand(models: Command, deps: ModelsDeps): void {
  const cmd = models
    .command('pull')
    .description('download a model into Ollama (with a progress bar)')
    .argument('<name>', 'the model, as Ollama names it (gemma3:1b, qwen3:4b, nomic-embed-text)')
    .addHelpText('after', `
Only Ollama downloads models: the provider is chosen as for  railbook models , and must be
Ollama (RAILBOOK_AI_PROVIDER=ollama, or Ollama answering on its default port). An
OpenAI-compatible server gets its models its own way (LM Studio's search, a file for llama.cpp's
server); the embedded provider uses the GGUF file at RAILBOOK_AI_MODEL_FILE.

Ctrl-C stops the download; Ollama keeps what it has, and pulling again continues from there.

Exit codes: 0 pulled, 1 no Ollama, the download failed or was stopped, 2 the provider is not
Ollama, or Ollama's registry has no such model.

Examples:
  railbook models pull gemma3:1b
  railbook models pull nomic-embed-text`)
    .action(async (name: string, opts: GlobalOptions) => {
      const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));
      const [{ chooseProvider }, { ProviderError }, { CliError, EXIT }] = await Promise.all([
        import('../../ai/choose-provider.ts'),
        import('../../ai/provider.ts'),
        import('../exit-codes.ts'),
      ]);
      const model = name.trim();
      if (model === '') throw new CliError('give the model to pull: railbook models pull <name>', EXIT.usage);
      const settings = await readSettings(opts, deps.env ?? process.env);
      const choice = await chooseProvider(settings, { ollamaUrl: deps.ollamaUrl, fetch: deps.fetch });
      if (!choice.provider) throw new CliError(`pulling a model needs Ollama, and none answers.\n${choice.help}`, EXIT.unexpected);
      const provider = choice.provider;
      if (provider.kind !== 'ollama' || !provider.pull) {
        const how = provider.kind === 'llama'
          ? 'the embedded llama.cpp runs the GGUF file at RAILBOOK_AI_MODEL_FILE: download a .gguf file (Hugging Face lists them under "GGUF") and point it there'
          : 'an OpenAI-compatible server gets its models its own way (LM Studio: its model search; llama.cpp\'s server: a GGUF file given when it starts; vLLM: a model name when it starts)';
        throw new CliError(`only Ollama pulls models, and the provider in use is not Ollama (${choice.why}): ${how}. To use Ollama: install it from https://ollama.com and set RAILBOOK_AI_PROVIDER=ollama.`, EXIT.usage);
      }
      const stop = new AbortController();
      const onSignal = () => stop.abort(new Error('stopped'));
      process.once('SIGINT', onSignal);
      deps.signal?.addEventListener('abort', onSignal, { once: true });
      if (deps.signal?.aborted) onSignal();
      const bar = pullReporter(deps.progressStream ?? process.stderr);
      err(`(${choice.why})\n`);
      try {
        await provider.pull(model, bar.update, stop.signal);
        bar.stop();
        err(`pulled ${model}\n`);
      } catch (e) {
        bar.stop();
        if (stop.signal.aborted) throw new CliError(`stopped pulling ${model}: Ollama keeps what it downloaded, and  railbook models pull ${model}  continues from there`, EXIT.unexpected);
        if (e instanceof ProviderError) throw new CliError(e.message, e.kind === 'model_not_found' ? EXIT.usage : EXIT.unexpected);
        throw e;
      } finally {
        process.off('SIGINT', onSignal);
        deps.signal?.removeEventListener('abort', onSignal);
      }
    });
  withGlobalOptions(cmd, { workflows: false });
}

/**
 * Ollama's pull progress: on a terminal, a cli-progress bar per layer being downloaded (bytes)
 * and a line per other status; elsewhere, each new status on a line of its own, and a download's
 * bytes at most every 2 s.
 */
function pullReporter(stream: NodeJS.WritableStream): { update: (p: PullProgress) => void; stop: () => void } {
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  let status: string | undefined;
  let bar: cliProgress.SingleBar | undefined;
  let lastLine = 0;
  let started = Date.now();
  const closeBar = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update: (p) => {
      const bytes = p.total !== undefined && p.total > 0;
      if (p.status !== status) {
        closeBar();
        status = p.status;
        started = Date.now();
        if (!tty || !bytes) stream.write(`${label(p.status)}${bytes ? ` (${formatBytes(p.total!)})` : ''}\n`);
        lastLine = Date.now();
      }
      if (!bytes) return;
      const done = Math.min(p.completed ?? 0, p.total!);
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar({
            stream,
            hideCursor: true,
            clearOnComplete: false,
            gracefulExit: false,
            fps: 10,
            linewrap: false,
            format: (_o, params, payload: { p: PullProgress; started: number }) =>
              formatBar({ label: label(payload.p.status), progress: { done: payload.p.completed ?? 0, total: payload.p.total!, message: `${formatBytes(payload.p.completed ?? 0)} of ${formatBytes(payload.p.total!)}` }, started: payload.started }, params.maxWidth),
          });
          bar.start(p.total!, done, { p, started });
        }
        bar.setTotal(p.total!);
        bar.update(done, { p, started });
      } else if (Date.now() - lastLine >= 2000 || done === p.total) {
        lastLine = Date.now();
        stream.write(`${label(p.status)}: ${formatBytes(done)} of ${formatBytes(p.total!)} (${Math.floor((100 * done) / p.total!)}%)\n`);
      }
    },
    stop: closeBar,
  };
}

/** "downloading sha256:2af3b81862c6…" reads better without the digest's prefix. */
function label(status: string): string {
  return status.replace(/^(pulling|downloading) sha256:([0-9a-f]{12})[0-9a-f]*/, '$1 $2');
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
