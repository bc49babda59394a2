import type { Command } from 'commander';
import { withEngine, withGlobalOptions, type GlobalOptions } from '../context.ts';
import { CliError } from '../exit-codes.ts';
import { confirm } from '../confirm.ts';

interface Options extends GlobalOptions {
  yes?: boolean;
}

/** `railbook revert <key> <step>` (asks first when outputs would be cleared) and `railbook undo-revert <key>`. */
export function revertCommands(program: Command): void {
  const revert = program
    .command('revert')
    .argument('<key>', 'run key, e.g. default-hello-01')
    .argument('<step>', 'id of the step to go back to (`railbook state <key>` lists them)')
    .description('go back to a step: it asks for input again, every later step is cleared (asks first; undo with `railbook undo-revert`)')
    .option('-y, --yes', 'revert without asking (required when stdin is not a terminal and outputs would be cleared)')
    .addHelpText('after', `
When the revert would clear outputs, it says which and how long they took to make, and asks
"[y/N]" on a terminal. \`railbook undo-revert <key>\` brings the cleared steps back, until the
next submit to the run.

Examples:
  railbook revert default-hello-01 name
  railbook revert default-hello-01 name --yes`)
    .action(async (key: string, stepId: string, opts: Options) => {
      const { clearsSentence } = await import('../../engine/revert-words.ts');
      await withEngine(opts, async (engine) => {
        const preview = await engine.revertPreview(key, stepId);
        if (preview.cleared.length > 0 && !opts.yes) {
          const what = clearsSentence(preview);
          if (!process.stdin.isTTY) throw new CliError(`not reverting ${key} to "${stepId}" without confirmation: ${what} Add --yes to revert.`);
          if (!(await confirm(`${what} Revert ${key} to "${stepId}"? [y/N] `))) {
            process.stderr.write('not reverted\n');
            return;
          }
        }
        const before = (await engine.get(key)).updated;
        const after = await engine.revert(key, stepId);
        process.stdout.write(after.updated === before
          ? `step "${stepId}" of ${key} already asks for input; nothing changed\n`
          : `reverted ${key} to "${stepId}" (undo with: railbook undo-revert ${key})\n`);
      });
    });
  withGlobalOptions(revert);

  const undo = program
    .command('undo-revert')
    .argument('<key>', 'run key, e.g. default-hello-01')
    .description('undo the last revert of a run: the cleared steps come back as they were (until the next submit)')
    .addHelpText('after', `
Refused (exit 2, saying why) once the run changed after the revert, e.g. a step was submitted,
or when a file the cleared steps refer to is gone.

Examples:
  railbook undo-revert default-hello-01`)
    .action(async (key: string, opts: GlobalOptions) => {
      await withEngine(opts, async (engine) => {
        const offer = await engine.undoOffer(key);
        await engine.undoRevert(key);
        const n = offer?.restores.length ?? 0;
        process.stdout.write(`undid the revert of ${key} to "${offer?.stepId ?? '?'}"${n ? `: ${n} step${n === 1 ? '' : 's'} back as before` : ''}\n`);
      });
    });
  withGlobalOptions(undo);
}
