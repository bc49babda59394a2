import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Engine } from '../engine/engine.ts';
import type { Progress } from '../engine/workflow.ts';
import { ProgressView } from './views/progress.tsx';

/** At most this often a progress event goes out (about 10 per second). */
export const PROGRESS_THROTTLE_MS = 100;
/** At most this often the page is told to reload the run bar because the run's kernel changed state. */
export const RESOURCES_THROTTLE_MS = 250;
/** How often the stream re-reads the database, for steps run by another process (the CLI). */
export const POLL_MS = 1000;
const HEARTBEAT_MS = 15_000;

async function progressHtml(p: Progress, label: string): Promise<string> {
  return String(await (<ProgressView progress={p} label={label} />));
}

/**
 * `text/event-stream` of one running step: `progress` (an HTML fragment of the bar) at once and
 * then as the step reports it, `partial` (its output so far, rendered) as it grows, `resources`
 * when the run's kernel changes state (the run bar reloads), and `done` once the step is no
 * longer running. The step itself
 * runs in the engine, detached from this request: a client that goes away only stops the stream.
 * Everything comes from the engine's one feed of the run (`engine.watch`), which also sees steps
 * that another process (the CLI) runs.
 */
export interface StepEventsOptions {
  /** Accessible label of the progress bar. */
  label?: string | undefined;
  /** HTML of the step's output so far (ctx.partial), sent as `partial` events; without it none are sent. */
  renderPartial?: ((output: unknown) => string | Promise<string>) | undefined;
}

export function stepEvents(c: Context, engine: Engine, key: string, stepId: string, opts: StepEventsOptions = {}): Response {
  const label = opts.label ?? 'Progress';
  const renderPartial = opts.renderPartial;
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    const ac = new AbortController();
    stream.onAbort(() => ac.abort());
    c.req.raw.signal.addEventListener('abort', () => ac.abort());

    let lastSent = 0;
    let lastHtml = '';
    let latest: Progress | undefined;
    let timer: NodeJS.Timeout | undefined;

    const send = async (p: Progress) => {
      const html = await progressHtml(p, label);
      if (ac.signal.aborted || html === lastHtml) return;
      lastHtml = html;
      lastSent = Date.now();
      await stream.writeSSE({ event: 'progress', data: html });
    };
    // At most one progress event per PROGRESS_THROTTLE_MS, always the newest.
    const schedule = (p: Progress) => {
      latest = p;
      if (timer || ac.signal.aborted) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (latest) void send(latest);
      }, Math.max(0, PROGRESS_THROTTLE_MS - (Date.now() - lastSent)));
    };

    let resourcesTimer: NodeJS.Timeout | undefined;
    let lastResources = 0;
    const scheduleResources = () => {
      if (resourcesTimer || ac.signal.aborted) return;
      resourcesTimer = setTimeout(() => {
        resourcesTimer = undefined;
        lastResources = Date.now();
        if (!ac.signal.aborted) void stream.writeSSE({ event: 'resources', data: '' });
      }, Math.max(0, RESOURCES_THROTTLE_MS - (Date.now() - lastResources)));
    };
    const heartbeat = setInterval(() => void stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
    let started = false;
    try {
      for await (const u of engine.watch(key, { signal: ac.signal, pollMs: POLL_MS })) {
        if (u.kind === 'progress') {
          if (u.step === stepId) schedule(u.progress);
          continue;
        }
        if (u.kind === 'partial') {
          // The engine already throttles these (PARTIAL_INTERVAL_MS); each is the whole output so far.
          if (u.step === stepId && renderPartial) await stream.writeSSE({ event: 'partial', data: await renderPartial(u.output) });
          continue;
        }
        if (u.kind === 'resources') {
          // The run bar shows the kernel's state (busy, idle, restarting): tell the page, at most every 250 ms.
          scheduleResources();
          continue;
        }
        const status = u.kind === 'gone' ? 'gone' : (u.state.steps[stepId]?.status ?? 'gone');
        if (status !== 'running') {
          await stream.writeSSE({ event: 'done', data: status });
          break;
        }
        if (!started) {
          started = true;
          lastHtml = await progressHtml((await engine.progress(key, stepId)) ?? { done: 0 }, label);
          lastSent = Date.now();
          await stream.writeSSE({ event: 'progress', data: lastHtml, retry: 2000 });
        }
      }
    } finally {
      ac.abort();
      clearInterval(heartbeat);
      if (timer) clearTimeout(timer);
      if (resourcesTimer) clearTimeout(resourcesTimer);
    }
  });
}
