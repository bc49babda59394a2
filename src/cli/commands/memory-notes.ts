import type { Command } from 'commander';
import type { Note } from '../../ai/memory/notes.ts';
import { dataFolder, withGlobalOptions, type GlobalOptions } from '../context.ts';
import { formatTable } from '../table.ts';

interface Options extends GlobalOptions {
  json?: boolean;
}

/** What the tests change: where the output goes (default the process's). */
export interface MemoryNotesDeps {
  stdout?: ((text: string) => void) | undefined;
  stderr?: ((text: string) => void) | undefined;
}

/** One note as `--json` prints it. */
export interface NoteRow {
  key: string;
  value: string;
  source: 'person' | 'model';
  /** ISO 8601. */
  updated: string;
}

/** `railbook memory notes [set K V | rm K]`: attached to the `memory` command given. */
export function memoryNotesCommand(parent: Command, deps: MemoryNotesDeps = {}): void {
  const cmd = parent
    .command('notes')
    .description("the assistant's notes about you: list them, set one, or remove one")
    .argument('[action]', 'set or rm (without it: list the notes)')
    .argument('[key]', 'the note\'s key (quote it when it has spaces)')
    .argument('[value...]', 'for set: the value')
    .option('--json', 'print JSON: the notes as [{"key", "value", "source" (person|model), "updated"}], or the note set / removed')
    .addHelpText('after', `
Notes are short facts the chat model keeps about you and your work. The model adds and removes
them itself (it is told it may), and they go into the system prompt of every conversation, with
any model. Keys are matched without regard to case or extra spaces.

Exit codes: 0 done, 2 bad usage (an unknown action, a key or value too long, no such note).

Examples:
  railbook memory notes
  railbook memory notes set "preferred language" Dutch
  railbook memory notes rm "preferred language"`)
    .action(async (action: string | undefined, key: string | undefined, value: string[], opts: Options) => {
      const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
      const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));
      const [{ openChatMemory }, { NoteError }, { resolveDataDir }, { CliError, EXIT }] = await Promise.all([
        import('../../ai/chat/chat-memory.ts'),
        import('../../ai/memory/notes.ts'),
        import('../../store/data-dir.ts'),
        import('../exit-codes.ts'),
      ]);
      if (action !== undefined && action !== 'set' && action !== 'rm') {
        throw new CliError(`unknown action "${action}": use set or rm, or nothing to list the notes`, EXIT.usage);
      }
      if (action === 'set' && (key === undefined || value.length === 0)) throw new CliError('usage: railbook memory notes set <key> <value>', EXIT.usage);
      if (action === 'rm' && (key === undefined || value.length > 0)) throw new CliError('usage: railbook memory notes rm <key>', EXIT.usage);
      if (action === undefined && key !== undefined) throw new CliError('to set a note: railbook memory notes set <key> <value>', EXIT.usage);

      const { memory, notes } = openChatMemory(dataFolder(opts.dataDir, resolveDataDir));
      try {
        if (action === 'set') {
          const note = notes.set(key!, value.join(' '), 'person');
          if (opts.json) out(`${JSON.stringify(rowOf(note), null, 2)}\n`);
          else err(`noted "${note.key}"\n`);
          return;
        }
        if (action === 'rm') {
          const note = notes.get(key!);
          if (!note || !notes.remove(key!)) throw new CliError(`no note "${key}" (railbook memory notes lists them)`, EXIT.usage);
          if (opts.json) out(`${JSON.stringify(rowOf(note), null, 2)}\n`);
          else err(`removed "${note.key}"\n`);
          return;
        }
        const rows = notes.list().map(rowOf);
        if (opts.json) {
          out(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          err('no notes yet: the chat model keeps them as you talk, or add one with  railbook memory notes set <key> <value>\n');
          return;
        }
        out(formatTable(['KEY', 'VALUE', 'BY', 'UPDATED'], rows.map((r) => [r.key, oneLine(r.value, 60), r.source, localTime(r.updated)])));
      } catch (e) {
        if (e instanceof NoteError) throw new CliError(e.message, EXIT.usage);
        throw e;
      } finally {
        memory.close();
      }
    });
  withGlobalOptions(cmd, { workflows: false });
}

function rowOf(n: Note): NoteRow {
  return { key: n.key, value: n.value, source: n.source, updated: new Date(n.updatedAt).toISOString() };
}

function oneLine(s: string, n: number): string {
  const line = s.replace(/\s+/g, ' ');
  return line.length > n ? `${line.slice(0, n - 1)}…` : line;
}

function localTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
