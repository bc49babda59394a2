import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Store } from '../../src/store/store.ts';
import type { ArtifactRef } from '../../src/store/artifact-ref.ts';
import type { KernelOutput } from '../../src/notebooks/kernel/outputs.ts';
import {
  MAX_OUTPUTS, OutputCollector, STREAM_MAX_CHARS,
} from '../../src/notebooks/outputs/collect.ts';
import { isArtifactRef, type NbOutput } from '../../src/notebooks/outputs/nb-output.ts';
import { INLINE_LIMIT_BYTES, inlineOutputs, storeOutputs } from '../../src/notebooks/outputs/store-outputs.ts';
import { ansiToHtml, stripAnsi } from '../../src/notebooks/outputs/ansi.ts';
import { OutputsView } from '../../src/notebooks/outputs/outputs-view.tsx';
import { tempDir } from '../helpers/temp-engine.ts';

// A 1×1 PNG, as a kernel sends it (base64).
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const out = (name: 'stdout' | 'stderr', text: string): KernelOutput => ({ output_type: 'stream', name, text });
const display = (data: Record<string, unknown>, display_id?: string): KernelOutput => ({ output_type: 'display_data', data, metadata: {}, display_id });

function collect(...msgs: KernelOutput[]): OutputCollector {
  const c = new OutputCollector();
  for (const m of msgs) c.push(m);
  return c;
}

async function html(node: unknown): Promise<string> {
  return String(await (node as { toString(): unknown }).toString());
}

