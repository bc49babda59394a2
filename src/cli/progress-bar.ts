import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../engine/engine.ts';
import type { JobObserver } from '../engine/job-runner.ts';
import type { RunState } from '../engine/run-state.ts';
import type { Progress } from '../engine/workflow.ts';

/** What the reporter needs of a step. */
interface StepInfo {
  id: string;
  title: string;
}

export interface ProgressOptions {
  /** Where to draw (default: stderr, so stdout stays the run key alone). */
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Draw a live bar (default: whether the stream is a terminal). */
  tty?: boolean;
  /** A step must run this long before its bar appears, so quick steps draw nothing (TTY). */
  barDelayMs?: number;
  /** Without a terminal: a line at most this often, the first one after this long (default 2 s). */
  lineIntervalMs?: number;
}

/**
 * Shows how a headless job is getting on. On a terminal: a cli-progress bar for each step that
 * takes more than a moment, and a ✓/✗ line per step. Piped or redirected (CI logs, cron): no
 * escape codes, one plain progress line at most every ~2 s, and nothing at all for quick steps.
 */
export class JobProgress implements JobObserver {
  private readonly stream: NodeJS.WritableStream;
  private readonly tty: boolean;
  private readonly barDelayMs: number;
  private readonly lineIntervalMs: number;
  private current: { step: StepInfo; index: number; count: number; started: number; progress?: Progress | undefined } | undefined;
  private bar: cliProgress.SingleBar | undefined;
  private timer: NodeJS.Timeout | undefined;
  private printedLines = 0;

  constructor(opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? (this.stream as NodeJS.WriteStream).isTTY === true;
    this.barDelayMs = opts.barDelayMs ?? 300;
    this.lineIntervalMs = opts.lineIntervalMs ?? 2000;
  }

  onStepStart(step: StepInfo, index: number, count: number): void {
    this.clear();
    this.current = { step, index, count, started: Date.now() };
    this.printedLines = 0;
    if (this.tty) {
      this.timer = setTimeout(() => this.startBar(), this.barDelayMs);
    } else {
      this.timer = setInterval(() => this.printLine(), this.lineIntervalMs);
    }
    this.timer.unref();
  }

  onProgress(e: ProgressEvent): void {
    const c = this.current;
    if (!c || e.step !== c.step.id) return;
    c.progress = e.progress;
    this.bar?.update(Math.max(0, e.progress.done), this.payload());
  }

  onStepEnd(step: StepInfo, state: RunState): void {
    const c = this.current;
    const hadBar = this.bar !== undefined;
    const s = state.steps[step.id];
    if (hadBar && s?.status === 'done' && c?.progress?.total) this.bar!.update(c.progress.total, this.payload());
    this.clear();
    if (!c) return;
    const took = Date.now() - c.started;
    if (this.tty) {
      const mark = s?.status === 'done' ? '✓' : '✗';
      this.stream.write(`${mark} ${c.index + 1}/${c.count} ${step.title}${s?.status !== 'done' ? ` (${s?.status ?? 'failed'})` : ''}${took >= 1000 ? `  ${formatDuration(took)}` : ''}\n`);
    } else if (this.printedLines > 0) {
      // Only a step that printed progress gets a closing line: quick steps stay silent.
      this.stream.write(`${label(c)}: ${s?.status ?? 'finished'} after ${formatDuration(took)}\n`);
    }
    this.current = undefined;
  }

  /** Stops drawing (Ctrl-C, an error): leaves the terminal tidy. */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
    }
  }

  private startBar(): void {
    const c = this.current;
    if (!c) return;
    this.bar = new cliProgress.SingleBar({
      stream: this.stream,
      format: (_o, params, payload: BarPayload) => formatBar(payload, params.maxWidth),
      hideCursor: true,
      clearOnComplete: true,
      // We stop the bar ourselves on Ctrl-C (the run command cancels the step first).
      gracefulExit: false,
      fps: 10,
      linewrap: false,
    });
    this.bar.start(Math.max(1, c.progress?.total ?? 1), Math.max(0, c.progress?.done ?? 0), this.payload());
  }

  private payload(): BarPayload {
    const c = this.current!;
    return { label: label(c), progress: c.progress, started: c.started };
  }

  private printLine(): void {
    const c = this.current;
    if (!c) return;
    this.printedLines++;
    this.stream.write(formatProgressLine(label(c), c.progress, Date.now() - c.started) + '\n');
  }
}

export interface BarPayload {
  label: string;
  progress?: Progress | undefined;
  /** When the step started (ms since the epoch): the bar redraws on its own, so time is computed at each frame. */
  started: number;
}

function label(c: { step: StepInfo; index: number; count: number }): string {
  return `[${c.index + 1}/${c.count}] ${c.step.title}`;
}

/** `[1/2] Count slowly: 12/20 (60%) counting 13 of 20 — 4 s`: the plain line for logs. */
export function formatProgressLine(title: string, p: Progress | undefined, elapsedMs: number): string {
  const parts = [`${title}:`];
  if (p && p.total) parts.push(`${p.done}/${p.total} (${Math.floor((100 * p.done) / p.total)}%)`);
  else if (p && p.done) parts.push(`${p.done} done`);
  else parts.push('running');
  if (p?.message) parts.push(p.message);
  return `${parts.join(' ')} — ${formatDuration(elapsedMs)}`;
}

/** The live bar: `[1/2] Count slowly [██████░░░░]  60% 12/20 counting 13 of 20`, cut to the terminal's width. */
export function formatBar(p: BarPayload, maxWidth = 80, now = Date.now(), size = 24): string {
  const pr = p.progress;
  let line: string;
  if (pr?.total) {
    const frac = Math.min(1, Math.max(0, pr.done / pr.total));
    const full = Math.round(frac * size);
    line = `${p.label} [${'█'.repeat(full)}${'░'.repeat(size - full)}] ${String(Math.floor(frac * 100)).padStart(3)}% ${pr.done}/${pr.total}`;
  } else {
    line = `${p.label} … ${pr?.done ? `${pr.done} done ` : ''}${formatDuration(Math.max(0, now - p.started))}`;
  }
  if (pr?.message) line += ` ${pr.message}`;
  const chars = [...line];
  return chars.length > maxWidth - 1 ? chars.slice(0, Math.max(10, maxWidth - 2)).join('') + '…' : line;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
