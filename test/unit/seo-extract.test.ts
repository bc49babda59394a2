import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractPage, hamming, validateRule, type ExtractionRule } from '../../src/seo/crawl/extract.ts';
import { simhash, simhashWords, words } from '../../src/seo/crawl/simhash.ts';
import { xpathToCss, RULE_LIMITS } from '../../src/seo/crawl/extraction-rules.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/seo');
const fixture = (name: string): string => readFileSync(path.join(FIXTURES, name), 'utf8');
const isInternal = (u: string): boolean => new URL(u).host === 'example.com';
const PAGE = 'https://example.com/index.html';

test('every field of a well-formed page, with <base href>, entities and hidden text', () => {
  const r = extractPage(fixture('full.html'), PAGE, { isInternal });
  assert.equal(r.title, 'Café & Bar — Home');
  assert.equal(r.metaDescription, 'Fresh coffee & cake, every day.', 'the first description, entities decoded');
  assert.equal(r.metaRobots, 'noindex, follow, nofollow', 'robots and googlebot, lower case, merged');
  assert.equal(r.canonical, 'https://example.com/shop/products?id=1', 'resolved against <base href="/shop/">, fragment removed');
  assert.deepEqual(r.hreflang, [
    { lang: 'en-gb', url: 'https://example.com/en/' },
    { lang: 'de', url: 'https://example.com/de/' },
  ]);
  assert.deepEqual(r.h1, ['Welcome to the café']);
  assert.deepEqual(r.h2, ['Menu', 'Visit']);
  assert.deepEqual(r.links, [
    { url: 'https://example.com/shop/menu.html', text: 'Our menu', rel: [], internal: true },
    { url: 'https://example.com/about', text: 'About us', rel: ['nofollow', 'ugc'], internal: true },
    { url: 'https://other.example/page?q=1', text: 'Partner', rel: ['sponsored'], internal: false },
    { url: 'https://example.com/protocol-relative', text: 'Proto', rel: [], internal: true },
    { url: 'https://example.com/shop/gallery/', text: 'Photo gallery', rel: [], internal: true },
    { url: 'https://example.com/map-target', text: 'Map area', rel: [], internal: true },
  ], 'mailto:, javascript:, tel:, #fragment and <a> without href are not links');
  const visible = 'Welcome to the café Menu Our coffee is roasted daily. Cakes too Visit Our menu About us Partner Proto Mail JS Jump Call Anchor without href © 2024 Café — all rights reserved';
  assert.equal(r.contentHash, createHash('sha256').update(visible).digest('hex'), 'script, style, noscript, template and title text are not visible');
  assert.equal(r.wordCount, 31, '"—" and "©" are not words');
  assert.equal(r.simhash, simhash(visible));
  assert.equal(r.custom, undefined, 'no rules, no custom values');
});

test('without <base>, links resolve against the page; the caller can give a base instead', () => {
  const html = fixture('plain.html');
  assert.equal(extractPage(html, 'http://example.com/dir/a.html', { isInternal }).links[0]?.url, 'http://example.com/dir/page2.html');
  const viaBase = extractPage(html, 'http://example.com/dir/a.html', { isInternal, baseHref: 'http://example.com/other/final.html' });
  assert.equal(viaBase.links[0]?.url, 'http://example.com/other/page2.html');
  const r = extractPage(html, 'http://example.com/', { isInternal });
  assert.equal(r.title, 'Plain');
  assert.equal(r.metaDescription, undefined);
  assert.equal(r.metaRobots, undefined);
  assert.equal(r.canonical, undefined);
  assert.deepEqual(r.h1, []);
  assert.equal(r.wordCount, 6);
  // Absolute <base> on another host; a broken <base> is ignored.
  const abs = extractPage('<base href="https://cdn.example/x/"><a href="y">y</a>', PAGE, { isInternal });
  assert.deepEqual(abs.links, [{ url: 'https://cdn.example/x/y', text: 'y', rel: [], internal: false }]);
  const bad = extractPage('<base href="http://[broken"><a href="y">y</a>', PAGE, { isInternal });
  assert.equal(bad.links[0]?.url, 'https://example.com/y');
  const svgFirst = extractPage('<body><svg><title>Icon</title></svg><p>x</p><title>Real</title>', PAGE, { isInternal });
  assert.equal(svgFirst.title, 'Real', "an <svg>'s title is not the page's");
  // A <base> after the links still applies to them, as in browsers.
  const late = extractPage('<a href="z">z</a><base href="/late/">', PAGE, { isInternal });
  assert.equal(late.links[0]?.url, 'https://example.com/late/z');
});