describe('collecting outputs as Jupyter does', () => {
  test('consecutive stream text of one name merges; stdout and stderr keep their order', () => {
    const c = collect(out('stdout', 'a\n'), out('stdout', 'b\n'), out('stderr', 'warn\n'), out('stdout', 'c\n'));
    assert.deepEqual(c.outputs(), [
      { output_type: 'stream', name: 'stdout', text: 'a\nb\n' },
      { output_type: 'stream', name: 'stderr', text: 'warn\n' },
      { output_type: 'stream', name: 'stdout', text: 'c\n' },
    ]);
    // A display between two prints also separates them.
    const d = collect(out('stdout', 'x'), display({ 'text/plain': '1' }), out('stdout', 'y'));
    assert.equal(d.outputs().length, 3);
  });

  test('carriage returns overwrite the line, also across messages; \\r\\n is a newline; backspace deletes', () => {
    assert.equal(text(collect(out('stdout', '\r 10%\r 20%\r 30%\n'))), ' 30%\n');
    // The progress bar arrives one update per message, as tqdm sends it.
    assert.equal(text(collect(out('stdout', 'Working:  10%'), out('stdout', '\rWorking:  50%'), out('stdout', '\rWorking: 100%\n'), out('stdout', 'done\n'))),
      'Working: 100%\ndone\n');
    // A "\r" left at the end of one message overwrites what the next one writes.
    assert.equal(text(collect(out('stdout', 'old line\r'), out('stdout', 'new\n'))), 'new line\n');
    assert.equal(text(collect(out('stdout', 'one\r\ntwo\r\n'))), 'one\ntwo\n');
    assert.equal(text(collect(out('stdout', 'abc\b\bX\n'), out('stdout', 'q'), out('stdout', '\bZ'))), 'aX\nZ');
    // Earlier complete lines are never touched by a later "\r".
    assert.equal(text(collect(out('stdout', 'keep\nxx'), out('stdout', '\ryy'))), 'keep\nyy');
  });

  test('clear_output(wait=false) clears at once; wait=true clears only when the next output arrives', () => {
    const c = collect(out('stdout', 'frame 1\n'));
    const before = c.changes;
    c.push({ output_type: 'clear_output', wait: true });
    assert.equal(text(c), 'frame 1\n', 'still shown: no flicker');
    assert.equal(c.changes, before, 'nothing visible changed yet');
    c.push(out('stdout', 'frame 2\n'));
    assert.deepEqual(c.outputs(), [{ output_type: 'stream', name: 'stdout', text: 'frame 2\n' }], 'replaced, not merged');
    c.push({ output_type: 'clear_output', wait: false });
    assert.deepEqual(c.outputs(), []);
    assert.ok(c.changes > before);
    // After a waiting clear, the next display replaces everything too.
    const d = collect(display({ 'text/plain': 'A' }), { output_type: 'clear_output', wait: true }, display({ 'text/plain': 'B' }));
    assert.deepEqual(d.outputs().map((o) => (o as { data: Record<string, unknown> }).data['text/plain']), ['B']);
  });

  test('update_display_data rewrites every output with that display_id, and nothing for an unknown id', () => {
    const c = collect(
      display({ 'text/plain': 'v1' }, 'bar'),
      out('stdout', 'between\n'),
      display({ 'text/plain': 'v1 again' }, 'bar'),
      display({ 'text/plain': 'other' }, 'baz'),
    );
    const snapshot = c.outputs();
    c.push({ output_type: 'update_display_data', display_id: 'bar', data: { 'text/plain': 'v2' }, metadata: { m: 1 } });
    const now = c.outputs();
    assert.deepEqual(now.map((o) => ('data' in o ? o.data['text/plain'] : o.output_type)), ['v2', 'stream', 'v2', 'other']);
    assert.deepEqual(now[0], { output_type: 'display_data', data: { 'text/plain': 'v2' }, metadata: { m: 1 } }, 'no display_id is stored (not nbformat)');
    assert.equal((snapshot[0] as { data: Record<string, unknown> }).data['text/plain'], 'v1', 'an earlier snapshot does not change');
    const changes = c.changes;
    c.push({ output_type: 'update_display_data', display_id: 'nope', data: { 'text/plain': 'x' }, metadata: {} });
    assert.deepEqual(c.outputs(), now);
    assert.equal(c.changes, changes);
    // An update does not count as "the next output" of a waiting clear.
    c.push({ output_type: 'clear_output', wait: true });
    c.push({ output_type: 'update_display_data', display_id: 'baz', data: { 'text/plain': 'other 2' }, metadata: {} });
    assert.equal(c.outputs().length, 4);
    // Once cleared, the old displays are gone: an update for them does nothing.
    c.push({ output_type: 'clear_output', wait: false });
    c.push({ output_type: 'update_display_data', display_id: 'bar', data: { 'text/plain': 'v3' }, metadata: {} });
    assert.deepEqual(c.outputs(), []);
  });

  test('results and errors are kept as nbformat outputs, and the snapshot is a copy', () => {
    const c = collect(
      { output_type: 'execute_result', data: { 'text/plain': '42' }, metadata: {}, execution_count: 3 },
      { output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['line 1', 'line 2'] },
    );
    const o = c.outputs();
    assert.deepEqual(o, [
      { output_type: 'execute_result', data: { 'text/plain': '42' }, metadata: {}, execution_count: 3 },
      { output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['line 1', 'line 2'] },
    ]);
    (o[0] as { data: Record<string, unknown> }).data['text/plain'] = 'changed';
    (o[1] as { traceback: string[] }).traceback.push('x');
    assert.deepEqual(c.outputs()[0], { output_type: 'execute_result', data: { 'text/plain': '42' }, metadata: {}, execution_count: 3 });
    assert.equal((c.outputs()[1] as { traceback: string[] }).traceback.length, 2);
  });

  test('a stream keeps only its last STREAM_MAX_CHARS characters, after a marker line', () => {
    const c = new OutputCollector();
    const line = 'x'.repeat(1023) + '\n'; // 1 KiB
    for (let i = 0; i < 3 * 1024; i++) c.push(out('stdout', line)); // 3 MiB in 3072 messages
    c.push(out('stdout', 'THE END\n'));
    const [only] = c.outputs();
    const t = (only as { text: string }).text;
    const total = 3 * 1024 * 1024 + 'THE END\n'.length;
    const marker = `… ${total - STREAM_MAX_CHARS} earlier characters not kept\n`;
    assert.ok(t.startsWith(marker), t.slice(0, 80));
    assert.equal(t.length - marker.length, STREAM_MAX_CHARS);
    assert.ok(t.endsWith('x\nTHE END\n'));
    // The same rule on a small cap: exactly the last characters stay.
    const small = new OutputCollector({ streamMaxChars: 5 });
    small.push(out('stderr', 'abcdefgh'));
    small.push(out('stderr', 'ij'));
    assert.equal(text(small), '… 5 earlier characters not kept\nfghij');
  });

  test('at most MAX_OUTPUTS outputs: the oldest give way to a marker, and display ids of dropped ones are forgotten', () => {
    const c = new OutputCollector();
    c.push(display({ 'text/plain': 'first' }, 'd0'));
    for (let i = 1; i < MAX_OUTPUTS + 10; i++) c.push(display({ 'text/plain': `n${i}` }));
    const o = c.outputs();
    assert.equal(o.length, MAX_OUTPUTS);
    const dropped = MAX_OUTPUTS + 10 - (MAX_OUTPUTS - 1);
    assert.deepEqual(o[0], { output_type: 'stream', name: 'stderr', text: `… ${dropped} earlier outputs not kept\n` });
    assert.deepEqual((o[1] as { data: Record<string, unknown> }).data, { 'text/plain': `n${dropped}` });
    assert.deepEqual((o.at(-1) as { data: Record<string, unknown> }).data, { 'text/plain': `n${MAX_OUTPUTS + 9}` });
    const changes = c.changes;
    c.push({ output_type: 'update_display_data', display_id: 'd0', data: { 'text/plain': 'zombie' }, metadata: {} });
    assert.equal(c.changes, changes);
    assert.ok(!c.outputs().some((x) => 'data' in x && x.data['text/plain'] === 'zombie'));
    // A clear removes the marker too.
    c.push({ output_type: 'clear_output', wait: false });
    assert.deepEqual(c.outputs(), []);
  });

  test('the total size of a cell\'s outputs is bounded; the newest output is always kept', () => {
    const c = new OutputCollector({ maxTotalChars: 10_000 });
    for (let i = 0; i < 5; i++) c.push(display({ 'image/png': 'A'.repeat(4000) }));
    const o = c.outputs();
    assert.equal(o.length, 3, 'marker + the two newest images');
    assert.match((o[0] as { text: string }).text, /^… 3 earlier outputs not kept/);
    const big = new OutputCollector({ maxTotalChars: 10 });
    big.push(display({ 'text/plain': 'a long value, over the limit on its own' }));
    assert.equal(big.outputs().length, 1);
  });

  test('changes counts every visible change', () => {
    const c = new OutputCollector();
    assert.equal(c.changes, 0);
    c.push(out('stdout', 'a'));
    c.push(out('stdout', 'b'));
    c.push(display({ 'text/plain': '1' }));
    assert.equal(c.changes, 3);
  });
});

