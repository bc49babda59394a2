import type { Engine } from './engine.ts';
import { EngineError } from './errors.ts';
import type { RunState } from './run-state.ts';
import type { Progress } from './workflow.ts';

/** One thing that happened to a run. */
export type RunUpdate =
  /** The run's state after a change (the first update is the state when watching began). */
  | { kind: 'state'; state: RunState }
  /** A running step reported progress. */
  | { kind: 'progress'; step: string; progress: Progress }
  /** A step running in this process reported its output so far (ctx.partial). */
  | { kind: 'partial'; step: string; output: unknown }
  /** The run's resources changed (a kernel started, went busy or idle, died, was shut down). */
  | { kind: 'resources' }
  /** The run no longer exists (deleted); nothing follows. */
  | { kind: 'gone' };

export interface WatchOptions {
  /** Ends the watch (the iteration finishes). */
  signal?: AbortSignal | undefined;
  /** How often the database is read for changes made by other processes (default 1 s). */
  pollMs?: number | undefined;
}

/**
 * Everything that happens to one run, as it happens: its state after each change and the progress
 * of its running steps — from this process at once (the engine's events) and, by reading the
 * database every `pollMs`, from other processes (a `railbook run` beside the server). The SSE
 * routes, the CLI's progress and later MCP notifications all read this one feed.
 *
 * A slow reader never makes it grow without bound: only the newest state and the newest progress
 * of each step wait to be read.
 */
export async function* watchRun(engine: Engine, key: string, opts: WatchOptions = {}): AsyncGenerator<RunUpdate> {
  const pending = new Map<string, RunUpdate>(); // "state", "gone", "resources", "progress:<step>", "partial:<step>": newest only
  let wake: (() => void) | undefined;
  const push = (slot: string, u: RunUpdate) => {
    pending.delete(slot); // re-inserted last: updates keep the order they happened in
    pending.set(slot, u);
    wake?.();
  };
  let lastState = '';
  const lastProgress = new Map<string, string>();

  const readState = async () => {
    let state: RunState;
    try {
      state = await engine.get(key);
    } catch (e) {
      if (e instanceof EngineError && e.code === 'not_found') return push('gone', { kind: 'gone' });
      throw e;
    }
    // Compared whole, not by `updated`: two changes within one millisecond share that timestamp.
    const text = JSON.stringify(state);
    if (text !== lastState) {
      lastState = text;
      push('state', { kind: 'state', state });
    }
    // Another process's progress reaches us only through the database.
    for (const [step, s] of Object.entries(state.steps)) {
      if (s.status !== 'running') continue;
      const p = await engine.progress(key, step);
      if (p) pushProgress(step, p);
    }
  };
  const pushProgress = (step: string, p: Progress) => {
    const text = JSON.stringify(p);
    if (lastProgress.get(step) === text) return;
    lastProgress.set(step, text);
    push(`progress:${step}`, { kind: 'progress', step, progress: p });
  };

  // One read at a time, so states are pushed in the order they were read; a change announced
  // while a read is going on is read again after it. From a timer or another's event a failed
  // read must not throw into Node's loop (the database closing at shutdown, say): the next poll
  // reads again.
  let reading: Promise<void> | undefined;
  let again = false;
  let failure: unknown;
  const readQuietly = (): Promise<void> => {
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      do {
        again = false;
        failure = undefined;
        try {
          await readState();
        } catch (e) {
          failure = e; // see above
        }
      } while (again);
      reading = undefined;
    })();
    return reading;
  };
  const onChange = (k: string) => { if (k === key) void readQuietly(); };
  const onProgress = (e: { run: string; step: string; progress: Progress }) => { if (e.run === key) pushProgress(e.step, e.progress); };
  const onPartial = (e: { run: string; step: string; output: unknown }) => {
    if (e.run === key) push(`partial:${e.step}`, { kind: 'partial', step: e.step, output: e.output });
  };
  const onResources = (k: string) => { if (k === key) push('resources', { kind: 'resources' }); };
  const onAbort = () => wake?.();
  engine.bus.on('change', onChange);
  engine.bus.on('progress', onProgress);
  engine.bus.on('partial', onPartial);
  engine.bus.on('resources', onResources);
  opts.signal?.addEventListener('abort', onAbort);
  const poll = setInterval(() => void readQuietly(), opts.pollMs ?? 1000);
  try {
    // The first read's failure (the database is closed) is the caller's to hear.
    await readQuietly();
    if (failure) throw failure;
    while (!opts.signal?.aborted) {
      if (pending.size === 0) {
        await new Promise<void>((r) => { wake = r; });
        wake = undefined;
        continue;
      }
      const [slot, update] = pending.entries().next().value as [string, RunUpdate];
      pending.delete(slot);
      yield update;
      if (update.kind === 'gone') return;
    }
  } finally {
    clearInterval(poll);
    engine.bus.off('change', onChange);
    engine.bus.off('progress', onProgress);
    engine.bus.off('partial', onPartial);
    engine.bus.off('resources', onResources);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