test('malformed HTML: unclosed and stray tags, unquoted attributes, nested anchors, comments, scripts', () => {
  const r = extractPage(fixture('malformed.html'), PAGE, { isInternal });
  assert.equal(r.title, 'Broken <b>page', 'a title is raw text');
  assert.equal(r.metaDescription, 'unquoted');
  assert.deepEqual(r.h1, ['Heading one', 'Heading two']);
  assert.deepEqual(r.links, [
    { url: 'https://example.com/one', text: 'link one deep', rel: [], internal: true },
    { url: 'https://example.com/two', text: 'link <two> & more', rel: ['nofollow'], internal: true },
    { url: 'https://example.com/three', text: 'unclosed anchor para end', rel: [], internal: true },
    { url: 'https://example.com/spaced', text: 'spaced', rel: [], internal: true },
    { url: 'https://example.com/last', text: 'last', rel: [], internal: true },
  ], 'commented-out and script-written links are not links; an unparseable URL is dropped');
  // Garbage in, an answer out.
  for (const junk of ['', '<', '<<<>>>', '<a href=', '</html></html>', '<div>'.repeat(50_000), '\u0000\uffff<p>x']) {
    const x = extractPage(junk, PAGE, { isInternal });
    assert.equal(typeof x.contentHash, 'string');
    assert.match(x.simhash, /^[0-9a-f]{16}$/);
  }
  assert.equal(extractPage('', PAGE, { isInternal }).wordCount, 0);
});

test('anchor text is collapsed and capped; image links use the alt text', () => {
  const long = 'word '.repeat(100);
  const r = extractPage(`<a href="/l">${long}</a><a href="/i"><span><img alt=" Logo  image "></span></a><a href="/e"></a><a href="/t">text <img alt="ignored"></a>`, PAGE, { isInternal });
  assert.equal(r.links[0]?.text.length, 200);
  assert.deepEqual(r.links.slice(1).map((l) => l.text), ['Logo image', '', 'text']);
});

test('custom rules: css text and attribute, regex, xpath subset', () => {
  const html = fixture('full.html');
  const rules: ExtractionRule[] = [
    { name: 'h2', kind: 'css', expr: 'h2' },
    { name: 'nofollowHrefs', kind: 'css', expr: 'a[rel~=nofollow]', attr: 'href' },
    { name: 'year', kind: 'regex', expr: '/&copy; (\\d{4})/' },
    { name: 'scriptVar', kind: 'regex', expr: '/VAR NOTTEXT/i' },
    { name: 'none', kind: 'css', expr: 'article' },
    { name: 'xpText', kind: 'xpath', expr: '//nav/a[@rel]/text()' },
    { name: 'xpAttr', kind: 'xpath', expr: "//link[@rel='alternate'][@hreflang]/@href" },
    { name: 'xpContains', kind: 'xpath', expr: "//a[contains(@href,'example.com')]" },
    { name: 'xpRoot', kind: 'xpath', expr: '/html/body/h2[2]' },
    { name: 'xpStarts', kind: 'xpath', expr: '//meta[starts-with(@name, "goog")]/@content' },
  ];
  for (const rule of rules) assert.equal(validateRule(rule), undefined, rule.name);
  const r = extractPage(html, PAGE, { isInternal, rules });
  assert.deepEqual(r.custom, {
    h2: ['Menu', 'Visit'],
    nofollowHrefs: ['/about#team'],
    year: ['2024'],
    scriptVar: ['var notText'],
    none: [],
    xpText: ['About us', 'Partner'],
    xpAttr: ['https://example.com/en/', '../de/'], // raw attribute values, not resolved
    xpContains: ['Proto', 'Mail'], // mailto:hi@example.com contains it too
    xpRoot: ['Visit'],
    xpStarts: ['nofollow, noindex'],
  });
  assert.deepEqual(xpathToCss("/html/body//div[@id='main']/p[1]/@class"), { css: 'html:root > body div[id="main"] > p:nth-of-type(1)', attr: 'class', text: false });
});