function text(c: OutputCollector): string {
  const o = c.outputs();
  assert.equal(o.length, 1, `one output expected, got ${JSON.stringify(o)}`);
  return (o[0] as { text: string }).text;
}

describe('storing outputs as artifacts and back', () => {
  test('HTML, SVG, images and large values go to files in the run\'s artifacts; inlineOutputs restores them', async () => {
    const t = tempDir();
    const store = await Store.open(t.dir);
    try {
      const writer = { write: (name: string, data: Uint8Array | string, mime?: string) => store.artifacts.writeBytes('acme-nb-01', name, data, mime) };
      const bigText = 'y'.repeat(INLINE_LIMIT_BYTES + 1);
      const bigJson = { rows: Array.from({ length: 10_000 }, (_, i) => ({ i, s: 'value' })) };
      const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
      const outputs: NbOutput[] = [
        { output_type: 'stream', name: 'stdout', text: 'small\n' },
        { output_type: 'display_data', data: { 'image/png': PNG, 'text/plain': '<Figure>' }, metadata: { 'image/png': { width: 1 } } },
        { output_type: 'execute_result', data: { 'text/html': '<b>hi</b>', 'text/plain': 'hi' }, metadata: {}, execution_count: 4 },
        { output_type: 'display_data', data: { 'image/svg+xml': svg, 'application/json': bigJson, 'text/plain': bigText }, metadata: {} },
        { output_type: 'stream', name: 'stderr', text: bigText },
        { output_type: 'error', ename: 'E', evalue: 'v', traceback: ['tb'] },
      ];
      const stored = await storeOutputs(outputs, writer);

      const ref = (i: number, mime?: string): ArtifactRef => {
        const o = stored[i]!;
        const v = mime ? (o as { data: Record<string, unknown> }).data[mime] : (o as { text: unknown }).text;
        assert.ok(isArtifactRef(v), `output ${i} ${mime ?? 'text'} should be an artifact`);
        return v;
      };
      assert.deepEqual(stored[0], outputs[0], 'small text stays inline');
      assert.equal((stored[1] as { data: Record<string, unknown> }).data['text/plain'], '<Figure>');
      const png = ref(1, 'image/png');
      assert.equal(png.name, 'out-2.png');
      assert.equal(png.mime, 'image/png');
      const bytes = await readFile(store.artifacts.resolve(png.path));
      assert.deepEqual(bytes.subarray(1, 4).toString('latin1'), 'PNG', 'decoded from base64 to real PNG bytes');
      assert.equal(ref(2, 'text/html').name, 'out-3.html');
      assert.equal(await readFile(store.artifacts.resolve(ref(2, 'text/html').path), 'utf8'), '<b>hi</b>');
      assert.equal(ref(3, 'image/svg+xml').name, 'out-4.svg');
      assert.equal(ref(3, 'application/json').name, 'out-4.json');
      assert.equal(ref(3, 'text/plain').size, INLINE_LIMIT_BYTES + 1);
      assert.equal(ref(4).name, 'out-5-stderr.txt');
      assert.deepEqual(stored[5], outputs[5]);
      // The state stays small: no value in it is anywhere near the limit.
      assert.ok(JSON.stringify(stored).length < 8_000, `state is ${JSON.stringify(stored).length} chars`);

      const again = await storeOutputs(stored, writer);
      assert.deepEqual(again, stored, 'storing stored outputs changes nothing');

      const back = await inlineOutputs(stored, (r) => readFile(store.artifacts.resolve(r.path)));
      assert.deepEqual(back, outputs);
    } finally {
      await store.close();
      t.cleanup();
    }
  });
});

