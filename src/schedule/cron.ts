import { Cron } from 'croner';

/** A cron expression read once: 5 fields (minute precision) or 6 (seconds first), in a time zone. */
export interface CronSpec {
  cron: string;
  tz: string | null;
}

export class CronError extends Error {}

function compile(spec: CronSpec): Cron {
  try {
    const c = new Cron(spec.cron.trim(), { paused: true, mode: '5-or-6-parts', ...(spec.tz ? { timezone: spec.tz } : {}) });
    // A bad time zone only shows when a date is computed.
    c.nextRun();
    return c;
  } catch (e) {
    // croner's own wording offers a 7th (year) field, which the 5-or-6 mode refuses.
    const why = (e as Error).message.replace(/^Cron(Pattern|Date): /, '').replace(/exactly five, six, or seven space separated parts are required\.?/, 'it needs 5 or 6 fields separated by spaces');
    if (spec.tz && /timezone/i.test(why)) throw new CronError(`unknown time zone "${spec.tz}" (use an IANA name such as Europe/Paris or America/New_York)`);
    throw new CronError(`bad cron expression "${spec.cron}": ${why} (5 fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * 1" for Mondays at 06:00; a 6th field in front for seconds)`);
  }
}

/** Throws CronError (saying what is wrong) unless the expression and time zone are usable. */
export function validateCron(spec: CronSpec): void {
  if (compile(spec).nextRun() === null) throw new CronError(`cron expression "${spec.cron}" never fires`);
}

/** The next `n` fire times strictly after `from`. */
export function nextFires(spec: CronSpec, from: Date, n: number): Date[] {
  return compile(spec).nextRuns(n, from);
}

/** Every fire time in (`after`, `until`], oldest first, at most `cap` of them. */
export function firesBetween(spec: CronSpec, after: Date, until: Date, cap = 1000): Date[] {
  const c = compile(spec);
  const times: Date[] = [];
  let prev = after;
  while (times.length < cap) {
    const next = c.nextRun(prev);
    if (!next || next.getTime() > until.getTime()) break;
    times.push(next);
    prev = next;
  }
  return times;
}

/** The newest fire time at or before `until` and after `after`, if any (without walking the whole gap). */
export function lastFireBetween(spec: CronSpec, after: Date, until: Date): Date | undefined {
  const [last] = compile(spec).previousRuns(1, new Date(until.getTime() + 1));
  return last && last.getTime() > after.getTime() && last.getTime() <= until.getTime() ? last : undefined;
}
