// Running one notebook cell as a step's work: get the run's kernel (started on demand), bring it to
// hold exactly the run's done cells (replaying them if it is new or has been restarted), run the
// cell with its output streamed to the page as it comes, store the outputs (large ones and HTML
// as artifacts), and end the way the notebook says: an error fails the step unless the cell is
// tagged `raises-exception`.
import type { StepContext } from '../engine/workflow.ts';
import { StepFailure } from '../engine/errors.ts';
import { isCellOutput, type CellOutput } from './cell-output.ts';
import { KernelDiedError } from './kernel/errors.ts';
import { NotebookSession, type ReplayCell } from './notebook-session.ts';
import { OutputCollector } from './outputs/collect.ts';
import { storeOutputs } from './outputs/store-outputs.ts';
import type { Json } from './parameters.ts';
import type { RunnerChoice } from './runner-choice.ts';

/** The name of a notebook run's kernel among its resources. */
export const KERNEL_RESOURCE = 'kernel';

/** What every cell of one notebook shares: how to start its runner and where. */
export interface CellEnvironment {
  choice: RunnerChoice;
  /** The kernel's working directory: the notebook's folder, so relative paths work as in Jupyter. */
  cwd: string;
  /** Step titles by id, for replay messages. */
  titles: ReadonlyMap<string, string>;
}

export interface CellWork {
  step: string;
  kind: 'code' | 'parameters';
  /** The code to run: the cell, and for a parameters step the injected values after it. */
  code: string[];
  codeHash: string;
  raisesException: boolean;
  values?: Record<string, Json> | undefined;
}

export async function runCell(env: CellEnvironment, work: CellWork, ctx: StepContext<unknown, Record<string, unknown>>): Promise<CellOutput> {
  const session = await ctx.resource(KERNEL_RESOURCE, (hooks) =>
    NotebookSession.start(env.choice, env.cwd, {
      // The code can find the run it belongs to and write files beside its artifacts.
      RAILBOOK_RUN_KEY: ctx.runKey,
      RAILBOOK_ARTIFACTS_DIR: ctx.artifacts.dir,
    }, hooks),
  );

  const replay = replayCells(ctx.outputs, env.titles);
  await session.restore(replay, work.step, (done, total, cell) => {
    ctx.progress({ done, total, message: cell ? `restoring kernel state (${done + 1}/${total}): ${cell.title}` : `kernel state restored (${total} cells)` });
  }, ctx.signal);

  const startedAt = new Date();
  const collector = new OutputCollector();
  const base: CellOutput = {
    notebookCell: true,
    kind: work.kind,
    code: work.code,
    codeHash: work.codeHash,
    status: 'running',
    outputs: [],
    executionCount: null,
    values: work.values,
    startedAt: startedAt.toISOString(),
  };
  ctx.progress({ done: 0, message: 'running' });
  let result;
  try {
    result = await session.run(work.step, work.code, {
      onOutput: (o) => {
        collector.push(o);
        ctx.partial({ ...base, outputs: collector.outputs() });
      },
    }, ctx.signal);
  } catch (e) {
    if (e instanceof KernelDiedError) {
      // Keep what it printed before dying: often the reason (out of memory, a crash in C code).
      throw new StepFailure(e.message, { ...base, status: 'error', outputs: await storeOutputs(collector.outputs(), ctx.artifacts) });
    }
    throw e;
  }
  const finishedAt = new Date();
  const out: CellOutput = {
    ...base,
    status: result.status === 'ok' ? 'ok' : 'error',
    outputs: await storeOutputs(collector.outputs(), ctx.artifacts),
    executionCount: result.executionCount,
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
  };
  if (result.status === 'ok') return out;
  if (work.raisesException) return { ...out, errorExpected: true };
  const why = result.error ? `${result.error.ename}: ${firstLine(result.error.evalue)}` : `the kernel answered "${result.status}"`;
  throw new StepFailure(why, out);
}

/** The done cells before this one, in order, as the kernel must hold them. */
export function replayCells(outputs: Record<string, unknown>, titles: ReadonlyMap<string, string>): ReplayCell[] {
  const cells: ReplayCell[] = [];
  for (const [step, out] of Object.entries(outputs)) {
    if (!isCellOutput(out) || out.status === 'skipped') continue;
    cells.push({ step, code: out.code, title: titles.get(step) ?? step, errorExpected: out.status === 'error' });
  }
  return cells;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
