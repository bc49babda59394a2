// Custom extraction rules as typed in the crawl's last step: one per line, each checked with its line number.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRuleLines } from '../../src/seo/crawl/rule-lines.ts';

describe('custom extraction rule lines', () => {
  it('reads css (with an attribute), xpath and regex rules; skips blanks and comments', () => {
    assert.deepEqual(parseRuleLines('# prices\n\nprice = css .price\nimage=css img.hero @src\n  author = XPATH //meta[@name="author"]/@content\nsku = regex "sku":"([^"]+)"\n'), [
      { name: 'price', kind: 'css', expr: '.price' },
      { name: 'image', kind: 'css', expr: 'img.hero', attr: 'src' },
      { name: 'author', kind: 'xpath', expr: '//meta[@name="author"]/@content' },
      { name: 'sku', kind: 'regex', expr: '"sku":"([^"]+)"' },
    ]);
    assert.deepEqual(parseRuleLines(''), []);
  });

  it('names the line of a malformed, duplicate or invalid rule', () => {
    assert.throws(() => parseRuleLines('a = css h1\nno kind here'), /^Error: Rule on line 2: write it as "name = css\|xpath\|regex expression"/);
    assert.throws(() => parseRuleLines('a = css h1\na = css h2'), /Rule on line 2: the name "a" is used twice/);
    assert.throws(() => parseRuleLines('\n\nbad = regex ([a-'), /^Error: Rule on line 3 \(bad\): /);
    assert.throws(() => parseRuleLines('bad = css div[[['), /^Error: Rule on line 1 \(bad\): /);
  });
});
