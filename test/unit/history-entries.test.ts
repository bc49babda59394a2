import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnyStep } from '../../src/engine/workflow.ts';
import type { RunEvent } from '../../src/store/event-log.ts';
import { historyEntries } from '../../src/web/views/history-entries.ts';

const steps: Record<string, AnyStep> = {
  name: { id: 'name', title: 'Name', fields: {} },
  crawl: { id: 'crawl', title: 'Crawl', fields: {}, run: () => null },
};
let id = 0;
const ev = (type: RunEvent['type'], step: string | null, at: string): RunEvent => ({ id: ++id, run: 'r', at, type, step, detail: null });

test('a step\'s start and end become one entry; a step without work stays one event', () => {
  // Oldest first as they happened; the pane gets them newest first.
  const happened = [
    ev('created', null, '2026-01-01T00:00:00Z'),
    ev('submitted', 'name', '2026-01-01T00:00:01Z'),
    ev('submitted', 'crawl', '2026-01-01T00:00:02Z'),
    ev('failed', 'crawl', '2026-01-01T00:00:05Z'),
    ev('submitted', 'crawl', '2026-01-01T00:00:06Z'),
    ev('completed', 'crawl', '2026-01-01T00:01:06Z'),
    ev('reverted', 'crawl', '2026-01-01T00:02:00Z'),
    ev('submitted', 'crawl', '2026-01-01T00:03:00Z'),
  ];
  const entries = historyEntries([...happened].reverse(), (s) => steps[s]);
  const shape = entries.map((e) => (e.kind === 'work' ? `work ${e.step} ${e.ended?.type ?? 'running'}` : e.event.type));
  assert.deepEqual(shape, ['work crawl running', 'reverted', 'work crawl completed', 'work crawl failed', 'submitted', 'created']);
  const done = entries[2]!;
  assert.ok(done.kind === 'work');
  assert.equal(done.started.at, '2026-01-01T00:00:06Z');
  assert.equal(done.ended?.at, '2026-01-01T00:01:06Z');
});

test('an end without its start (cut off by the page size) stays a single event', () => {
  const entries = historyEntries([ev('completed', 'crawl', '2026-01-01T00:00:05Z')], (s) => steps[s]);
  assert.deepEqual(entries.map((e) => e.kind), ['event']);
});