test('regex rules: empty matches do not loop, matches and input are capped', () => {
  const many = '<i>x</i>'.repeat(1000);
  const r = extractPage(many, PAGE, { isInternal, rules: [{ name: 'empty', kind: 'regex', expr: 'z*' }, { name: 'is', kind: 'regex', expr: '<i>(x)</i>' }] });
  assert.equal(r.custom?.['empty']?.length, RULE_LIMITS.maxValues);
  assert.deepEqual(r.custom?.['is'], Array(RULE_LIMITS.maxValues).fill('x'));
  const beyond = 'a'.repeat(RULE_LIMITS.maxRegexInput) + 'NEEDLE';
  const cut = extractPage(beyond, PAGE, { isInternal, rules: [{ name: 'n', kind: 'regex', expr: 'NEEDLE' }] });
  assert.deepEqual(cut.custom?.['n'], [], 'text past the regex input cap is not searched');
});

test('invalid rules are rejected with a message', () => {
  const cases: [ExtractionRule, RegExp][] = [
    [{ name: 'a', kind: 'css', expr: 'div[' }, /^invalid CSS selector "div\["/],
    [{ name: 'b', kind: 'css', expr: 'p:nonsense' }, /invalid CSS selector/],
    [{ name: 'c', kind: 'regex', expr: '(unclosed' }, /^invalid regular expression "\(unclosed": .*Unterminated group/],
    [{ name: 'd', kind: 'regex', expr: '/(a+)+$/' }, /nested quantifiers/],
    [{ name: 'e', kind: 'regex', expr: '/x/g' }, /flags g and y/],
    [{ name: 'f', kind: 'xpath', expr: 'relative/path' }, /^invalid XPath .*must start with \//],
    [{ name: 'g', kind: 'xpath', expr: '//a[position()>2]' }, /unsupported XPath predicate \[position\(\)>2\]/],
    [{ name: 'h', kind: 'xpath', expr: '//a/following-sibling::b' }, /unsupported XPath near/],
    [{ name: '', kind: 'css', expr: 'p' }, /needs a name/],
    [{ name: 'i', kind: 'css', expr: '  ' }, /empty expression/],
    [{ name: 'j', kind: 'jq' as 'css', expr: '.x' }, /unknown rule kind "jq"/],
  ];
  for (const [rule, message] of cases) assert.match(validateRule(rule) ?? 'accepted', message, JSON.stringify(rule));
  assert.throws(() => extractPage('<p>', PAGE, { isInternal, rules: [{ name: 'bad', kind: 'css', expr: 'div[' }] }));
});

test('simhash: identical 0 bits, one word changed few, unrelated many', () => {
  const base = 'The quick brown fox jumps over the lazy dog while the farmer watches from the old wooden fence near the river bank in the early morning light and the birds sing their songs across the quiet green valley below the hills where sheep graze slowly on the fresh spring grass';
  const oneWord = base.replace('farmer', 'shepherd');
  const other = 'Quarterly revenue grew eleven percent as the company expanded its cloud services division into three new markets, according to the annual report published on Tuesday by the board of directors and the chief financial officer in a statement to shareholders and analysts';
  assert.equal(hamming(simhash(base), simhash(base)), 0);
  const near = hamming(simhash(base), simhash(oneWord));
  const far = hamming(simhash(base), simhash(other));
  assert.ok(near > 0 && near <= 10, `one word changed: ${near} bits`);
  assert.ok(far >= 20, `unrelated texts: ${far} bits`);
  assert.equal(simhash(''), '0000000000000000');
  assert.equal(simhash('Hello, WORLD!'), simhash('hello world'), 'case and punctuation do not matter');
  for (const text of [base, 'Ünïcödé WÖRTER und Straße, 東京 𝒳𝒴 x², ελληνικά Κείμενο — ok', 'a', '  ', 'one two']) {
    assert.equal(simhash(text), simhashWords(words(text)), `one-pass simhash agrees on ${text}`);
  }
  assert.throws(() => hamming('xyz', '0000000000000000'), /not a 64-bit hex simhash/);
});
