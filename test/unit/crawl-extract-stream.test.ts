/**
 * The extractor's two paths agree: the streaming one (no DOM, used when a crawl has no custom
 * rules) and the DOM walk, on the fixture pages, on hand-made tricky cases, and on seeded random
 * tag soup.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { extractPage, extractPageDom, finishExtract } from '../../src/seo/crawl/extract.ts';
import { collectStream } from '../../src/seo/crawl/extract-stream.ts';
import { mulberry32 } from '../helpers/seeded-random.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/seo');
const isInternal = (u: string): boolean => new URL(u).host === 'example.com';
const PAGE = 'https://example.com/dir/index.html';

function agree(html: string, what: string): void {
  const fast = finishExtract(collectStream(html), PAGE, { isInternal });
  const dom = extractPageDom(html, PAGE, { isInternal });
  assert.deepEqual(fast, dom, what);
}

test('the fixture pages', () => {
  for (const f of ['full.html', 'malformed.html', 'plain.html']) agree(readFileSync(path.join(FIXTURES, f), 'utf8'), f);
});

test('tricky cases: nested links, image alts, hidden parts, titles, unclosed and stray tags', () => {
  const cases = [
    '<a href="/a">outer <a href="/b">inner</a> tail</a>',
    '<a href="/a"><span><img alt=""><img alt="  Logo  here "></span></a><a href="/b"><a href="/c"><img alt="c"></a><img alt="b"></a>',
    '<a href="/x"><noscript><img alt="ns"></noscript></a><a href="/y"><svg><title>t</title></svg></a>',
    '<area href="/map" alt="  Map   area "><a href="#top">top</a><a>no href</a><a href="  #x">frag</a>',
    '<title>A &amp; <b>B</b></title><title>second</title><body><svg><title>Icon</title></svg>',
    '<body><svg><title>Icon</title></svg><p>x</p><title>Real</title>',
    '<h1>Hi <span>there</span><div>block</div><script>no</script><style>.x{}</style></h1><h2>a<h2>b</h2>c</h2>',
    '<h1><a href="/l">link in <b>heading</b></a></h1><a href="/m"><h2>heading in link</h2></a>',
    '<p>one<p>two<div>three<span>four</div>five<table><tr><td>six<td>seven</table>',
    '<ul><li>a<li>b</ul><br/>c<br>d<hr>e<img src=x alt=y>f',
    '<template><p>tpl <a href="/t">t</a></p></template><noscript>ns text</noscript><iframe>if</iframe>',
    '<a href="/u"><img alt="x">  </a><a href="/v">' + 'w '.repeat(300) + '</a>',
    '<meta name="Description" content="  first  "><meta name="description" content="second"><meta name="ROBOTS" content="NoIndex, Follow"><meta name="googlebot" content="noindex,nosnippet">',
    '<link rel="Canonical" href="/c#frag"><link rel="alternate" hreflang=" EN " href="/en"><base href="/base/"><a href="rel">r</a>',
    '</p></br></div>stray<a href="/z" rel=" NoFollow  UGC nofollow">z</a>',
    '<svg><a href="/svg-link"><text>svg text</text></a><path/><rect/></svg><math><mi>x</mi></math>',
    '<div>' + '<div><span>'.repeat(500) + 'deep' + '</span></div>'.repeat(500) + '</div>',
    '<select><option>o1<option>o2</select><textarea><a href="/no">x</a></textarea>',
    '<!-- <a href="/comment">c</a> --><![CDATA[ <a href="/cdata">d</a> ]]><!doctype html><?pi x?>text',
    '<a href="/open">unclosed <b>bold <i>italic',
  ];
  for (const html of cases) agree(html, html.slice(0, 80));
});


test('seeded random tag soup', () => {
  const tags = ['a', 'a', 'area', 'p', 'div', 'span', 'b', 'h1', 'h2', 'title', 'script', 'style', 'noscript', 'template', 'svg', 'img', 'br', 'li', 'ul', 'table', 'td', 'tr', 'base', 'meta', 'link', 'iframe', 'em', 'section'];
  const words = ['alpha', 'beta', ' ', '  gamma\n', 'Δelta', '&amp;', '—', '12', '<', '>', '"'];
  for (let seed = 1; seed <= 300; seed++) {
    const r = mulberry32(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    const out: string[] = [];
    for (let i = 0; i < 80; i++) {
      const x = r();
      const tag = pick(tags);
      if (x < 0.35) {
        const attrs = [
          r() < 0.6 ? ` href="${pick(['/p', '#f', 'q?x=1', 'mailto:a@b', 'https://other.example/', ' /s '])}"` : '',
          r() < 0.3 ? ` alt="${pick(words)}"` : '',
          r() < 0.2 ? ` rel="${pick(['nofollow', 'canonical', 'alternate', 'ugc sponsored'])}"` : '',
          r() < 0.2 ? ` hreflang="${pick(['de', 'EN-gb'])}"` : '',
          r() < 0.2 ? ` name="${pick(['description', 'robots', 'googlebot'])}" content="${pick(['noindex', 'x, y', 'Desc'])}"` : '',
        ].join('');
        out.push(`<${tag}${attrs}${r() < 0.05 ? '/' : ''}>`);
      } else if (x < 0.6) out.push(`</${tag}>`);
      else out.push(pick(words));
    }
    agree(out.join(''), `seed ${seed}: ${out.join('').slice(0, 120)}`);
  }
});

test('extractPage takes the fast path without rules and the DOM with them, same fields either way', () => {
  const html = readFileSync(path.join(FIXTURES, 'full.html'), 'utf8');
  const plain = extractPage(html, PAGE, { isInternal });
  const withRules = extractPage(html, PAGE, { isInternal, rules: [{ name: 'h', kind: 'css', expr: 'h2' }] });
  assert.deepEqual(withRules.custom, { h: ['Menu', 'Visit'] });
  const { custom, ...rest } = withRules;
  void custom;
  assert.deepEqual(plain, rest);
});
