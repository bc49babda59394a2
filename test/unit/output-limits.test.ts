// Output views fed large or hostile text (a model's answer, a notebook cell, a pasted file) must
// neither block the server nor fail: past what they can render quickly, they show the plain text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AUTO_DETECT_MAX_CHARS, codeView, highlightCode } from '../../src/widgets/code.tsx';
import { MARKDOWN_BLOCK_MAX_CHARS, markdownToSafeHtml } from '../../src/widgets/markdown.tsx';

test('code without a language is guessed only when short; longer code is shown plain and escaped', () => {
  const short = highlightCode('const x = 1;\nfunction f() { return x; }');
  assert.ok(short.language, 'short code gets a guessed language');
  const long = highlightCode('<b>'.repeat(AUTO_DETECT_MAX_CHARS));
  assert.equal(long.language, undefined);
  assert.equal(long.html, '&lt;b&gt;'.repeat(AUTO_DETECT_MAX_CHARS));
  // A named language is still highlighted at any size below the overall cap.
  assert.match(highlightCode('let a = 1;\n'.repeat(1000), 'typescript').html, /hljs-keyword/);
});

test('a paragraph too long for the markdown parser is shown as plain, escaped text', () => {
  const para = '_a'.repeat(MARKDOWN_BLOCK_MAX_CHARS); // the shape that made marked quadratic
  const html = markdownToSafeHtml(para + '\n\n<script>x</script>');
  assert.match(html, /^<pre class="plain-text">_a_a/);
  assert.ok(html.includes('&lt;script&gt;'), 'escaped');
  // Long documents of ordinary paragraphs still render as markdown.
  const prose = 'Some *normal* text with **bold**.\n\n'.repeat(3000);
  assert.match(markdownToSafeHtml(prose), /<em>normal<\/em>/);
});

test('markdown nested too deeply for the parser renders as text instead of throwing', () => {
  const src = '> '.repeat(2_000);
  let html = '';
  assert.doesNotThrow(() => { html = markdownToSafeHtml(src); });
  assert.match(html, /plain-text|blockquote/);
});

test('codeView output is escaped', () => {
  const html = String(codeView('<img src=x onerror=alert(1)>', 'html'));
  assert.doesNotMatch(html, /<img/);
});
