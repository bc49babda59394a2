import { createReadStream, existsSync, renameSync, rmSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { dataFolder, withGlobalOptions, type GlobalOptions } from '../context.ts';

interface ExportOpts extends GlobalOptions {
  vectors?: boolean;
  force?: boolean;
  json?: boolean;
}

/** What the tests change: the environment, where output goes, what `-` reads and writes. */
export interface MemoryTransferDeps {
  env?: NodeJS.ProcessEnv | undefined;
  stdout?: ((text: string) => void) | undefined;
  stderr?: ((text: string) => void) | undefined;
  /** `memory export -` writes here (default process.stdout). */
  stdoutStream?: NodeJS.WritableStream | undefined;
  /** `memory import -` reads this (default process.stdin). */
  stdin?: AsyncIterable<Buffer | string> | undefined;
  now?: (() => number) | undefined;
}

const FORMAT_HELP = `The file is gzipped JSON lines (format "railbook-memory", version 1): a header, then the
notes, the conversations of every profile with their turns and summaries, the documents as raw
text (with the vectors of the embedding model in use, unless --no-vectors), and an end record.`;

/** `railbook memory export [file]` and `railbook memory import <file>`, attached to the `memory` command given. */
export function memoryTransferCommands(memory: Command, deps: MemoryTransferDeps = {}): void {
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));
  const env = () => deps.env ?? process.env;
  const now = deps.now ?? Date.now;

  const exp = memory
    .command('export')
    .description("write the assistant's whole memory (notes, conversations, documents, vectors) to one file")
    .argument('[file]', 'where to write it; - for stdout (default: railbook-memory-<date>.jsonl.gz here)')
    .option('--no-vectors', 'leave the vectors out (smaller; the other machine embeds the documents again)')
    .option('--force', 'overwrite the file if it exists')
    .addHelpText('after', `
${FORMAT_HELP}
Take it to another machine and run  railbook memory import <file>  there. Vectors are used there
only if it embeds with the same model; otherwise the documents are embedded again.

Exit codes: 0 written, 2 the file exists (use --force) or cannot be written.

Examples:
  railbook memory export
  railbook memory export ~/backup/assistant.jsonl.gz --no-vectors
  railbook memory export - | ssh laptop railbook memory import -`)
    .action(async (file: string | undefined, opts: ExportOpts) => {
      const [{ exportMemory }, { resolveDataDir }, { CliError, EXIT }] = await Promise.all([
        import('../../ai/memory/memory-export.ts'),
        import('../../store/data-dir.ts'),
        import('../exit-codes.ts'),
      ]);
      const dir = dataFolder(opts.dataDir, (flag) => resolveDataDir(flag, env()));
      const options = { vectors: opts.vectors !== false, now };
      if (file === '-') {
        const counts = await exportMemory(dir, keepOpen(deps.stdoutStream ?? process.stdout), options);
        err(`${summary(counts)}\n`);
        return;
      }
      const target = path.resolve(file ?? `railbook-memory-${new Date(now()).toISOString().slice(0, 10)}.jsonl.gz`);
      if (existsSync(target) && !opts.force) throw new CliError(`${target} exists: give another file name, or --force to overwrite it`, EXIT.usage);
      // Written beside it and renamed at the end: a failed export leaves no half file.
      const partial = `${target}.partial-${process.pid}`;
      try {
        const counts = await exportMemory(dir, createWriteStream(partial), options);
        renameSync(partial, target);
        out(`${target}\n`);
        err(`${summary(counts)}\n`);
      } catch (e) {
        rmSync(partial, { force: true });
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'EROFS') throw new CliError(`cannot write ${target}: ${(e as Error).message}`, EXIT.usage);
        throw e;
      }
    });
  withGlobalOptions(exp, { workflows: false });

  const imp = memory
    .command('import')
    .description('merge a memory export into this memory')
    .argument('<file>', 'a file written by  railbook memory export  (- for stdin)')
    .option('--json', 'print what was merged as JSON')
    .addHelpText('after', `
Everything is merged in one transaction: a damaged, truncated or unknown file changes nothing.
- notes: the newer one wins (a note changed here since stays);
- conversations: added beside yours; importing the same file again adds nothing twice;
- documents (by source): the same text is left alone, another text replaces yours;
- vectors: kept when this memory embeds with the same model (or has no embeddings yet);
  otherwise the documents are embedded again with yours (railbook memory reembed, or the server).

${FORMAT_HELP}

Exit codes: 0 merged, 2 the file cannot be read or is not a valid export (nothing changed).`)
    .action(async (file: string, opts: ExportOpts) => {
      const [{ importMemory }, { MemoryFileError }, { resolveDataDir }, { CliError, EXIT }] = await Promise.all([
        import('../../ai/memory/memory-import.ts'),
        import('../../ai/memory/memory-export-format.ts'),
        import('../../store/data-dir.ts'),
        import('../exit-codes.ts'),
      ]);
      const dir = dataFolder(opts.dataDir, (flag) => resolveDataDir(flag, env()));
      const name = file === '-' ? 'stdin' : file;
      if (file !== '-' && !existsSync(file)) throw new CliError(`${file}: no such file`, EXIT.usage);
      let report;
      try {
        report = await importMemory(dir, file === '-' ? (deps.stdin ?? process.stdin) : createReadStream(file));
      } catch (e) {
        if (e instanceof MemoryFileError) throw new CliError(`${name} ${e.message}; nothing was imported`, EXIT.usage);
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EISDIR') throw new CliError(`cannot read ${name}: ${(e as Error).message}`, EXIT.usage);
        throw e;
      }
      if (opts.json) {
        out(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const r = report;
      out(`notes: ${r.notes.added} added, ${r.notes.replaced} replaced (newer there), ${r.notes.kept} kept (newer or same here)\n`);
      out(`conversations: ${r.conversations.added} added, ${r.conversations.merged} given new turns, ${r.conversations.unchanged} already here (${r.conversations.turns} turns imported)\n`);
      out(`documents: ${r.documents.added} added, ${r.documents.replaced} replaced, ${r.documents.unchanged} unchanged\n`);
      if (r.vectors) out(`vectors (${r.vectors.model}, ${r.vectors.dims} dimensions): ${r.vectors.stored} chunks kept${r.vectors.skipped ? `, ${r.vectors.skipped} not used: ${r.vectors.why ?? 'they did not fit'}` : ''}\n`);
      if (r.waiting) err(`${r.waiting} chunk${r.waiting === 1 ? '' : 's'} wait to be embedded: the server does it in the background, or run  railbook memory reembed\n`);
    });
  withGlobalOptions(imp, { workflows: false });
}

function summary(c: import('../../ai/memory/memory-export.ts').ExportCounts): string {
  const vectors = c.vectors ? `, vectors of ${c.vectors.chunks} chunks (${c.vectors.model}, ${c.vectors.dims} dimensions)` : ', no vectors';
  return `exported ${c.notes} notes, ${c.conversations} conversations (${c.turns} turns), ${c.documents} documents${vectors}`;
}

/** stdout is never ended (the process still writes to it); the export ends only this wrapper. */
function keepOpen(stream: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (stream.write(chunk)) cb();
      else stream.once('drain', () => cb());
    },
  });
}
