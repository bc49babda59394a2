import type { Command } from 'commander';
import { withEngine, withGlobalOptions, type GlobalOptions } from '../context.ts';

export function stateCommand(program: Command): void {
  const cmd = program
    .command('state')
    .argument('<key>', 'run key, e.g. default-hello-01')
    .description('print a run\'s state as JSON (every step\'s input, output, status and times)')
    .addHelpText('after', `
Examples:
  railbook state default-hello-01
  railbook state default-hello-01 | jq '.steps.greeting.output'`)
    .action(async (key: string, opts: GlobalOptions) => {
      await withEngine(opts, async (engine) => {
        process.stdout.write(JSON.stringify(await engine.get(key), null, 2) + '\n');
      }, { warn: false, workflows: false });
    });
  withGlobalOptions(cmd);
}
