import type { Child } from 'hono/jsx';
import type { Progress } from '../../engine/workflow.ts';
import { formatCount } from './format.ts';

/** A long step's progress: a bar (indeterminate until the total is known) and what it is doing. */
export function ProgressView({ progress, label }: { progress: Progress | undefined; label: string }): Child {
  const p = progress ?? { done: 0 };
  const total = p.total !== undefined && p.total > 0 ? p.total : undefined;
  const done = Math.max(0, total !== undefined ? Math.min(p.done, total) : p.done);
  const pct = total !== undefined ? Math.floor((done / total) * 100) : undefined;
  const count = total !== undefined ? `${formatCount(done)} of ${formatCount(total)} (${pct}%)` : done > 0 ? `${formatCount(done)} done` : 'starting…';
  return (
    <div class="progress-view">
      {total !== undefined ? (
        <progress value={String(done)} max={String(total)} aria-label={label}></progress>
      ) : (
        <progress aria-label={label}></progress>
      )}
      <p class="progress-text">
        <small>
          {p.message ? <span class="progress-message">{p.message}</span> : null}
          {p.message ? ' · ' : ''}
          <span class="progress-count">{count}</span>
        </small>
      </p>
    </div>
  );
}
