/**
 * Per-cell overhead: a notebook of trivial cells (`x = 1`) run step by step through the real
 * engine (temp data folder, real SQLite, the notebook loader, Debian's python3 ipykernel) against
 * the raw round trip of the same cell on a second kernel this benchmark starts itself over the
 * same protocol (Kernel.execute). The two are interleaved cell by cell (engine, raw, engine, raw…)
 * so whatever else the machine does hits both alike. Goal: ≤ +2 ms per cell.
 *
 * Each engine step is also cut in three, to show where any overhead goes:
 *   accept  — engine.submit until it returns: validation, the SQLite transaction that records the
 *             input and marks the step running;
 *   start   — until the cell reports "running": the run's kernel looked up, its state checked;
 *   finish  — until `completion` resolves: the kernel's round trip, storing the outputs, the
 *             SQLite transaction that records the outcome.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Engine, type ProgressEvent } from '../src/engine/engine.ts';
import { Registry } from '../src/engine/registry.ts';
import { findKernelspec, Kernel } from '../src/notebooks/kernel/index.ts';
import { notebookLoader } from '../src/notebooks/notebook-loader.ts';
import { Store } from '../src/store/store.ts';
import { BENCH_KERNEL, trivialCells, writeNotebook } from './notebook-fixture.ts';

/** Measured cells (each also runs once on the raw kernel); override with BENCH_NB_CELLS. */
const CELLS = Number(process.env.BENCH_NB_CELLS ?? 100);
/** Cells run on both sides before measuring; the first also starts the run's kernel. */
const WARMUP = Number(process.env.BENCH_NB_WARMUP ?? 10);
const GOAL_MS = 2;

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const quantile = (xs: number[], q: number) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * q))] ?? NaN;
const median = (xs: number[]) => quantile(xs, 0.5);
const ms = (x: number) => `${x.toFixed(2)} ms`;

interface StepTimes {
  total: number;
  /** This process's CPU time (all its threads) during the step: less moved by others' load than wall time. */
  cpu: number;
  accept: number;
  start: number;
  finish: number;
}

export async function notebookCellOverhead(): Promise<{ overheadMs: number; lines: string[] }> {
  const spec = findKernelspec(BENCH_KERNEL);
  if (!spec) throw new Error(`no "${BENCH_KERNEL}" Jupyter kernelspec: install Debian's python3-ipykernel (apt-get install -y python3-ipykernel)`);

  const tmp = mkdtempSync(path.join(tmpdir(), 'railbook-bench-nb-'));
  const file = writeNotebook(path.join(tmp, 'overhead.ipynb'), 'Cell overhead', trivialCells(WARMUP + CELLS));
  const registry = new Registry();
  await registry.loadFile(file, notebookLoader());
  if (registry.errors.length) throw new Error(`the benchmark notebook did not load: ${registry.errors.map((e) => e.message).join('; ')}`);
  const wf = registry.list().find((w) => w.origin?.file === file);
  if (!wf) throw new Error('the benchmark notebook loaded as no workflow');
  const engine = await Engine.start(await Store.open(path.join(tmp, 'data')), registry);
  let raw: Kernel | undefined;

  // The moment the engine's current cell reports "running" (its kernel is ready for it).
  let runningAt = 0;
  const onProgress = (e: ProgressEvent) => {
    if (e.progress.message === 'running') runningAt = performance.now();
  };
  engine.bus.on('progress', onProgress);

  const engineTimes: StepTimes[] = [];
  const rawTimes: number[] = [];
  const rawCpu: number[] = [];
  let stateBytes = 0;
  try {
    raw = await Kernel.start(spec, { cwd: tmp });
    const { state } = await engine.open(wf.id);
    const steps = wf.steps.map((s) => s.id);
    for (let i = 0; i < steps.length; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const { completion } = await engine.submit(state.key, steps[i]!, {});
      const t1 = performance.now();
      const done = await completion;
      const t3 = performance.now();
      const c1 = process.cpuUsage(c0);
      const status = done.steps[steps[i]!]?.status;
      if (status !== 'done') throw new Error(`cell ${i + 1} ended ${status}: ${done.steps[steps[i]!]?.error ?? ''}`);

      const rc0 = process.cpuUsage();
      const r0 = performance.now();
      const r = await raw.execute('x = 1');
      const r1 = performance.now();
      const rc1 = process.cpuUsage(rc0);
      if (r.status !== 'ok') throw new Error(`the raw kernel answered ${r.status}`);

      if (i < WARMUP) continue;
      engineTimes.push({ total: t3 - t0, cpu: (c1.user + c1.system) / 1000, accept: t1 - t0, start: runningAt - t1, finish: t3 - runningAt });
      rawTimes.push(r1 - r0);
      rawCpu.push((rc1.user + rc1.system) / 1000);
    }
    // Every step reads and rewrites the run's whole state: its size is what grows with the notebook.
    stateBytes = Buffer.byteLength(JSON.stringify(await engine.store.runs.get(state.key)));
  } finally {
    engine.bus.off('progress', onProgress);
    await engine.shutdown();
    await engine.store.close();
    await raw?.shutdown();
    rmSync(tmp, { recursive: true, force: true });
  }

  const totals = engineTimes.map((t) => t.total);
  const overheadMs = median(totals) - median(rawTimes);
  // Later cells write a bigger run state: the overhead of the first and last quarter shows whether it grows.
  const quarter = Math.max(1, Math.floor(CELLS / 4));
  const overheadOf = (from: number, to: number) => median(totals.slice(from, to)) - median(rawTimes.slice(from, to));
  // Judged at the precision printed: a hundredth of a millisecond is far below the noise.
  const verdict = Math.round(overheadMs * 100) <= GOAL_MS * 100 ? 'met' : `MISSED by ${ms(overheadMs - GOAL_MS)}`;
  const part = (k: keyof StepTimes) => `${ms(median(engineTimes.map((t) => t[k])))} (p90 ${ms(quantile(engineTimes.map((t) => t[k]), 0.9))})`;
  const lines = [
    `notebook-cell-overhead: ${CELLS} trivial cells (x = 1) as engine steps (real SQLite, ${spec.displayName}) vs the raw Kernel.execute round trip on a second kernel; interleaved, after ${WARMUP} warm-up cells`,
    `  engine step (submit → completion)  median ${ms(median(totals))} (p90 ${ms(quantile(totals, 0.9))})  vs raw kernel ${ms(median(rawTimes))} (p90 ${ms(quantile(rawTimes, 0.9))})`,
    `  overhead  ${overheadMs >= 0 ? '+' : ''}${ms(overheadMs)} per cell; goal ≤ +${GOAL_MS} ms: ${verdict}   (first quarter ${ms(overheadOf(0, quarter))}, last quarter ${ms(overheadOf(CELLS - quarter, CELLS))})`,
    `  CPU time of this process per cell (medians)  engine ${ms(median(engineTimes.map((t) => t.cpu)))}  vs raw ${ms(median(rawCpu))}  → +${ms(median(engineTimes.map((t) => t.cpu)) - median(rawCpu))}`,
    `  engine step, by part (medians): accept ${part('accept')}, start ${part('start')}, finish ${part('finish')}; the run's state at the end: ${(stateBytes / 1024).toFixed(0)} KiB of JSON`,
  ];
  return { overheadMs, lines };
}

// `node --import tsx bench/notebook-cell-overhead.ts`: this benchmark alone (`npm run bench` runs every one).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  for (const line of (await notebookCellOverhead()).lines) console.log(line);
}
