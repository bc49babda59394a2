// A radio or dropdown stores its option's value ("l") but a person chose "Large": the step's
// output and the history show the label. Rendering alone: SQLite is enough (history-pane.test.ts
// reads the history from both backends).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

let app: TestApp;
let page = '';
before(async () => {
  app = await startTestApp();
  const { state } = await app.engine.open('widgets');
  const given: Record<string, Record<string, unknown>> = {
    title: { title: 'T' }, notes: { notes: 'n' }, colour: { colour: 'green' }, toppings: { toppings: ['cheese', 'basil'] }, size: { size: 'l' },
  };
  for (const s of ['title', 'notes', 'colour', 'toppings', 'size']) await (await app.engine.submit(state.key, s, given[s]!)).completion;
  assert.equal(((await app.engine.get(state.key)).steps.size!.output as { size: string } | null)?.size, 'l', 'the value is stored');
  page = await (await fetch(`${app.base}/wf/widgets/runs/${state.key}`)).text();
});
after(() => app?.stop());

it('the output of a radios step shows the label, not the stored value', () => {
  const card = /<article id="step-size"[\s\S]*?<\/article>/.exec(page)?.[0] ?? '';
  assert.match(card, /<dt>Size<\/dt>\s*<dd>Large<\/dd>/);
  assert.doesNotMatch(card, /<dd>l<\/dd>/);
});

it('the history shows the label too', () => {
  const history = /<section[^>]*id="history"[\s\S]*<\/section>/.exec(page)?.[0] ?? '';
  assert.match(history, /Size: Large/);
  assert.doesNotMatch(history, /Size: l\b/);
});
