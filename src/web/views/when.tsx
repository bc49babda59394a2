import type { Child } from 'hono/jsx';
import { formatTime, formatWhen, isToday } from './format.ts';

/**
 * A `<time>` showing the short form ("09:05:12" today, "2025-11-21 09:05" before), the full one
 * on hover. With `phrase`, preceded by "at" or "on", for sentences ("Done at 09:05:12").
 */
export function When({ iso, phrase = false }: { iso: string; phrase?: boolean }): Child {
  const t = (
    <time datetime={iso} title={formatTime(iso)}>
      {formatWhen(iso)}
    </time>
  );
  return phrase ? <>{isToday(iso) ? 'at' : 'on'} {t}</> : t;
}
