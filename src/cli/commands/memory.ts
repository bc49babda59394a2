import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { AiCommandDeps } from '../ai-command-deps.ts';
import type { AiSettings } from '../../ai/ai-settings.ts';
import type { ReembedProgress } from '../../ai/memory/reembed.ts';
import type { Provider } from '../../ai/provider.ts';
import { dataFolder, openStore, withGlobalOptions, type GlobalOptions } from '../context.ts';
import { formatBar } from '../progress-bar.ts';
import { formatTable } from '../table.ts';

interface Options extends GlobalOptions {
  json?: boolean;
  k?: string;
  model?: string;
}

/** What the tests change: where Ollama is looked for, the HTTP client, the environment, where output goes. */
export interface MemoryDeps extends AiCommandDeps {
  /** Where the re-embed progress is drawn (default stderr; a bar only on a terminal). */
  progressStream?: NodeJS.WritableStream | undefined;
}

const EXIT_CODES = `Exit codes: 0 done, 1 no model provider is available or it failed, 2 bad input (a missing,
binary or unsupported file, a URL that is not http(s) or does not answer with text).`;

/**
 * `railbook memory …`: the assistant's document memory. Returns the `memory` command, so other
 * subcommands (notes, export) can be attached to it.
 */
export function memoryCommand(program: Command, deps: MemoryDeps = {}): Command {
  const memory = program.command('memory').description("the assistant's memory: documents it can search (add, search, documents, reembed)");
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));
  const env = () => deps.env ?? process.env;

  const add = memory
    .command('add')
    .description('keep files, folders (recursively) or web pages as documents, and embed them')
    .argument('<sources...>', 'files (.md .txt .html .htm .json .csv .ipynb), folders, http(s) URLs, run:<key> (a run\'s outputs)')
    .addHelpText('after', `
Documents are kept as text in <data-dir>/memory.db for good; adding a source again replaces its
text when it changed. They are embedded with the embedding model (RAILBOOK_AI_EMBED_MODEL or the
Settings page); without one they are kept and embedded once one is set (railbook memory reembed).
In a folder, hidden files, other types and binary files are skipped (and counted).
run:<key> adds each finished step's output of that run as a document run:<key>/<step>.

${EXIT_CODES}

Examples:
  railbook memory add notes/ README.md https://example.org/article
  railbook memory add run:me-hello-01`)
    .action(async (sources: string[], opts: Options) => {
      const [{ readSource, SourceError }, { DocumentError }, { CliError, EXIT }, { EngineError }] = await Promise.all([
        import('../../ai/memory/sources.ts'),
        import('../../ai/memory/documents.ts'),
        import('../exit-codes.ts'),
        import('../../engine/errors.ts'),
      ]);
      const mem = await openMemory(opts);
      let failed = 0;
      // Opened for the first `run:` source only: reading runs needs the store and the workflows' titles.
      let engine: import('../../engine/engine.ts').Engine | undefined;
      const runEngine = async () => {
        if (!engine) {
          const [{ openEngine }, { resolveDataDir }] = await Promise.all([import('../context.ts'), import('../../store/data-dir.ts')]);
          engine = await openEngine({ ...opts, dataDir: dataFolder(opts.dataDir, (flag) => resolveDataDir(flag, env())) }, { warn: false });
        }
        return engine;
      };
      try {
        for (const arg of sources) {
          try {
            const { documents, skipped } = arg.startsWith('run:') ? await readRun(arg) : await readSource(arg, { fetch: deps.fetch });
            for (const doc of documents) {
              const r = mem.addDocument(doc);
              out(`${r.status}  ${doc.source}  (${r.chunks} chunk${r.chunks === 1 ? '' : 's'})\n`);
            }
            if (skipped.length) err(`${arg}: skipped ${skipped.length} file${skipped.length === 1 ? '' : 's'}: ${countReasons(skipped.map((s) => s.reason))}\n`);
            if (documents.length === 0 && skipped.length > 0) err(`${arg}: nothing in it to add\n`);
          } catch (e) {
            if (!(e instanceof SourceError) && !(e instanceof DocumentError) && !(e instanceof EngineError)) throw e;
            failed++;
            err(`railbook: ${e.message}\n`);
          }
        }
        await embedAfterAdd(mem, opts);
      } finally {
        mem.close();
        if (engine) {
          const { closeEngine } = await import('../context.ts');
          await closeEngine(engine);
        }
      }
      if (failed) throw new CliError(`${failed} of ${sources.length} source${sources.length === 1 ? '' : 's'} could not be added`, EXIT.usage);

      /** `run:<key>`: the run's finished steps' outputs. */
      async function readRun(arg: string) {
        const { runDocuments } = await import('../../ai/memory/run-documents.ts');
        const key = arg.slice('run:'.length).replace(/\/+$/, '').trim();
        if (key === '' || key.includes('/')) throw new SourceError(`${arg}: give a run's key, as in run:<key> (railbook runs lists them)`);
        const documents = await runDocuments(await runEngine(), key);
        if (documents.length === 0) throw new SourceError(`${arg}: the run has no finished step with an output yet`);
        return { documents, skipped: [] };
      }
    });
  withGlobalOptions(add);

  const search = memory
    .command('search')
    .description('the documents nearest in meaning to a query, with their sources and scores')
    .argument('<query...>', 'what to look for')
    .option('-k <n>', 'how many results', '5')
    .option('--json', 'print JSON: {"model", "results": [{"score", "source", "title", "excerpt", "chunkId", "documentId", "start", "end"}]}')
    .addHelpText('after', `
The query is embedded with the model that embedded the documents (during a re-embed, the old
one, until the new set is complete). Scores are cosine similarities (1 = same meaning).

${EXIT_CODES}`)
    .action(async (words: string[], opts: Options) => {
      const { CliError, EXIT } = await import('../exit-codes.ts');
      const k = Number(opts.k);
      if (!Number.isInteger(k) || k < 1 || k > 100) throw new CliError(`-k must be a whole number from 1 to 100, not "${opts.k}"`, EXIT.usage);
      const query = words.join(' ').trim();
      if (query === '') throw new CliError('give a query: railbook memory search <query>', EXIT.usage);
      const mem = await openMemory(opts);
      try {
        const status = mem.status();
        if (!status.active) {
          if (status.documents === 0) throw new CliError('the memory has no documents yet: add some with  railbook memory add <file|folder|url>', EXIT.unexpected);
          throw new CliError(`none of the ${status.documents} documents is embedded yet: set an embedding model (RAILBOOK_AI_EMBED_MODEL) and run  railbook memory reembed`, EXIT.unexpected);
        }
        const provider = await needProvider(opts);
        const { providerEmbedder } = await import('../../ai/memory/embedder.ts');
        const { VectorMemory } = await import('../../ai/memory/vector-memory.ts');
        const searcher = VectorMemory.on(mem.db, { embedderFor: (model) => providerEmbedder(provider, model) });
        const hits = await providerCall(() => searcher.search(query, k));
        if (opts.json) {
          out(`${JSON.stringify({ model: status.active.model, results: hits.map(({ model: _m, ...h }) => h) }, null, 2)}\n`);
          return;
        }
        err(`(${status.active.done} chunks embedded by ${status.active.model})\n`);
        if (hits.length === 0) err('no results\n');
        for (const [i, h] of hits.entries()) {
          const title = h.title && h.title !== h.source && !h.source.endsWith(`/${h.title}`) ? `  ${h.title}` : '';
          out(`${i + 1}. ${h.score.toFixed(3)}  ${h.source}${title}\n   ${oneLine(h.excerpt, 160)}\n`);
        }
      } finally {
        mem.close();
      }
    });
  withGlobalOptions(search, { workflows: false });

  const documents = memory
    .command('documents')
    .description('the documents kept, and whether each is embedded (by which model) or waiting')
    .option('--json', 'print JSON: {"active", "building", "documents": [{"source", "kind", "title", "chunks", "chars", "added", "embedding", "rebuilt"}]}')
    .action(async (opts: Options) => {
      const mem = await openMemory(opts);
      try {
        const status = mem.status();
        const docs = mem.documents();
        if (opts.json) {
          const set = (s: typeof status.active) => (s ? { model: s.model, dims: s.dims, done: s.done, total: s.total } : null);
          out(`${JSON.stringify({ active: set(status.active), building: set(status.building), documents: docs.map((d) => ({ source: d.source, kind: d.kind, title: d.title, chunks: d.chunks, chars: d.chars, added: new Date(d.addedAt).toISOString(), embedding: d.embedding, rebuilt: d.rebuilt ?? null })) }, null, 2)}\n`);
          return;
        }
        if (docs.length === 0) {
          err('no documents yet: add some with  railbook memory add <file|folder|url>\n');
          return;
        }
        out(formatTable(['SOURCE', 'KIND', 'CHUNKS', 'STATE'], docs.map((d) => {
          let state = d.embedding.state === 'embedded' ? `embedded (${d.embedding.model})` : 'waiting';
          if (status.building) state += d.rebuilt ? `, re-embedded (${status.building.model})` : `, re-embedding (${status.building.model})`;
          return [d.source, d.kind, String(d.chunks), state];
        })));
        if (status.building) err(`re-embedding with ${status.building.model}: ${status.building.done}/${status.building.total} chunks (railbook memory reembed continues it)\n`);
      } finally {
        mem.close();
      }
    });
  withGlobalOptions(documents, { workflows: false });

  const reembed = memory
    .command('reembed')
    .description('embed every document again with the embedding model (or --model), then switch to it')
    .option('--model <name>', 'the embedding model (default: RAILBOOK_AI_EMBED_MODEL or the saved setting; with the embedded provider, its model file)')
    .addHelpText('after', `
Retrieval keeps using the current vectors until every chunk is embedded by the new model, then
switches at once. Ctrl-C (or a crash) stops it where it is: run it again to continue from there.

${EXIT_CODES}`)
    .action(async (opts: Options) => {
      const [{ runReembed }, { providerEmbedder }, { CliError, EXIT }] = await Promise.all([
        import('../../ai/memory/reembed.ts'),
        import('../../ai/memory/embedder.ts'),
        import('../exit-codes.ts'),
      ]);
      const settings = await readSettings(opts);
      const model = opts.model?.trim() || (await assistantEmbedModel(opts, settings));
      if (!model) throw new CliError('no embedding model: give --model <name> or set RAILBOOK_AI_EMBED_MODEL (for example nomic-embed-text)', EXIT.usage);
      const provider = await needProvider(opts, settings);
      const mem = await openMemory(opts);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      const bar = progressReporter(deps.progressStream ?? process.stderr);
      try {
        const r = await providerCall(() => runReembed(mem.db, providerEmbedder(provider, model), { signal: stop.signal, onProgress: bar.update }));
        bar.stop();
        if (r.status === 'busy') throw new CliError(`another re-embed is running on this memory (process ${r.holder.pid} on ${r.holder.host}); it continues there`, EXIT.unexpected);
        if (r.status === 'paused') {
          err(`stopped at ${r.set?.done ?? 0}/${r.set?.total ?? '?'} chunks: run  railbook memory reembed  again to continue\n`);
          throw new CliError('interrupted', EXIT.unexpected);
        }
        err(r.switched ? `done: ${r.set.done} chunks embedded by ${model} (${r.set.dims} dimensions); searches use it now\n` : `already embedded by ${model}${r.embedded ? ` (${r.embedded} new chunks embedded)` : ''}: nothing else to do\n`);
      } finally {
        bar.stop();
        process.off('SIGINT', onSignal);
        mem.close();
      }
    });
  withGlobalOptions(reembed, { workflows: false });

  /** After `add`: embed what is new, with the model the memory uses (or build the first set). */
  async function embedAfterAdd(mem: import('../../ai/memory/vector-memory.ts').VectorMemory, opts: Options): Promise<void> {
    const settings = await readSettings(opts);
    const model = await assistantEmbedModel(opts, settings);
    const status = mem.status();
    if (!model && !status.active) {
      err('The documents are stored; they will be embedded (and searchable) once an embedding model is set: RAILBOOK_AI_EMBED_MODEL or the Settings page, then  railbook memory reembed\n');
      return;
    }
    const { chooseProvider } = await import('../../ai/choose-provider.ts');
    const choice = await chooseProvider(settings, { ollamaUrl: deps.ollamaUrl, fetch: deps.fetch });
    if (!choice.provider) {
      err(`The documents are stored; they will be embedded when a model provider is available:\n${choice.help}\n`);
      return;
    }
    const provider = choice.provider;
    const [{ embedPending, runReembed }, { providerEmbedder }] = await Promise.all([import('../../ai/memory/reembed.ts'), import('../../ai/memory/embedder.ts')]);
    if (status.active) {
      const n = await providerCall(() => embedPending(mem.db, providerEmbedder(provider, status.active!.model)));
      if (n) err(`embedded ${n} chunk${n === 1 ? '' : 's'} with ${status.active.model}\n`);
      if (model && model !== status.active.model) err(`The embedding model is now ${model}, but the memory is embedded by ${status.active.model}: run  railbook memory reembed  to switch\n`);
      return;
    }
    const bar = progressReporter(deps.progressStream ?? process.stderr);
    try {
      const r = await providerCall(() => runReembed(mem.db, providerEmbedder(provider, model!), { onProgress: bar.update }));
      bar.stop();
      if (r.status === 'busy') err(`a re-embed is running in another process (${r.holder.pid}); it will embed these documents too\n`);
      else if (r.status === 'done') err(`embedded ${r.embedded} chunk${r.embedded === 1 ? '' : 's'} with ${model}\n`);
    } finally {
      bar.stop();
    }
  }

  async function openMemory(opts: Options) {
    const [{ VectorMemory }, { resolveDataDir }] = await Promise.all([import('../../ai/memory/vector-memory.ts'), import('../../store/data-dir.ts')]);
    return VectorMemory.open(dataFolder(opts.dataDir, (flag) => resolveDataDir(flag, env())));
  }

  async function readSettings(opts: Options): Promise<AiSettings> {
    const [{ Store }, { resolveDataDir }, { loadAiSettings, AiSettingsError }, { CliError, EXIT }] = await Promise.all([
      import('../../store/store.ts'),
      import('../../store/data-dir.ts'),
      import('../../ai/ai-settings.ts'),
      import('../exit-codes.ts'),
    ]);
    const store = await openStore(opts, (flag) => resolveDataDir(flag, env()), (dir, databaseUrl) => Store.open(dir, { databaseUrl }));
    try {
      return await loadAiSettings(store, env());
    } catch (e) {
      if (e instanceof AiSettingsError) throw new CliError(e.message, EXIT.usage);
      throw e;
    } finally {
      await store.close();
    }
  }

  /** The embedding model as the assistant picks it (assistant.ts embedModel): the setting, else the embedded provider's model file. */
  async function assistantEmbedModel(opts: Options, settings: AiSettings): Promise<string | undefined> {
    if (settings.embedModel.value) return settings.embedModel.value;
    const [{ openAssistant }, { chooseProvider }, { resolveDataDir }] = await Promise.all([
      import('../../ai/assistant.ts'),
      import('../../ai/choose-provider.ts'),
      import('../../store/data-dir.ts'),
    ]);
    const assistant = openAssistant({
      dataDir: dataFolder(opts.dataDir, (flag) => resolveDataDir(flag, env())),
      settings: async () => settings,
      choose: (s) => chooseProvider(s, { ollamaUrl: deps.ollamaUrl, fetch: deps.fetch }),
    });
    try {
      return (await assistant.embedModel()).model;
    } finally {
      await assistant.close();
    }
  }

  async function needProvider(opts: Options, given?: AiSettings): Promise<Provider> {
    const [{ chooseProvider }, { CliError, EXIT }] = await Promise.all([import('../../ai/choose-provider.ts'), import('../exit-codes.ts')]);
    const choice = await chooseProvider(given ?? (await readSettings(opts)), { ollamaUrl: deps.ollamaUrl, fetch: deps.fetch });
    if (!choice.provider) throw new CliError(choice.help, EXIT.unexpected);
    return choice.provider;
  }

  return memory;
}

