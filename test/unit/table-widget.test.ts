// tableView's opt-in sorting and filtering (src/widgets/table.tsx): the server's part is plain
// HTML marked for tables.js; without the options a table's markup is exactly what it was.
// The sorting and filtering themselves run in Chromium: test/browser/tables.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tableView } from '../../src/widgets/index.ts';

async function html(node: unknown): Promise<string> {
  return String(await (node as { toString(): unknown }).toString());
}

const rows = [
  { url: 'https://a.test/', status: 200, title: '<b>Home</b>' },
  { url: 'https://a.test/x', status: 404, title: null },
  { url: 'https://a.test/y', status: 301, title: 'Y' },
];

describe('tableView: sortable and filterable', () => {
  test('without the options the markup is the plain table', async () => {
    const out = await html(tableView(rows, { caption: 'Pages' }));
    assert.match(out, /^<div class="table-scroll" role="region" aria-label="Pages" tabindex="0"><table><caption>Pages<\/caption>/);
    assert.doesNotMatch(out, /data-table|data-sortable|data-filterable/);
  });

  test('sortable and filterable wrap the same table in a marked box', async () => {
    const plain = await html(tableView(rows, { caption: 'Pages' }));
    const out = await html(tableView(rows, { caption: 'Pages', sortable: true, filterable: true }));
    assert.match(out, /^<div class="data-table" data-sortable="true" data-filterable="true"><div class="table-scroll"/);
    assert.equal(out, `<div class="data-table" data-sortable="true" data-filterable="true">${plain}</div>`, 'the table inside is unchanged');
    assert.match(out, /<th scope="col">status<\/th>/, 'headers stay plain text: the buttons come from tables.js');
    assert.match(out, /&lt;b&gt;Home&lt;\/b&gt;/, 'cells are still escaped');
  });

  test('each option alone marks only itself', async () => {
    const s = await html(tableView(rows, { sortable: true }));
    assert.match(s, /^<div class="data-table" data-sortable="true"><div/);
    assert.doesNotMatch(s, /data-filterable/);
    const f = await html(tableView(rows, { filterable: true }));
    assert.match(f, /^<div class="data-table" data-filterable="true"><div/);
    assert.doesNotMatch(f, /data-sortable/);
    assert.doesNotMatch(await html(tableView(rows, { sortable: false, filterable: false })), /data-table/);
  });

  test('a cut table says that sorting and filtering apply to the rows shown', async () => {
    const out = await html(tableView(rows, { maxRows: 2, sortable: true }));
    assert.match(out, /Showing 2 of 3 rows; sorting and filtering apply to these\./);
    assert.match(await html(tableView(rows, { maxRows: 2 })), /Showing 2 of 3 rows\.<\/small>/);
  });

  test('an empty table is the same note, with or without the options', async () => {
    assert.equal(await html(tableView([], { caption: 'Pages', sortable: true, filterable: true })), await html(tableView([], { caption: 'Pages' })));
  });
});
