import type { Command } from 'commander';
import { openEngine, closeEngine, withGlobalOptions, type GlobalOptions } from '../context.ts';
import { formatTable } from '../table.ts';

interface Options extends GlobalOptions {
  json?: boolean;
}

export function workflowsCommand(program: Command): void {
  const cmd = program
    .command('workflows')
    .description('list the workflows: id, title and number of steps (files that fail to load are reported on stderr)')
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', `
Examples:
  railbook workflows
  railbook workflows --json
  railbook workflows --workflows-dir ./my-workflows`)
    .action(async (opts: Options) => {
      // Load errors go to stderr (warn), the list to stdout.
      const engine = await openEngine(opts);
      try {
        const list = engine.registry.list().map((w) => ({ id: w.id, title: w.title, steps: w.steps.length }));
        if (opts.json) {
          process.stdout.write(JSON.stringify(list, null, 2) + '\n');
        } else if (list.length === 0) {
          process.stderr.write('no workflows found\n');
        } else {
          process.stdout.write(formatTable(['ID', 'TITLE', 'STEPS'], list.map((w) => [w.id, w.title, String(w.steps)])));
        }
      } finally {
        await closeEngine(engine);
      }
    });
  withGlobalOptions(cmd);
}