describe('ANSI colours to HTML classes', () => {
  test('colours, bright colours, backgrounds, bold and reset become classes', () => {
    assert.equal(ansiToHtml('\x1b[31mred\x1b[0m plain'), '<span class="ansi-red-fg">red</span> plain');
    assert.equal(ansiToHtml('\x1b[1;92mok\x1b[39m still bold\x1b[22m'), '<span class="ansi-bright-green-fg ansi-bold">ok</span><span class="ansi-bold"> still bold</span>');
    assert.equal(ansiToHtml('\x1b[44;37mx\x1b[m'), '<span class="ansi-white-fg ansi-blue-bg">x</span>');
    assert.equal(ansiToHtml('\x1b[38;5;196mx'), '<span class="ansi-bright-red-fg">x</span>', '256-colour red → nearest of 16');
    assert.equal(ansiToHtml('\x1b[38;5;4mx'), '<span class="ansi-blue-fg">x</span>');
    assert.equal(ansiToHtml('\x1b[38;2;0;200;0mx'), '<span class="ansi-green-fg">x</span>', 'truecolour → nearest');
    assert.equal(ansiToHtml('\x1b[48;2;250;250;250;1mx'), '<span class="ansi-bright-white-bg ansi-bold">x</span>', 'parameters after an RGB colour still apply');
    assert.equal(ansiToHtml('\x1b[38:5:21mx'), '<span class="ansi-blue-fg">x</span>', 'colon form');
    assert.equal(ansiToHtml('\x1b[7mx'), '<span class="ansi-default-inverse-fg ansi-default-inverse-bg">x</span>');
  });

  test('an IPython traceback line keeps its colours', () => {
    const tb = '\x1b[0;31mZeroDivisionError\x1b[0m                         Traceback (most recent call last)\nCell \x1b[0;32mIn[1], line 1\x1b[0m';
    const h = ansiToHtml(tb);
    assert.match(h, /^<span class="ansi-red-fg">ZeroDivisionError<\/span> {25}Traceback/);
    assert.match(h, /<span class="ansi-green-fg">In\[1\], line 1<\/span>$/);
  });

  test('everything is escaped, and other escape sequences are stripped', () => {
    assert.equal(ansiToHtml('<script>alert("x")</script> & \'q\''), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
    assert.equal(ansiToHtml('\x1b[32m<img src=x onerror=alert(1)>'), '<span class="ansi-green-fg">&lt;img src=x onerror=alert(1)&gt;</span>');
    const messy = 'a\x1b[2Kb\x1b[1Ac\x1b]8;;https://example.com\x07link\x1b]8;;\x07d\x1b]0;title\x1b\\e\x1b(Bf\x07g';
    assert.equal(ansiToHtml(messy), 'abclinkdefg');
    assert.equal(stripAnsi('\x1b[1;31mError\x1b[0m: \x1b]8;;http://x\x1b\\bad\x1b]8;;\x1b\\'), 'Error: bad');
    assert.equal(ansiToHtml('\x1b[31'), '31', 'an unfinished sequence loses its ESC');
  });
});

describe('the outputs view', () => {
  const urls = {
    artifactUrl: (r: ArtifactRef) => `/files/${r.path}`,
    frameUrl: (r: ArtifactRef) => `/frames/${r.path}`,
  };
  const ref = (name: string, mime: string, size = 10): ArtifactRef => ({ artifact: true, path: `artifacts/k/abc-${name}`, sha256: 'f'.repeat(64), size, name, mime });

  test('HTML is a sandboxed frame (scripts, never same-origin); while live, unstored HTML is only announced', async () => {
    const h = await html(OutputsView({ ...urls, outputs: [{ output_type: 'display_data', data: { 'text/html': ref('out-1.html', 'text/html'), 'text/plain': 'x' }, metadata: {} }] }));
    assert.match(h, /<iframe[^>]* sandbox="allow-scripts"[^>]* src="\/frames\/artifacts\/k\/abc-out-1.html"/);
    assert.doesNotMatch(h, /allow-same-origin/);
    assert.match(h, /role="region" aria-label="Cell output"/);
    const live = await html(OutputsView({ ...urls, live: true, outputs: [{ output_type: 'display_data', data: { 'text/html': '<script>alert(1)</script>' }, metadata: {} }] }));
    assert.match(live, /HTML output — shown when the cell finishes/);
    assert.doesNotMatch(live, /<script>/);
    assert.doesNotMatch(live, /alert/);
    assert.match(live, /aria-busy="true"/);
    // HTML that was never stored (an old state) falls back to a plainer representation.
    const old = await html(OutputsView({ ...urls, outputs: [{ output_type: 'display_data', data: { 'text/html': '<script>alert(1)</script>', 'text/plain': 'plain <b>' }, metadata: {} }] }));
    assert.match(old, /<pre class="nb-text">plain &lt;b&gt;<\/pre>/);
    assert.doesNotMatch(old, /alert/);
  });

  test('a <script> in text/plain, markdown, a stream or a traceback is escaped', async () => {
    const evil = '<script>alert(1)</script>';
    const h = await html(OutputsView({
      ...urls,
      outputs: [
        { output_type: 'execute_result', data: { 'text/plain': evil }, metadata: {}, execution_count: 1 },
        { output_type: 'display_data', data: { 'text/markdown': `# Title\n\n${evil}` }, metadata: {} },
        { output_type: 'stream', name: 'stderr', text: `\x1b[31m${evil}\x1b[0m` },
        { output_type: 'error', ename: 'XSS<b>', evalue: evil, traceback: [`\x1b[31m${evil}`] },
      ],
    }));
    assert.doesNotMatch(h, /<script>/);
    assert.doesNotMatch(h, /<b>/);
    assert.match(h, /<h1>Title<\/h1>/);
    assert.match(h, /class="nb-output nb-stream nb-stderr"/);
    assert.match(h, /<span class="ansi-red-fg">&lt;script&gt;/);
    assert.match(h, /class="nb-output nb-error"/);
    assert.match(h, /XSS&lt;b&gt;/);
  });

  test('images use the artifact URL (SVG too, only through <img>) with alt text; inline images while live are data: URLs', async () => {
    const h = await html(OutputsView({
      ...urls,
      outputs: [
        { output_type: 'display_data', data: { 'image/png': ref('out-1.png', 'image/png'), 'text/plain': '<Figure>' }, metadata: {} },
        { output_type: 'display_data', data: { 'image/svg+xml': ref('out-2.svg', 'image/svg+xml') }, metadata: {} },
      ],
    }));
    assert.match(h, /<img[^>]* src="\/files\/artifacts\/k\/abc-out-1.png"[^>]* alt="Output image 1 of cell"/);
    assert.match(h, /<img[^>]* src="\/files\/artifacts\/k\/abc-out-2.svg"[^>]* alt="Output image 2 of cell"/);
    assert.doesNotMatch(h, /&lt;Figure&gt;/, 'the richest representation only');
    assert.doesNotMatch(h, /<svg|<object|<embed/);
    const live = await html(OutputsView({ ...urls, live: true, outputs: [{ output_type: 'display_data', data: { 'image/png': PNG }, metadata: {} }] }));
    assert.match(live, new RegExp(`src="data:image/png;base64,${PNG.replace(/[+/]/g, '\\$&')}"`));
  });

  test('markdown, JSON and too-large text each get their own view', async () => {
    const h = await html(OutputsView({
      ...urls,
      outputs: [
        { output_type: 'display_data', data: { 'text/markdown': '**bold**', 'text/plain': 'plain' }, metadata: {} },
        { output_type: 'display_data', data: { 'application/json': { a: [1, 2] }, 'text/plain': 'plain' }, metadata: {} },
        { output_type: 'stream', name: 'stdout', text: ref('out-3-stdout.txt', 'text/plain', 1_234_567) },
      ],
    }));
    assert.match(h, /<strong>bold<\/strong>/);
    assert.match(h, /class="code-view"/);
    assert.match(h, /&quot;a&quot;/);
    assert.match(h, /Output too large to show \(1.2 MB\) — <a href="\/files\/artifacts\/k\/abc-out-3-stdout.txt\?name=out-3-stdout.txt"/);
    assert.doesNotMatch(h, />plain</);
  });
});
