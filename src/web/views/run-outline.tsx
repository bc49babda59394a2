import type { Child } from 'hono/jsx';
import type { RunState, StepStatus } from '../../engine/run-state.ts';
import type { Workflow } from '../../engine/workflow.ts';
import { stepDomId } from './urls.ts';

const MARK: Record<StepStatus, string> = { pending: '○', running: '◐', done: '✓', failed: '✗', cancelled: '■', interrupted: '!' };
const WORD: Record<StepStatus, string> = { pending: 'to do', running: 'running', done: 'done', failed: 'failed', cancelled: 'stopped', interrupted: 'interrupted' };

/**
 * Every step of the run with its status, as a table of contents: the steps on the page (done ones
 * and the one waiting for input) link to their cards; later steps are listed, not linked (they
 * are not on the page until the steps before them are done).
 */
export function RunOutline({ wf, state }: { wf: Workflow; state: RunState }): Child {
  const open = wf.steps.findIndex((s) => state.steps[s.id]?.status !== 'done');
  const done = wf.steps.filter((s) => state.steps[s.id]?.status === 'done').length;
  return (
    <details class="run-outline" open>
      <summary>
        Steps <small class="muted">({done} of {wf.steps.length} done)</small>
      </summary>
      <nav aria-label="Steps of this run">
        <ol>
          {wf.steps.map((s, i) => {
            const status = state.steps[s.id]?.status ?? 'pending';
            const shown = open < 0 || i <= open;
            const label = `${i + 1}. ${s.title}`;
            return (
              <li class={`outline-step outline-${status}`}>
                <span class="outline-mark" aria-hidden="true">{MARK[status]}</span>
                {shown ? (
                  <a href={`#${stepDomId(s.id)}`} aria-current={i === open ? 'step' : undefined}>{label}</a>
                ) : (
                  <span class="outline-later">{label}</span>
                )}
                <span class="visually-hidden"> ({WORD[status]})</span>
              </li>
            );
          })}
        </ol>
      </nav>
    </details>
  );
}
