// The history pane shows a step's work as one entry (what it was given, how it ended, how long it
// took), not a "Started" line and a "Finished" line apart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forEachBackend } from '../helpers/backends.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

forEachBackend((backend) => describe(`history pane (${backend})`, () => {
  let app: TestApp;
  let key = '';
  before(async () => {
    app = await startTestApp({ backend });
    key = (await app.engine.open('slow')).state.key;
    await (await app.engine.submit(key, 'count', { steps: 3, delay: 1 })).completion;
    await (await app.engine.submit(key, 'check', { word: 'fail' })).completion;
  });
  after(() => app?.stop());

  it('one entry per run of a step, with its outcome, input and duration', async () => {
    const html = await (await fetch(`${app.base}/wf/slow/runs/${key}/history`)).text();
    const items = [...html.matchAll(/<li class="event[^"]*"[\s\S]*?<\/li>/g)].map((m) => m[0]);
    const count = items.filter((li) => li.includes('Count slowly'));
    assert.equal(count.length, 1, count.join('\n'));
    assert.match(count[0]!, /class="event event-work event-completed"/);
    assert.match(count[0]!, /<span class="event-what">Finished<\/span>/);
    assert.match(count[0]!, /took \d/);
    assert.match(count[0]!, /Steps: 3/);
    const check = items.filter((li) => li.includes('Maybe fail'));
    assert.equal(check.length, 1);
    assert.match(check[0]!, /Failed/);
    assert.match(check[0]!, /asked to fail/);
    assert.ok(!items.some((li) => /<span class="event-what">Started<\/span>/.test(li)), 'no separate "Started" entry');
  });
}));
