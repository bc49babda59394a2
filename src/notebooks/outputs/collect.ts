// Turns a kernel's stream of iopub outputs into the list a notebook front end shows, with
// Jupyter's own rules (JupyterLab's output area): consecutive stream text of one name merges,
// carriage returns overwrite, clear_output may wait for the next output, update_display_data
// rewrites earlier displays. Bounded, so a runaway cell cannot exhaust memory.
import type { KernelOutput } from '../kernel/outputs.ts';
import type { NbOutput } from './nb-output.ts';
import { StreamText } from './stream-text.ts';

/** Characters of one stream output kept (the last ones); earlier ones give way to a marker line. */
export const STREAM_MAX_CHARS = 1024 * 1024;
/** Outputs kept per cell, a marker included: past it the oldest give way to the marker. */
export const MAX_OUTPUTS = 5000;
/**
 * Characters kept across all of a cell's outputs (stream text, mime values, tracebacks): 5000
 * images of 1 MB each must not all stay in memory. The newest output is always kept.
 */
export const OUTPUTS_MAX_TOTAL_CHARS = 64 * 1024 * 1024;

export interface OutputLimits {
  streamMaxChars?: number;
  maxOutputs?: number;
  maxTotalChars?: number;
}

type Entry =
  | { kind: 'stream'; name: 'stdout' | 'stderr'; text: StreamText; size: number }
  | { kind: 'other'; output: Exclude<NbOutput, { output_type: 'stream' }>; displayId?: string | undefined; size: number };

/** The first output shown when older ones were dropped. */
export function droppedOutputsMarker(n: number): NbOutput {
  return { output_type: 'stream', name: 'stderr', text: `… ${n} earlier output${n === 1 ? '' : 's'} not kept\n` };
}

export class OutputCollector {
  private entries: Entry[] = [];
  /** display_id → the outputs showing it (one id may be displayed in several places). */
  private displays = new Map<string, Set<Entry>>();
  private clearOnNext = false;
  private droppedOutputs = 0;
  private total = 0;
  private changeCount = 0;
  private readonly streamMax: number;
  private readonly maxOutputs: number;
  private readonly maxTotal: number;

  constructor(limits: OutputLimits = {}) {
    this.streamMax = limits.streamMaxChars ?? STREAM_MAX_CHARS;
    this.maxOutputs = Math.max(2, limits.maxOutputs ?? MAX_OUTPUTS);
    this.maxTotal = limits.maxTotalChars ?? OUTPUTS_MAX_TOTAL_CHARS;
  }

  /** Increments on every change to what outputs() returns, so a caller can throttle live updates. */
  get changes(): number {
    return this.changeCount;
  }

  push(o: KernelOutput): void {
    switch (o.output_type) {
      case 'clear_output':
        // wait=true: keep showing the old output until the new one is there (no flicker).
        if (o.wait) this.clearOnNext = true;
        else this.clear();
        return;
      case 'update_display_data':
        this.update(o.display_id, o.data, o.metadata);
        return;
    }
    if (this.clearOnNext) this.clear();
    if (o.output_type === 'stream') {
      const last = this.entries.at(-1);
      if (last?.kind === 'stream' && last.name === o.name) {
        this.appendStream(last, o.text);
      } else {
        const entry: Entry = { kind: 'stream', name: o.name, text: new StreamText(this.streamMax), size: 0 };
        this.entries.push(entry);
        this.appendStream(entry, o.text);
      }
    } else if (o.output_type === 'error') {
      const output = { output_type: 'error' as const, ename: o.ename, evalue: o.evalue, traceback: [...o.traceback] };
      this.add({ kind: 'other', output, size: o.ename.length + o.evalue.length + o.traceback.reduce((n, l) => n + l.length, 0) });
    } else if (o.output_type === 'execute_result') {
      const output = { output_type: 'execute_result' as const, data: { ...o.data }, metadata: { ...o.metadata }, execution_count: o.execution_count };
      this.add({ kind: 'other', output, size: sizeOf(o.data) });
    } else {
      const entry: Entry = { kind: 'other', output: { output_type: 'display_data', data: { ...o.data }, metadata: { ...o.metadata } }, displayId: o.display_id, size: sizeOf(o.data) };
      this.add(entry);
      if (o.display_id !== undefined) {
        const set = this.displays.get(o.display_id) ?? new Set<Entry>();
        set.add(entry);
        this.displays.set(o.display_id, set);
      }
    }
    this.changeCount++;
    this.enforceLimits();
  }

  /** A snapshot: later pushes do not change it, and changing it does not change the collector. */
  outputs(): NbOutput[] {
    const out: NbOutput[] = this.droppedOutputs > 0 ? [droppedOutputsMarker(this.droppedOutputs)] : [];
    for (const e of this.entries) {
      if (e.kind === 'stream') out.push({ output_type: 'stream', name: e.name, text: e.text.text });
      else if (e.output.output_type === 'error') out.push({ ...e.output, traceback: [...e.output.traceback] });
      else out.push({ ...e.output, data: { ...e.output.data }, metadata: { ...e.output.metadata } });
    }
    return out;
  }

  private appendStream(e: Extract<Entry, { kind: 'stream' }>, text: string): void {
    e.text.append(text);
    this.total += e.text.length - e.size;
    e.size = e.text.length;
  }

  private add(e: Entry): void {
    this.entries.push(e);
    this.total += e.size;
  }

  private update(displayId: string, data: Record<string, unknown>, metadata: Record<string, unknown>): void {
    const targets = this.displays.get(displayId);
    if (!targets || targets.size === 0) return; // unknown id: nothing to update, as in Jupyter
    const size = sizeOf(data);
    for (const e of targets) {
      if (e.kind !== 'other' || e.output.output_type === 'error') continue;
      // Fresh objects per target: a snapshot taken earlier must not change under its holder.
      e.output = { ...e.output, data: { ...data }, metadata: { ...metadata } };
      this.total += size - e.size;
      e.size = size;
    }
    this.changeCount++;
    this.enforceLimits();
  }

  private clear(): void {
    this.clearOnNext = false;
    if (this.entries.length === 0 && this.droppedOutputs === 0) return;
    this.entries = [];
    this.displays.clear();
    this.droppedOutputs = 0;
    this.total = 0;
    this.changeCount++;
  }

  /** Drops the oldest outputs past the count or size limits (one slot is kept for the marker). */
  private enforceLimits(): void {
    const limit = () => (this.droppedOutputs > 0 ? this.maxOutputs - 1 : this.maxOutputs);
    while (this.entries.length > 1 && (this.entries.length > limit() || this.total > this.maxTotal)) {
      const gone = this.entries.shift()!;
      this.total -= gone.size;
      this.droppedOutputs++;
      if (gone.kind === 'other' && gone.displayId !== undefined) {
        const set = this.displays.get(gone.displayId);
        set?.delete(gone);
        if (set?.size === 0) this.displays.delete(gone.displayId);
      }
    }
  }
}

/** Roughly the characters a mime bundle holds (what it costs to keep). */
function sizeOf(data: Record<string, unknown>): number {
  let n = 0;
  for (const v of Object.values(data)) {
    if (typeof v === 'string') n += v.length;
    else {
      try {
        n += JSON.stringify(v)?.length ?? 0;
      } catch {
        // A value that cannot be measured (never from a kernel, which sends JSON) counts as nothing.
      }
    }
  }
  return n;
}
