import path from 'node:path';
import type { Command } from 'commander';
import { withGlobalOptions } from '../context.ts';
import { formatTable } from '../table.ts';

interface Options {
  json?: boolean;
}

export function kernelsCommand(program: Command): void {
  const cmd = program
    .command('kernels')
    .description('list the installed Jupyter kernels, found where Jupyter looks (kernelspecs that cannot be used are reported on stderr)')
    .option('--json', 'print JSON instead of a table')
    .addHelpText('after', `
Kernels are found as Jupyter finds them: $JUPYTER_PATH, then the user's folder
($JUPYTER_DATA_DIR, else ~/.local/share/jupyter), the active virtualenv/conda prefix, then
/usr/local/share/jupyter and /usr/share/jupyter — each with a kernels/<name>/kernel.json.
The first folder that has a name wins. A notebook picks its kernel by NAME.

Examples:
  railbook kernels
  railbook kernels --json
  JUPYTER_PATH=./my-kernels railbook kernels

To install the Python kernel: apt-get install python3-ipykernel (Debian/Ubuntu),
or pip install ipykernel && python -m ipykernel install --user`)
    .action(async (opts: Options) => {
      // Loaded here, not at the top, so `railbook --help` does not pay for it.
      const [{ findKernelspecs, jupyterDataDirs }, { noKernelsMessage }] = await Promise.all([
        import('../../notebooks/kernel/kernelspecs.ts'),
        import('../../notebooks/kernel/missing-kernel.ts'),
      ]);
      const { specs, problems } = findKernelspecs();
      // A broken kernelspec is worth fixing but must not hide the ones that work (exit 0 still).
      for (const p of problems) process.stderr.write(`railbook: warning: kernel not usable: ${p.problem}\n`);

      const rows = specs.map((s) => ({
        name: s.name,
        language: s.language,
        displayName: s.displayName,
        folder: s.resourceDir,
        argv: s.argv,
        interruptMode: s.interruptMode,
      }));
      if (opts.json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      else if (rows.length) {
        process.stdout.write(formatTable(['NAME', 'LANGUAGE', 'DISPLAY NAME', 'FOLDER'], rows.map((r) => [r.name, r.language || '-', r.displayName, r.folder])));
      }
      if (rows.length === 0) {
        const searched = jupyterDataDirs().map((d) => path.join(d, 'kernels'));
        process.stderr.write(noKernelsMessage(searched) + '\n');
      }
    });
  // Kernels do not live in the data folder, but every command takes --data-dir, so scripts that
  // always pass it keep working.
  withGlobalOptions(cmd, { workflows: false });
}