/** A provider's failure as one line and exit 1, instead of a stack. */
async function providerCall<T>(fn: () => Promise<T>): Promise<T> {
  const [{ ProviderError }, { CliError, EXIT }] = await Promise.all([import('../../ai/provider.ts'), import('../exit-codes.ts')]);
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ProviderError) throw new CliError(e.message, EXIT.unexpected);
    throw e;
  }
}

/** `3 hidden, 2 not a type Railbook reads (.png)`: the reasons, most frequent first. */
function countReasons(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n} ${r}`).join(', ');
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A cli-progress bar on a terminal; elsewhere a plain line at most every 2 s and at the end. */
function progressReporter(stream: NodeJS.WritableStream): { update: (p: ReembedProgress) => void; stop: () => void } {
  const tty = (stream as NodeJS.WriteStream).isTTY === true;
  const started = Date.now();
  let last: ReembedProgress | undefined;
  let lastLine = 0;
  let bar: cliProgress.SingleBar | undefined;
  let stopped = false;
  const label = (p: ReembedProgress) => `embedding with ${p.model}`;
  return {
    update: (p) => {
      last = p;
      if (stopped) return;
      if (tty) {
        if (!bar) {
          bar = new cliProgress.SingleBar({
            stream,
            hideCursor: true,
            clearOnComplete: true,
            gracefulExit: false,
            fps: 10,
            linewrap: false,
            format: (_o, params, payload: { p: ReembedProgress }) => formatBar({ label: label(payload.p), progress: { done: payload.p.done, total: payload.p.total }, started }, params.maxWidth),
          });
          bar.start(Math.max(1, p.total), p.done, { p });
        }
        bar.setTotal(Math.max(1, p.total));
        bar.update(p.done, { p });
      } else if (Date.now() - lastLine >= 2000) {
        lastLine = Date.now();
        stream.write(`${label(p)}: ${p.done}/${p.total} chunks\n`);
      }
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar?.stop();
      if (!tty && last && lastLine !== 0) stream.write(`${label(last)}: ${last.done}/${last.total} chunks\n`);
    },
  };
}
