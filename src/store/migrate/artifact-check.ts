import { stat } from 'node:fs/promises';
import { isArtifactRef, type ArtifactRef } from '../artifact-ref.ts';
import { resolveInside } from '../artifacts.ts';
import type { ArtifactProblem } from './types.ts';

/** Checks every artifact a run refers to against the data folder: there, and of the recorded size. */
export class ArtifactCheck {
  checked = 0;
  readonly problems: ArtifactProblem[] = [];
  readonly unreadable: string[] = [];

  constructor(private readonly dataDir: string) {}

  async check(run: string, stateText: string): Promise<void> {
    let state: unknown;
    try {
      state = JSON.parse(stateText);
    } catch {
      this.unreadable.push(run);
      return;
    }
    // A step's input and output often hold the same reference: once per run is enough.
    const seen = new Set<string>();
    for (const ref of refsIn(state)) {
      if (seen.has(ref.path)) continue;
      seen.add(ref.path);
      this.checked++;
      let file: string;
      try {
        file = resolveInside(this.dataDir, ref.path);
      } catch {
        this.problems.push({ run, path: ref.path, reason: 'outside' });
        continue;
      }
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile()) this.problems.push({ run, path: ref.path, reason: 'absent' });
      else if (typeof ref.size === 'number' && st.size !== ref.size) this.problems.push({ run, path: ref.path, reason: 'size', expected: ref.size, actual: st.size });
    }
  }
}

function refsIn(v: unknown, out: ArtifactRef[] = []): ArtifactRef[] {
  if (isArtifactRef(v)) out.push(v);
  else if (Array.isArray(v)) for (const x of v) refsIn(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) refsIn(x, out);
  return out;
}
