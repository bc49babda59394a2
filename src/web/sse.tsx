import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Engine, ProgressEvent } from '../engine/engine.ts';
import type { Progress } from '../engine/workflow.ts';
import { ProgressView } from './views/progress.tsx';

/** At most this often a progress event goes out (about 10 per second). */
export const PROGRESS_THROTTLE_MS = 100;
/** How often the stream re-reads the database, for steps run by another process (the CLI). */
export const POLL_MS = 1000;
const HEARTBEAT_MS = 15_000;

async function progressHtml(p: Progress, label: string): Promise<string> {
  return String(await (<ProgressView progress={p} label={label} />));
}

/**
 * `text/event-stream` of one running step: `progress` (an HTML fragment of the bar) at once and
 * then as the step reports it, and `done` once the step is no longer running. The step itself
 * runs in the engine, detached from this request: a client that goes away only stops the stream.
 */
export function stepEvents(c: Context, engine: Engine, key: string, stepId: string, label = 'Progress'): Response {
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    let finished = false;
    let release!: () => void;
    const over = new Promise<void>((r) => { release = r; });
    const finish = () => {
      if (finished) return;
      finished = true;
      release();
    };
    stream.onAbort(finish);
    c.req.raw.signal.addEventListener('abort', finish);

    let lastSent = 0;
    let lastHtml = '';
    let latest: Progress | undefined;
    let timer: NodeJS.Timeout | undefined;

    const send = async (p: Progress) => {
      const html = await progressHtml(p, label);
      if (finished || html === lastHtml) return;
      lastHtml = html;
      lastSent = Date.now();
      await stream.writeSSE({ event: 'progress', data: html });
    };
    const schedule = (p: Progress) => {
      latest = p;
      if (timer || finished) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (latest) void send(latest);
      }, Math.max(0, PROGRESS_THROTTLE_MS - (Date.now() - lastSent)));
    };
    /** Sends `done` (and ends the stream) once the step is not running; true if it did. */
    const checkDone = async (): Promise<boolean> => {
      if (finished) return true;
      let status: string;
      try {
        status = engine.get(key).steps[stepId]?.status ?? 'gone';
      } catch {
        status = 'gone';
      }
      if (status === 'running') return false;
      finished = true;
      await stream.writeSSE({ event: 'done', data: status });
      release();
      return true;
    };

    const onProgress = (e: ProgressEvent) => {
      if (e.run === key && e.step === stepId) schedule(e.progress);
    };
    const onChange = (k: string) => {
      if (k === key) void checkDone();
    };
    engine.bus.on('progress', onProgress);
    engine.bus.on('change', onChange);
    const poll = setInterval(() => {
      void checkDone().then((done) => {
        if (done) return;
        const p = engine.progress(key, stepId);
        if (p) schedule(p);
      });
    }, POLL_MS);
    const heartbeat = setInterval(() => void stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
    try {
      if (!(await checkDone())) {
        lastHtml = await progressHtml(engine.progress(key, stepId) ?? { done: 0 }, label);
        lastSent = Date.now();
        await stream.writeSSE({ event: 'progress', data: lastHtml, retry: 2000 });
        await over;
      }
    } finally {
      engine.bus.off('progress', onProgress);
      engine.bus.off('change', onChange);
      clearInterval(poll);
      clearInterval(heartbeat);
      if (timer) clearTimeout(timer);
    }
  });
}
