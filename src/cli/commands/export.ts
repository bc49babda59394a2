import type { Command } from 'commander';
import { withEngine, withGlobalOptions, type GlobalOptions } from '../context.ts';

export function exportCommand(program: Command): void {
  const cmd = program
    .command('export')
    .argument('<key>', 'run key, e.g. default-hello-01')
    .description('print a run\'s job file (its workflow, key, profile and the input of every done step) as JSON')
    .addHelpText('after', `
Uploaded files appear as absolute paths to their copies in the data folder, so the job file
can be replayed on this machine as it is.

Examples:
  railbook export default-hello-01 > job.json
  railbook run job.json --key hello-again     replays it as a new run`)
    .action(async (key: string, opts: GlobalOptions) => {
      const { exportJob } = await import('../../engine/job-file.ts');
      await withEngine(opts, (engine) => {
        process.stdout.write(JSON.stringify(exportJob(engine, key), null, 2) + '\n');
      });
    });
  withGlobalOptions(cmd);
}
