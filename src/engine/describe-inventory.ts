import { formatBytes } from '../widgets/format.ts';
import type { RunInventory } from './run-admin.ts';

/**
 * What deleting a run removes, in a few phrases a person reads before saying yes:
 * "2 of 3 steps done", "4 artifact files (1.2 MB)", "finalized". The web page lists them, the
 * CLI's prompt joins them.
 */
export function describeInventory(inv: RunInventory): string[] {
  const parts = [
    inv.stepsDone === 0 ? `no steps done (of ${inv.stepsTotal})` : `${inv.stepsDone} of ${inv.stepsTotal} step${inv.stepsTotal === 1 ? '' : 's'} done`,
    inv.artifactFiles === 0 ? 'no artifact files' : `${inv.artifactFiles} artifact file${inv.artifactFiles === 1 ? '' : 's'} (${formatBytes(inv.artifactBytes)})`,
  ];
  if (inv.finalized) parts.push('finalized');
  if (inv.archived) parts.push('archived');
  return parts;
}
