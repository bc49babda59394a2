// `railbook run <notebook> --log-output` (papermill's flag): what each cell prints, on stderr as it
// is printed, so a long headless run can be followed. Reads the cell's output so far (the engine's
// change feed) and writes only what is new; a progress bar redrawn with "\r" or a clear_output
// shows its latest line instead of repeating the whole text.
import type { RunState } from '../engine/run-state.ts';
import { isCellOutput } from '../notebooks/cell-output.ts';

export class CellLog {
  private printed = new Map<string, string>();

  constructor(private readonly write: (text: string) => void) {}

  onPartial(step: string, output: unknown): void {
    if (isCellOutput(output)) this.show(step, streamText(output.outputs));
  }

  /** The final output may hold lines no partial update carried (they come at most every 100 ms). */
  onStepEnd(step: string, state: RunState): void {
    const out = state.steps[step]?.output;
    if (isCellOutput(out)) this.show(step, streamText(out.outputs));
    const last = this.printed.get(step) ?? '';
    if (last !== '' && !last.endsWith('\n')) this.write('\n');
    this.printed.delete(step);
  }

  private show(step: string, text: string): void {
    const before = this.printed.get(step) ?? '';
    if (text === before) return;
    if (text.startsWith(before)) this.write(text.slice(before.length));
    else this.write(`\n${text.split('\n').filter(Boolean).at(-1) ?? ''}\n`);
    this.printed.set(step, text);
  }
}

/** The text of a cell's stream outputs, in order (text stored as a file is left out). */
function streamText(outputs: readonly { output_type: string; text?: unknown }[]): string {
  return outputs.map((o) => (o.output_type === 'stream' && typeof o.text === 'string' ? o.text : '')).join('');
}
