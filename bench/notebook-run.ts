/**
 * A whole notebook, headless: `railbook run nb.ipynb -o out.ipynb` against Jupyter's own
 * `jupyter nbconvert --to notebook --execute` (Debian's nbconvert and nbclient) on the same
 * 50-cell notebook, in the same run. Both are timed as a person runs them: a child process from
 * start to exit, so start-up, the kernel's start and shutdown, and writing the output all count.
 * One warm-up each, then rounds alternating which goes first. Goal: ≤ 0.5× nbconvert's wall time.
 *
 * Both outputs are checked (not timed) to hold 50 executed code cells without an error, so a tool
 * that skipped or failed cells cannot look fast.
 */
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findKernelspec } from '../src/notebooks/kernel/index.ts';
import { BENCH_KERNEL, checkExecuted, realisticCells, writeNotebook } from './notebook-fixture.ts';

const CELLS = 50;
const ROUNDS = Number(process.env.BENCH_NB_ROUNDS ?? 5);
const GOAL = 0.5;
const RAILBOOK = fileURLToPath(new URL('../bin/railbook.js', import.meta.url));
const INSTALL_HINT = "install Debian's: apt-get install -y jupyter-nbconvert (python3-nbconvert alone brings no command)";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const secs = (x: number) => `${(x / 1000).toFixed(2)} s`;

/** The first executable called `name` on PATH. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** How to call nbconvert here (`jupyter-nbconvert`, else `jupyter nbconvert`) and its version; throws what to install. */
export function findNbconvert(): { argv: string[]; version: string } {
  const candidates: string[][] = [];
  const direct = onPath('jupyter-nbconvert');
  if (direct) candidates.push([direct]);
  const jupyter = onPath('jupyter');
  if (jupyter) candidates.push([jupyter, 'nbconvert']);
  for (const argv of candidates) {
    const r = spawnSync(argv[0]!, [...argv.slice(1), '--version'], { encoding: 'utf8' });
    if (r.status === 0) return { argv, version: r.stdout.trim() };
  }
  throw new Error(`jupyter nbconvert was not found on PATH (needed to compare with): ${INSTALL_HINT}`);
}

/** Runs a command to its end; resolves with its wall time, rejects with its output if it failed. */
function timed(cmd: string, args: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const ms = performance.now() - t0;
      if (err) reject(new Error(`${[cmd, ...args].join(' ')} failed (${err.code ?? err.signal}):\n${stderr || stdout}`));
      else resolve(ms);
    });
  });
}

export async function notebookRun(): Promise<{ ratio: number; lines: string[] }> {
  const nbconvert = findNbconvert();
  if (!findKernelspec(BENCH_KERNEL)) throw new Error(`no "${BENCH_KERNEL}" Jupyter kernelspec: install Debian's python3-ipykernel (apt-get install -y python3-ipykernel)`);

  const dir = mkdtempSync(path.join(tmpdir(), 'railbook-bench-run-'));
  const nb = writeNotebook(path.join(dir, 'nb.ipynb'), 'Fifty small cells', realisticCells(CELLS));
  const dataDir = path.join(dir, 'data');
  const railbookOut = path.join(dir, 'out.ipynb');
  const jupyterOut = path.join(dir, 'out2.ipynb');
  const runRailbook = () => timed(process.execPath, [RAILBOOK, 'run', nb, '-o', railbookOut, '--data-dir', dataDir], dir);
  // nbconvert resolves --output against the notebook's folder and adds no extension to one that has it.
  const runJupyter = () => timed(nbconvert.argv[0]!, [...nbconvert.argv.slice(1), '--to', 'notebook', '--execute', nb, '--output', 'out2.ipynb'], dir);
  const check = () => {
    checkExecuted(railbookOut, CELLS, 'railbook run');
    checkExecuted(jupyterOut, CELLS, 'jupyter nbconvert');
    rmSync(railbookOut);
    rmSync(jupyterOut);
  };

  const railbook: number[] = [];
  const jupyter: number[] = [];
  try {
    await runRailbook();
    await runJupyter();
    check();
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate who goes first, so a slow moment of the machine is not always one side's.
      if (round % 2 === 0) {
        railbook.push(await runRailbook());
        jupyter.push(await runJupyter());
      } else {
        jupyter.push(await runJupyter());
        railbook.push(await runRailbook());
      }
      check();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const ratio = median(railbook) / median(jupyter);
  const verdict = ratio <= GOAL ? 'met' : `MISSED (${(ratio / GOAL).toFixed(2)}× the goal)`;
  const lines = [
    `notebook-run: a ${CELLS}-cell notebook (stdlib only) run whole as a child process, \`railbook run -o\` vs \`${path.basename(nbconvert.argv.join(' '))} --to notebook --execute\` (nbconvert ${nbconvert.version}); ${ROUNDS} round${ROUNDS === 1 ? '' : 's'} after one warm-up each, alternating who goes first; both outputs checked: ${CELLS} cells executed`,
    `  wall time  median railbook ${secs(median(railbook))} (${railbook.map(secs).join(', ')})  vs nbconvert ${secs(median(jupyter))} (${jupyter.map(secs).join(', ')})`,
    `  ratio  ${ratio.toFixed(2)}× nbconvert's time; goal ≤ ${GOAL}×: ${verdict}`,
  ];
  return { ratio, lines };
}

// `node --import tsx bench/notebook-run.ts`: this benchmark alone (`npm run bench` runs every one).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  for (const line of (await notebookRun()).lines) console.log(line);
}
