import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { archiveCommands } from './commands/archive.ts';
import { backupCommand } from './commands/backup.ts';
import { convertCommand } from './commands/convert.ts';
import { deleteCommand } from './commands/delete.ts';
import { exportCommand } from './commands/export.ts';
import { kernelsCommand } from './commands/kernels.ts';
import { newCommand } from './commands/new.ts';
import { profilesCommand } from './commands/profiles.ts';
import { restoreCommand } from './commands/restore.ts';
import { runCommand } from './commands/run.ts';
import { revertCommands } from './commands/revert.ts';
import { runsCommand } from './commands/runs.ts';
import { serveCommand } from './commands/serve.ts';
import { stateCommand } from './commands/state.ts';
import { workflowsCommand } from './commands/workflows.ts';
import { workerCommand } from './commands/worker.ts';
import { scheduleCommand } from './commands/schedule.ts';
import { migrateCommand } from './commands/migrate.ts';
import { modelsCommand } from './commands/models.ts';
import { chatCommand } from './commands/chat.ts';
import { memoryCommand } from './commands/memory.ts';
import { memoryNotesCommand } from './commands/memory-notes.ts';
import { memoryTransferCommands } from './commands/memory-transfer.ts';
import { EXIT } from './exit-codes.ts';

/**
 * The `railbook` command. Each sub-command lives in its own file under commands/ and loads the
 * engine only when it runs, so `railbook --help` stays instant.
 */
export function buildProgram(): Command {
  const program = new Command('railbook')
    .description('Railbook: local-first, step-by-step workflows. Runs in your browser; your data stays in ./data.')
    .version(packageVersion(), '-V, --version')
    // Usage errors are reported by commander, then main() maps them to exit code 2.
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: false })
    .addHelpText('after', `
Examples:
  railbook serve                           start the app and open it in your browser
  railbook workflows                       list the workflows
  railbook run job.json                    run a job file headlessly; prints the run key
  railbook export default-hello-01 > job.json
  railbook run job.json --key hello-again  replay it as a new run
  railbook new report --title "Weekly report"
  railbook chat "what does this run do?"   ask the AI model (Ollama, an OpenAI-compatible server or a GGUF file)
  railbook memory add notes/ https://example.com/guide   documents the chat can cite

Every command takes --data-dir <dir> (default: $RAILBOOK_DATA_DIR, else ./data).
Exit codes: 0 success, 1 a step failed, 2 bad usage or input.`);

  serveCommand(program);
  workflowsCommand(program);
  runsCommand(program);
  runCommand(program);
  exportCommand(program);
  stateCommand(program);
  revertCommands(program);
  archiveCommands(program);
  deleteCommand(program);
  newCommand(program);
  convertCommand(program);
  profilesCommand(program);
  kernelsCommand(program);
  backupCommand(program);
  restoreCommand(program);
  workerCommand(program);
  scheduleCommand(program);
  migrateCommand(program);
  modelsCommand(program);
  chatCommand(program);
  const memory = memoryCommand(program);
  memoryNotesCommand(memory);
  memoryTransferCommands(memory);
  return program;
}

/** Parses `argv`, runs the command and returns the process exit code. Never throws. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    // Commander has already printed its message (unknown option, missing argument, …).
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const { describeError, printError } = await import('./errors.ts');
    const d = describeError(e);
    printError(d.message);
    return d.exitCode;
  }
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
