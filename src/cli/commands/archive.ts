import type { Command } from 'commander';
import { withEngine, withGlobalOptions, type GlobalOptions } from '../context.ts';

/** `railbook archive <key>` and `railbook unarchive <key>`: hide a run from lists (kept whole), or list it again. */
export function archiveCommands(program: Command): void {
  for (const archive of [true, false]) {
    const name = archive ? 'archive' : 'unarchive';
    const cmd = program
      .command(name)
      .argument('<key>', 'run key, e.g. default-hello-01')
      .description(archive
        ? 'archive a run: hidden from lists (`railbook runs`, the web app), kept whole; it still opens by its key'
        : 'unarchive a run: it shows in the lists again')
      .addHelpText('after', archive ? `
Archiving asks no question: \`railbook unarchive <key>\` undoes it. \`railbook runs --archived\`
lists the archived runs.

Examples:
  railbook archive default-hello-01
  railbook unarchive default-hello-01` : `
Examples:
  railbook runs --archived
  railbook unarchive default-hello-01`)
      .action(async (key: string, opts: GlobalOptions) => {
        await withEngine(opts, async (engine) => {
          const before = (await engine.get(key)).archived ?? null;
          if (archive) await engine.archive(key);
          else await engine.unarchive(key);
          const was = archive ? before !== null : before === null;
          process.stdout.write(was
            ? `run ${key} was already ${archive ? 'archived' : 'not archived'}; nothing changed\n`
            : archive
              ? `archived ${key}: hidden from lists, kept (railbook unarchive ${key} lists it again)\n`
              : `unarchived ${key}: it shows in the lists again\n`);
        }, { warn: false, workflows: false });
      });
    withGlobalOptions(cmd);
  }
}
