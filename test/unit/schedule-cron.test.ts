// Cron expressions as schedules read them (src/schedule/cron.ts): what is refused and why, fire
// times in a time zone across summer and winter time, and the two walks the scheduler makes —
// every time in a gap (bounded, capped) and only the newest one (the missed-firing policy).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CronError, firesBetween, lastFireBetween, nextFires, validateCron } from '../../src/schedule/cron.ts';

const at = (iso: string) => new Date(iso);
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const UTC = (cron: string) => ({ cron, tz: 'UTC' });

/** The CronError validateCron throws for `spec` (fails the test if it throws none, or another kind). */
function refusal(spec: { cron: string; tz: string | null }): string {
  try {
    validateCron(spec);
  } catch (e) {
    assert.ok(e instanceof CronError, `a CronError, not ${String(e)}`);
    return e.message;
  }
  assert.fail(`"${spec.cron}" (${spec.tz ?? 'local'}) was accepted`);
}

describe('validateCron', () => {
  it('accepts 5 fields, 6 with seconds first, names and surrounding blanks', () => {
    for (const cron of ['* * * * *', '0 6 * * 1', '* * * * * *', '*/15 0 9-17 * * MON-FRI', '  0 6 * * MON  ']) {
      assert.doesNotThrow(() => validateCron({ cron, tz: null }), cron);
    }
    assert.doesNotThrow(() => validateCron({ cron: '0 6 * * 1', tz: 'Europe/Paris' }));
  });

  it('names the bad field and shows what a good expression looks like', () => {
    const minute = refusal({ cron: '61 * * * *', tz: null });
    assert.match(minute, /^bad cron expression "61 \* \* \* \*": .*minute.*61/i);
    assert.match(minute, /5 fields: minute hour day-of-month month day-of-week/);
    assert.match(refusal({ cron: '* * * * 8', tz: null }), /dayOfWeek: 8/);
    assert.match(refusal({ cron: '*/0 * * * *', tz: null }), /stepping/);
    // Malformed: told the field count this mode takes (croner alone would offer a 7th).
    const words = refusal({ cron: 'every monday', tz: null });
    assert.match(words, /^bad cron expression "every monday": invalid configuration format \('every monday'\), it needs 5 or 6 fields separated by spaces \(5 fields/);
    assert.doesNotMatch(words, /seven/);
    assert.match(refusal({ cron: '', tz: null }), /^bad cron expression ""/);
  });

  it('refuses 7 fields (no years) and an expression that never fires', () => {
    assert.match(refusal({ cron: '0 0 0 1 1 * 2030', tz: null }), /exactly 5 or 6 parts/);
    assert.equal(refusal({ cron: '0 0 30 2 *', tz: null }), 'cron expression "0 0 30 2 *" never fires');
  });

  it('refuses an unknown time zone with a hint, whatever the expression', () => {
    const m = refusal({ cron: '0 6 * * 1', tz: 'Europe/Pariss' });
    assert.equal(m, 'unknown time zone "Europe/Pariss" (use an IANA name such as Europe/Paris or America/New_York)');
    assert.match(refusal({ cron: '* * * * * *', tz: 'Mars/Olympus_Mons' }), /^unknown time zone "Mars\/Olympus_Mons"/);
  });
});

describe('nextFires', () => {
  it('reads the expression in the time zone: 06:00 Paris is 05:00Z in winter, 04:00Z in summer', () => {
    const monday6 = { cron: '0 6 * * 1', tz: 'Europe/Paris' };
    assert.deepEqual(iso(nextFires(monday6, at('2026-12-01T10:00:00Z'), 3)), ['2026-12-07T05:00:00.000Z', '2026-12-14T05:00:00.000Z', '2026-12-21T05:00:00.000Z']);
    assert.deepEqual(iso(nextFires(monday6, at('2026-06-01T10:00:00Z'), 2)), ['2026-06-08T04:00:00.000Z', '2026-06-15T04:00:00.000Z']);
    // Across the change to summer time (Sunday 29 March 2026): the wall-clock hour stays 06:00.
    assert.deepEqual(iso(nextFires(monday6, at('2026-03-20T00:00:00Z'), 2)), ['2026-03-23T05:00:00.000Z', '2026-03-30T04:00:00.000Z']);
    assert.deepEqual(iso(nextFires({ cron: '0 6 * * 1', tz: 'America/New_York' }, at('2026-12-01T10:00:00Z'), 1)), ['2026-12-07T11:00:00.000Z']);
  });

  it('gives times strictly after `from`', () => {
    assert.deepEqual(iso(nextFires(UTC('0 6 * * *'), at('2026-12-01T06:00:00Z'), 1)), ['2026-12-02T06:00:00.000Z']);
    assert.deepEqual(iso(nextFires(UTC('* * * * * *'), at('2026-12-01T06:00:00.400Z'), 2)), ['2026-12-01T06:00:01.000Z', '2026-12-01T06:00:02.000Z']);
  });
});

describe('firesBetween', () => {
  it('lists every time in (after, until], oldest first: after excluded, until included', () => {
    assert.deepEqual(iso(firesBetween(UTC('* * * * *'), at('2026-12-01T10:00:00Z'), at('2026-12-01T10:03:00Z'))), [
      '2026-12-01T10:01:00.000Z', '2026-12-01T10:02:00.000Z', '2026-12-01T10:03:00.000Z',
    ]);
    // Bounds between fire times.
    assert.deepEqual(iso(firesBetween(UTC('* * * * * *'), at('2026-12-01T10:00:00.500Z'), at('2026-12-01T10:00:02.999Z'))), [
      '2026-12-01T10:00:01.000Z', '2026-12-01T10:00:02.000Z',
    ]);
  });

  it('is empty when nothing falls in the gap, or the gap is empty', () => {
    assert.deepEqual(firesBetween(UTC('0 6 * * *'), at('2026-12-01T06:00:00Z'), at('2026-12-02T05:59:59.999Z')), []);
    assert.deepEqual(firesBetween(UTC('* * * * * *'), at('2026-12-01T06:00:00Z'), at('2026-12-01T06:00:00Z')), []);
    assert.deepEqual(firesBetween(UTC('* * * * * *'), at('2026-12-01T06:00:05Z'), at('2026-12-01T06:00:00Z')), []);
  });

  it('stops at the cap (default 1000): a long gap is not walked to its end', () => {
    const hour = [at('2026-12-01T10:00:00Z'), at('2026-12-01T11:00:00Z')] as const;
    assert.deepEqual(iso(firesBetween(UTC('* * * * * *'), ...hour, 3)), ['2026-12-01T10:00:01.000Z', '2026-12-01T10:00:02.000Z', '2026-12-01T10:00:03.000Z']);
    const capped = firesBetween(UTC('* * * * * *'), ...hour);
    assert.equal(capped.length, 1000);
    assert.equal(capped.at(-1)?.toISOString(), '2026-12-01T10:16:40.000Z');
    assert.equal(firesBetween(UTC('* * * * *'), ...hour).length, 60);
  });

  it('follows the time zone', () => {
    const paris = { cron: '0 6 * * *', tz: 'Europe/Paris' };
    assert.deepEqual(iso(firesBetween(paris, at('2026-12-01T00:00:00Z'), at('2026-12-03T00:00:00Z'))), ['2026-12-01T05:00:00.000Z', '2026-12-02T05:00:00.000Z']);
  });
});

describe('lastFireBetween', () => {
  it('gives only the newest time in (after, until]', () => {
    const newest = lastFireBetween(UTC('* * * * *'), at('2026-12-01T09:00:00Z'), at('2026-12-01T10:00:30Z'));
    assert.equal(newest?.toISOString(), '2026-12-01T10:00:00.000Z');
    // `until` itself counts.
    assert.equal(lastFireBetween(UTC('* * * * *'), at('2026-12-01T09:00:00Z'), at('2026-12-01T10:00:00Z'))?.toISOString(), '2026-12-01T10:00:00.000Z');
    // A year of per-second times is not walked.
    assert.equal(lastFireBetween(UTC('* * * * * *'), at('2025-12-01T00:00:00Z'), at('2026-12-01T10:00:00.700Z'))?.toISOString(), '2026-12-01T10:00:00.000Z');
  });

  it('is undefined when the newest time is `after` itself or older', () => {
    assert.equal(lastFireBetween(UTC('0 * * * *'), at('2026-12-01T10:00:00Z'), at('2026-12-01T10:59:59.999Z')), undefined);
    assert.equal(lastFireBetween(UTC('0 * * * *'), at('2026-12-01T10:30:00Z'), at('2026-12-01T10:59:00Z')), undefined);
  });

  it('follows the time zone', () => {
    const paris = { cron: '0 6 * * 1', tz: 'Europe/Paris' };
    assert.equal(lastFireBetween(paris, at('2026-11-01T00:00:00Z'), at('2026-12-01T00:00:00Z'))?.toISOString(), '2026-11-30T05:00:00.000Z');
  });
});
