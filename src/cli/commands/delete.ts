import type { Command } from 'commander';
import { withEngine, withGlobalOptions, type GlobalOptions } from '../context.ts';
import { CliError } from '../exit-codes.ts';
import { confirm } from '../confirm.ts';

interface Options extends GlobalOptions {
  yes?: boolean;
}

export function deleteCommand(program: Command): void {
  const cmd = program
    .command('delete')
    .argument('<key>', 'run key, e.g. default-hello-01')
    .description('delete a run for good: its state, history and artifact files (asks first)')
    .option('-y, --yes', 'delete without asking (required when stdin is not a terminal)')
    .addHelpText('after', `
On a terminal it says what goes and asks "[y/N]". In a script, pass --yes. A run with a step
running is refused: stop the step first. To hide a run but keep it, use \`railbook archive\`.

Examples:
  railbook delete default-hello-01
  railbook delete default-hello-01 --yes`)
    .action(async (key: string, opts: Options) => {
      const { describeInventory } = await import('../../engine/describe-inventory.ts');
      await withEngine(opts, async (engine) => {
        const inv = await engine.deletionSummary(key);
        const what = describeInventory(inv).join(', ');
        if (inv.running.length) {
          throw new CliError(`run ${key} has a step running (${inv.running.join(', ')}); stop it first (Ctrl-C in the \`railbook run\` that runs it, or Stop on its page), then delete the run`);
        }
        if (!opts.yes) {
          if (!process.stdin.isTTY) {
            throw new CliError(`not deleting run ${key} (${what}) without confirmation: stdin is not a terminal; add --yes to delete it`);
          }
          if (!(await confirm(`Delete run ${key} (${what})? This cannot be undone. [y/N] `))) {
            process.stderr.write('not deleted\n');
            return;
          }
        }
        await engine.deleteRun(key);
        process.stdout.write(`deleted ${key} (${what})\n`);
      }, { warn: false, workflows: false });
    });
  withGlobalOptions(cmd);
}
