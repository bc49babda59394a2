import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  checkboxes, codeView, dropdown, fileList, fileUpload, keyValues, linkOut, markdownToSafeHtml, markdownView,
  radios, range, tableView, text, textarea, toggle,
  type FormBody, type InputWidget, type PrepareContext,
} from '../../src/widgets/index.ts';
import type { ArtifactRef } from '../../src/store/artifact-ref.ts';

// ---- helpers -------------------------------------------------------------------------------

/** hono/jsx elements render on toString() (a String object, or a Promise for async parts). */
async function html(node: unknown): Promise<string> {
  return String(await (node as { toString(): unknown }).toString());
}

/** What the engine does with a form: fromForm, then the schema. */
function fromForm<T>(w: InputWidget<T>, body: FormBody, name = 'f') {
  return w.schema.safeParse(w.fromForm(body, name));
}

function messages(r: { success: boolean; error?: z.ZodError }): string[] {
  return r.success ? [] : r.error!.issues.map((i) => i.message);
}

function ok<T>(r: { success: boolean; data?: T; error?: z.ZodError }): T {
  assert.ok(r.success, `expected success, got: ${messages(r as never).join('; ')}`);
  return r.data as T;
}

function fails(r: { success: boolean; error?: z.ZodError }, expected: RegExp): void {
  assert.equal(r.success, false, 'expected a validation error');
  const all = messages(r).join('; ');
  assert.match(all, expected);
}

const props = { name: 'f', id: 'step-f' } as const;

/** The checks every input widget's render must pass. */
async function assertAccessible(w: InputWidget<any>, value: unknown, opts: { group?: boolean } = {}): Promise<string> {
  const plain = await html(w.render({ ...props, value }));
  assert.match(plain, /name="f"/, 'control name equals props.name');
  assert.doesNotMatch(plain, /name="(?!f")[^"]*"/, 'no control with another name');
  if (opts.group) {
    assert.match(plain, /<fieldset[^>]*>.*<legend>/s);
  } else {
    assert.match(plain, /<label for="step-f"/);
    assert.match(plain, /id="step-f"/);
  }
  assert.doesNotMatch(plain, /aria-invalid/);

  const invalid = await html(w.render({ ...props, value, error: 'Fix <this>' }));
  assert.match(invalid, /aria-invalid="true"/);
  assert.match(invalid, /id="step-f-error"[^>]*>Fix &lt;this&gt;</);
  assert.match(invalid, /aria-describedby="step-f-error[" ]/);

  const disabled = await html(w.render({ ...props, value, disabled: true }));
  assert.match(disabled, /disabled=""/);
  return plain;
}

function fakeContext(dataDir = '/data') {
  const calls: { op: string; args: unknown[] }[] = [];
  const ref = (name: string, size: number, mime?: string): ArtifactRef => ({
    artifact: true, path: `artifacts/run-1/abc-${name}`, sha256: 'a'.repeat(64), size, name, ...(mime ? { mime } : {}),
  });
  const ctx: PrepareContext = {
    dataDir,
    maxUploadBytes: 10_000_000_000,
    localPath: (p) => path.resolve(p),
    async storeUpload(file, name, mime) {
      calls.push({ op: 'storeUpload', args: [file, name, mime] });
      return ref(name ?? file.name, file.size, mime);
    },
    async storeBytes(name, data, mime) {
      calls.push({ op: 'storeBytes', args: [name, data, mime] });
      return ref(name, data.byteLength, mime);
    },
    async storeFile(localPath, name) {
      calls.push({ op: 'storeFile', args: [localPath] });
      return ref(name ?? path.basename(localPath), 3);
    },
  };
  return { ctx, calls };
}

// ---- text ----------------------------------------------------------------------------------

describe('text', () => {
  const w = text({ label: 'Your name', max: 10, help: 'As you like to be called' });

  test('trims and validates form values', () => {
    assert.equal(ok(fromForm(w, { f: '  Ada  ' })), 'Ada');
    fails(fromForm(w, {}), /^Enter some text$/);
    fails(fromForm(w, { f: '   ' }), /Enter at least 1 character/);
    fails(fromForm(w, { f: 'a'.repeat(11) }), /Enter at most 10 characters \(this has 11\)/);
    // A repeated name (a tampered form) takes the first value, as most servers do.
    assert.equal(ok(fromForm(w, { f: ['Ada', 'Bob'] })), 'Ada');
    fails(fromForm(w, { f: new File(['x'], 'x.txt') }), /Enter text/);
  });

  test('job-file values: wrong types get a sentence', () => {
    fails(w.schema.safeParse(42), /Enter text, not a number/);
    fails(w.schema.safeParse(['a']), /Enter text/);
  });

  test('optional text accepts nothing as ""; rules apply only to non-empty text', () => {
    const o = text({ label: 'Code', required: false, min: 3, pattern: /^[a-z]+$/g, patternMessage: 'Use lower-case letters' });
    assert.equal(ok(o.schema.safeParse(undefined)), '');
    assert.equal(ok(fromForm(o, { f: '  ' })), '');
    fails(fromForm(o, { f: 'ab' }), /Enter at least 3 characters/);
    fails(fromForm(o, { f: 'ABC' }), /Use lower-case letters/);
    // A global regex must not keep lastIndex between checks.
    assert.equal(ok(fromForm(o, { f: 'abc' })), 'abc');
    assert.equal(ok(fromForm(o, { f: 'abc' })), 'abc');
  });

  test('renders label, value escaped, help and error', async () => {
    const out = await assertAccessible(w, 'x');
    assert.match(out, /<label for="step-f">Your name<\/label>/);
    assert.match(out, /id="step-f-help"[^>]*>As you like to be called/);
    const evil = await html(w.render({ ...props, value: '"><script>alert(1)</script>' }));
    assert.doesNotMatch(evil, /<script>/);
    assert.match(evil, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
  });

  test('shows the initial value when there is none yet', async () => {
    const out = await html(text({ label: 'L', initial: 'hello' }).render({ ...props, value: undefined }));
    assert.match(out, /value="hello"/);
  });

  test('JSON Schema carries the limits', () => {
    const js = z.toJSONSchema(w.schema, { io: 'input' }) as Record<string, unknown>;
    assert.equal(js.type, 'string');
    assert.equal(js.maxLength, 10);
    assert.equal(js.minLength, 1);
  });
});

// ---- textarea ------------------------------------------------------------------------------

describe('textarea', () => {
  const w = textarea({ label: 'Notes', max: 20, rows: 3 });

  test('keeps indentation, normalizes CRLF, checks blank and length', () => {
    assert.equal(ok(fromForm(w, { f: '  a\r\n  b' })), '  a\n  b');
    fails(fromForm(w, { f: ' \r\n ' }), /Enter some text/);
    fails(fromForm(w, {}), /Enter some text/);
    fails(fromForm(w, { f: 'x'.repeat(21) }), /at most 20 characters/);
  });

  test('renders a textarea with escaped content', async () => {
    await assertAccessible(w, 'x');
    const out = await html(w.render({ ...props, value: '</textarea><script>x</script>' }));
    assert.match(out, /<textarea[^>]*rows="3"/);
    assert.doesNotMatch(out, /<script>/);
    assert.match(out, /&lt;\/textarea&gt;/);
  });

  test('a value starting with a newline keeps it (the parser eats one)', async () => {
    const out = await html(w.render({ ...props, value: '\nline' }));
    assert.match(out, />\n\nline<\/textarea>/);
  });
});

// ---- dropdown ------------------------------------------------------------------------------

describe('dropdown', () => {
  const w = dropdown({ label: 'Fruit', options: ['apple', 'pear', 'plum'] });

  test('accepts an option, rejects anything else with the list', () => {
    const v: 'apple' | 'pear' | 'plum' = ok(fromForm(w, { f: 'pear' }));
    assert.equal(v, 'pear');
    fails(fromForm(w, { f: 'kiwi' }), /^Choose one of: apple, pear, plum$/);
    fails(fromForm(w, { f: '' }), /Choose one of/);
    fails(fromForm(w, {}), /Choose one of/);
    fails(w.schema.safeParse(3), /Choose one of/);
  });

  test('labelled options: value stored, label shown, both in the message', async () => {
    const d = dropdown({ label: 'Size', options: [{ value: 's', label: 'Small <S>' }, { value: 'l', label: 'Large' }], initial: 'l' });
    fails(d.schema.safeParse('m'), /Choose one of: Small <S> \(s\), Large \(l\)/);
    const out = await html(d.render({ ...props, value: undefined }));
    assert.match(out, /<option value="s">Small &lt;S&gt;<\/option>/);
    assert.match(out, /<option value="l" selected="">Large<\/option>/);
    assert.doesNotMatch(out, /Choose…/, 'no placeholder once a value is chosen');
  });

  test('renders a select with a placeholder while nothing is chosen', async () => {
    const out = await assertAccessible(w, undefined);
    assert.match(out, /<select id="step-f" name="f"/);
    assert.match(out, /<option value="" selected="" disabled="">Choose…<\/option>/);
  });

  test('refuses empty or duplicate option lists at definition time', () => {
    assert.throws(() => dropdown({ label: 'X', options: [] }), /at least one option/);
    assert.throws(() => dropdown({ label: 'X', options: ['a', 'a'] }), /twice/);
  });
});

// ---- checkboxes ----------------------------------------------------------------------------

describe('checkboxes', () => {
  const w = checkboxes({ label: 'Toppings', options: ['cheese', 'ham', 'olives'], max: 2 });

  test('zero, one or many values; stored in option order', () => {
    assert.deepEqual(ok(fromForm(w, {})), []);
    assert.deepEqual(ok(fromForm(w, { f: 'ham' })), ['ham']);
    assert.deepEqual(ok(fromForm(w, { f: ['olives', 'cheese'] })), ['cheese', 'olives']);
    assert.deepEqual(ok(fromForm(w, { f: ['ham', 'ham'] })), ['ham']);
  });

  test('unknown values and limits are reported', () => {
    fails(fromForm(w, { f: ['ham', 'pineapple'] }), /"pineapple" is not one of: cheese, ham, olives/);
    fails(fromForm(w, { f: ['cheese', 'ham', 'olives'] }), /Choose at most 2 options/);
    const atLeast = checkboxes({ label: 'T', options: ['a', 'b'], min: 1 });
    fails(fromForm(atLeast, {}), /Choose at least 1 option/);
    fails(atLeast.schema.safeParse(undefined), /Choose from/);
    fails(w.schema.safeParse('ham'), /Choose from: cheese, ham, olives/);
    fails(w.schema.safeParse(['ham', 'ham']), /only once/);
  });

  test('a job file may leave out an optional set', () => {
    assert.deepEqual(ok(w.schema.safeParse(undefined)), []);
  });

  test('renders a fieldset of labelled checkboxes', async () => {
    const out = await assertAccessible(w, ['ham'], { group: true });
    assert.match(out, /<legend>Toppings<\/legend>/);
    for (const i of [0, 1, 2]) {
      assert.match(out, new RegExp(`<label for="step-f-${i}"><input type="checkbox" id="step-f-${i}" name="f"`));
    }
    assert.match(out, /value="ham" checked=""/);
    assert.doesNotMatch(out, /value="cheese" checked/);
  });
});

// ---- radios --------------------------------------------------------------------------------

describe('radios', () => {
  const w = radios({ label: 'Depth', options: ['shallow', 'deep'], initial: 'deep' });

  test('one value from the list', () => {
    assert.equal(ok(fromForm(w, { f: 'shallow' })), 'shallow');
    fails(fromForm(w, {}), /Choose one of: shallow, deep/);
    fails(fromForm(w, { f: 'medium' }), /Choose one of/);
  });

  test('renders a fieldset of radios with the initial one checked', async () => {
    const out = await assertAccessible(w, undefined, { group: true });
    assert.match(out, /<legend>Depth<\/legend>/);
    assert.match(out, /<label for="step-f-1"><input type="radio" id="step-f-1" name="f" value="deep" checked=""/);
  });
});

// ---- range ---------------------------------------------------------------------------------

describe('range', () => {
  const w = range({ label: 'Depth', min: 0, max: 10, step: 2, initial: 4 });

  test('coerces form text to a number; job files give numbers', () => {
    assert.equal(ok(fromForm(w, { f: '6' })), 6);
    assert.equal(ok(w.schema.safeParse(8)), 8);
    fails(fromForm(w, { f: 'deep' }), /^Enter a number$/);
    fails(fromForm(w, { f: '12' }), /at most 10/);
    fails(fromForm(w, { f: '-2' }), /at least 0/);
    fails(fromForm(w, { f: '3' }), /steps of 2 starting at 0/);
    fails(w.schema.safeParse('6'), /Enter a number/);
  });

  test('absent takes the value the slider shows', () => {
    assert.equal(ok(fromForm(w, {})), 4);
    assert.equal(ok(fromForm(w, { f: '' })), 4);
    const mid = range({ label: 'M', min: 0, max: 1, step: 0.1 });
    assert.equal(ok(mid.schema.safeParse(undefined)), 0.5);
    assert.equal(ok(mid.schema.safeParse(0.3)), 0.3, 'float steps tolerate rounding');
  });

  test('renders the slider and its current value in an <output data-for>', async () => {
    const out = await assertAccessible(w, 6);
    assert.match(out, /<input type="range" id="step-f" name="f" min="0" max="10" step="2" value="6"/);
    assert.match(out, /<output[^>]*data-for="step-f"[^>]*>6<\/output>/);
    assert.doesNotMatch(out, /<script|oninput/);
  });

  test('refuses nonsense bounds', () => {
    assert.throws(() => range({ label: 'R', min: 5, max: 1 }), /greater than min/);
  });
});

// ---- switch --------------------------------------------------------------------------------

describe('toggle', () => {
  const w = toggle({ label: 'Follow links' });

  test('absent is false, the checkbox value is true', () => {
    assert.equal(ok(fromForm(w, {})), false);
    assert.equal(ok(fromForm(w, { f: 'true' })), true);
    assert.equal(ok(fromForm(w, { f: 'on' })), true);
    assert.equal(ok(fromForm(w, { f: ['false', 'true'] })), true);
    assert.equal(ok(fromForm(w, { f: 'false' })), false);
    fails(fromForm(w, { f: 'maybe' }), /Choose on or off/);
    assert.equal(ok(w.schema.safeParse(undefined)), false);
    fails(w.schema.safeParse('true'), /Choose on or off/);
  });

  test("renders Pico's switch", async () => {
    const out = await assertAccessible(w, true);
    assert.match(out, /<input type="checkbox" role="switch" id="step-f" name="f" value="true" checked=""/);
    assert.doesNotMatch(await html(w.render({ ...props, value: false })), /checked/);
  });
});

// ---- file upload ---------------------------------------------------------------------------

describe('fileUpload', () => {
  const w = fileUpload({ label: 'Data', accept: '.csv,text/csv', maxBytes: 10 });
  const stored: ArtifactRef = { artifact: true, path: 'artifacts/run-1/abc-a.csv', sha256: 'a'.repeat(64), size: 3, name: 'a.csv' };

  test('fromForm returns the File, or nothing for the empty File browsers send', () => {
    const f = new File(['a,b'], 'a.csv', { type: 'text/csv' });
    assert.equal(w.fromForm({ f }, 'f'), f);
    assert.equal(w.fromForm({ f: new File([], '') }, 'f'), undefined);
    assert.equal(w.fromForm({}, 'f'), undefined);
    // A string from a form must never become a local path.
    assert.equal(w.fromForm({ f: '/etc/passwd' }, 'f'), undefined);
  });

  test('prepare stores an upload as bytes', async () => {
    const { ctx, calls } = fakeContext();
    const ref = await w.prepare!(new File(['a,b'], 'a.csv', { type: 'text/csv' }), ctx);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.op, 'storeBytes');
    const [name, data, mime] = calls[0]!.args as [string, Uint8Array, string];
    assert.equal(name, 'a.csv');
    assert.equal(new TextDecoder().decode(data), 'a,b');
    assert.equal(mime, 'text/csv');
    assert.deepEqual(ok(w.schema.safeParse(ref)), ref);
  });

  test('prepare copies a local path (job files) and passes a stored reference through', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'railbook-upload-'));
    try {
      const file = path.join(dir, 'in.csv');
      writeFileSync(file, 'x,y');
      const { ctx, calls } = fakeContext();
      await w.prepare!(file, ctx);
      assert.deepEqual(calls, [{ op: 'storeFile', args: [file] }]);
      assert.equal(await w.prepare!(stored, ctx), stored);
      assert.equal(calls.length, 1, 'nothing stored for a reference');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('prepare refuses too large, wrong type and odd values before storing', async () => {
    const { ctx, calls } = fakeContext();
    await assert.rejects(w.prepare!(new File(['12345678901'], 'big.csv'), ctx), /at most 10 bytes \(this one is 11 bytes\)/);
    await assert.rejects(w.prepare!(new File(['x'], 'x.exe', { type: 'application/x-msdownload' }), ctx), /type: \.csv,text\/csv/);
    await assert.rejects(w.prepare!('/tmp/notes.exe', ctx), /type/);
    await assert.rejects(w.prepare!(42, ctx), /path of a local file/);
    assert.equal(calls.length, 0);
  });

  test('schema checks the reference itself', () => {
    fails(w.schema.safeParse(undefined), /^Choose a file$/);
    fails(w.schema.safeParse('in.csv'), /Choose a file/);
    fails(w.schema.safeParse({ ...stored, path: '../../etc/passwd' }), /Choose a file/);
    fails(w.schema.safeParse({ ...stored, path: '/etc/passwd' }), /Choose a file/);
    fails(w.schema.safeParse({ ...stored, size: 11 }), /at most 10 bytes/);
    fails(w.schema.safeParse({ ...stored, name: 'a.txt', mime: 'text/plain' }), /type/);
  });

  test('job files and the API give a path, or { path, name } to keep a file name', async () => {
    const js = w.jsonSchema!() as { anyOf: { type: string }[] };
    assert.deepEqual(js.anyOf.map((s) => s.type), ['string', 'object']);
    const { ctx, calls } = fakeContext();
    const ref = await w.prepare!({ path: '/tmp/upload-1.csv', name: 'sales.csv' }, ctx);
    assert.equal((ref as { name: string }).name, 'sales.csv');
    assert.deepEqual(calls, [{ op: 'storeFile', args: ['/tmp/upload-1.csv'] }]);
    await assert.rejects(w.prepare!({ path: '/tmp/x.csv', extra: 1 }, ctx), /path of a local file/);
    await assert.rejects(w.prepare!({ path: '/tmp/x.bin', name: 'x.bin' }, ctx), /type/);
  });

  test('renders a file input and the current file', async () => {
    await assertAccessible(w, undefined);
    const out = await html(w.render({ ...props, value: { ...stored, name: '<b>x</b>.csv', size: 1500 } }));
    assert.match(out, /<input type="file" id="step-f" name="f" accept=".csv,text\/csv"/);
    assert.match(out, /&lt;b&gt;x&lt;\/b&gt;.csv \(1.5 kB\)/);
  });
});

// ---- file list -----------------------------------------------------------------------------

describe('fileList', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'railbook-list-'));
  writeFileSync(path.join(dir, 'a.csv'), 'a');
  writeFileSync(path.join(dir, 'b.csv'), 'bb');
  writeFileSync(path.join(dir, 'notes.txt'), 'n');
  writeFileSync(path.join(dir, '.hidden.csv'), 'h');
  mkdirSync(path.join(dir, 'sub.csv'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));

  const w = fileList({ label: 'Inputs', folder: dir, pattern: /\.csv$/ });

  test('chosen names validate against the folder', () => {
    assert.deepEqual(ok(fromForm(w, { f: ['a.csv', 'b.csv'] })), ['a.csv', 'b.csv']);
    assert.deepEqual(ok(fromForm(w, { f: 'b.csv' })), ['b.csv']);
    fails(fromForm(w, {}), /Choose at least one file/);
    fails(fromForm(w, { f: '../../etc/passwd' }), /not a plain file name/);
    fails(fromForm(w, { f: 'sub.csv/x.csv' }), /not a plain file name/);
    fails(fromForm(w, { f: '..' }), /not a plain file name/);
    fails(fromForm(w, { f: 'notes.txt' }), /does not match/);
    fails(fromForm(w, { f: 'gone.csv' }), /is not a file in/);
    fails(fromForm(w, { f: 'sub.csv' }), /is not a file in/);
    fails(w.schema.safeParse('a.csv'), /Choose files from the list/);
    assert.equal(w.pathOf('a.csv'), path.join(dir, 'a.csv'));
    assert.throws(() => w.pathOf('../x'), /plain file name/);
  });

  test('renders checkboxes for the matching files only', async () => {
    const out = await assertAccessible(w, ['b.csv'], { group: true });
    assert.match(out, /value="a.csv"/);
    assert.match(out, /value="b.csv" checked=""/);
    assert.doesNotMatch(out, /notes\.txt|\.hidden|value="sub\.csv"/);
    assert.match(out, /<label for="step-f-0"><input type="checkbox" id="step-f-0" name="f" value="a.csv"/);
  });

  test('single choice renders radios and allows one file', async () => {
    const one = fileList({ label: 'One', folder: dir, multiple: false });
    fails(fromForm(one, { f: ['a.csv', 'b.csv'] }), /only one file/);
    assert.deepEqual(ok(fromForm(one, { f: 'notes.txt' })), ['notes.txt']);
    assert.match(await html(one.render({ ...props, value: undefined })), /type="radio"/);
  });

  test('says so when the folder is missing or empty', async () => {
    const missing = fileList({ label: 'M', folder: path.join(dir, 'nope') });
    assert.match(await html(missing.render({ ...props, value: undefined })), /does not exist/);
    const none = fileList({ label: 'N', folder: dir, pattern: /\.json$/ });
    assert.match(await html(none.render({ ...props, value: undefined })), /No files matching/);
  });
});

// ---- every widget --------------------------------------------------------------------------

test('every input widget: absent form values are handled and JSON Schema can be built', () => {
  const all: InputWidget<any>[] = [
    text({ label: 'a' }), textarea({ label: 'b' }), dropdown({ label: 'c', options: ['x'] }),
    checkboxes({ label: 'd', options: ['x'] }), radios({ label: 'e', options: ['x'] }),
    range({ label: 'f', min: 0, max: 1 }), toggle({ label: 'g' }), fileUpload({ label: 'h' }),
    fileList({ label: 'i', folder: tmpdir() }),
  ];
  for (const w of all) {
    assert.doesNotThrow(() => w.schema.safeParse(w.fromForm({}, 'f')), w.kind);
    const js = w.jsonSchema ? w.jsonSchema() : z.toJSONSchema(w.schema, { io: 'input', unrepresentable: 'any' });
    assert.equal(typeof js, 'object', w.kind);
  }
});

// ---- output views --------------------------------------------------------------------------

describe('markdownView', () => {
  test('renders markdown', async () => {
    const out = await html(markdownView('# Title\n\nSome **bold** and [a link](https://example.com).'));
    assert.match(out, /<h1>Title<\/h1>/);
    assert.match(out, /<strong>bold<\/strong>/);
    assert.match(out, /<a href="https:\/\/example.com"[^>]*rel="noopener noreferrer"[^>]*>a link<\/a>/);
  });

  test('escapes raw HTML and drops dangerous links', async () => {
    const out = await html(markdownView([
      'Hi <script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[click](javascript:alert(1)) [enc](jav&#x61;script:alert(2)) [ok](docs/next.md) <javascript:alert(3)>',
      '![pic](javascript:alert(4))',
      '[ref][1]\n\n[1]: javascript:alert(5)',
    ].join('\n\n')));
    assert.doesNotMatch(out, /<script|<img src="?x|javascript:[^<]*"|href="javascript/i);
    assert.match(out, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(out, /click/, 'the words of a dropped link stay');
    assert.match(out, /<a href="docs\/next.md">ok<\/a>/);
    assert.doesNotMatch(out, /href="[^"]*alert/);
  });

  test('markdownToSafeHtml allows mailto and leaves the global marked alone', async () => {
    assert.match(markdownToSafeHtml('[mail](mailto:a@b.c)'), /href="mailto:a@b.c"/);
    const { marked } = await import('marked');
    assert.match(marked.parse('<b>x</b>', { async: false }), /<b>x<\/b>/);
  });
});

describe('codeView', () => {
  test('highlights TypeScript on the server', async () => {
    const out = await html(codeView('const x: number = 1;\ninterface A { b: string }', 'typescript'));
    assert.match(out, /^<pre[^>]*><code class="hljs language-typescript">/);
    assert.match(out, /<span class="hljs-keyword">const<\/span>/);
  });

  test('escapes code and guesses an unknown language', async () => {
    const out = await html(codeView('<script>alert("x")</script>', 'no-such-language'));
    assert.doesNotMatch(out, /<script>/);
    assert.match(out, /&lt;/);
    assert.match(await html(codeView('SELECT id FROM runs WHERE key = 1;')), /hljs-keyword/);
  });
});

describe('tableView', () => {
  test('renders a head, stringifies cells and notes truncation', async () => {
    const rows = [
      { url: 'https://a', depth: 0, meta: { ok: true } },
      { url: '<script>', depth: 1 },
      { url: 'https://c', extra: null },
    ];
    const out = await html(tableView(rows, { maxRows: 2, caption: 'Pages' }));
    assert.match(out, /^<div class="table-scroll"/);
    assert.match(out, /<caption>Pages<\/caption>/);
    assert.match(out, /<thead><tr><th scope="col">url<\/th><th scope="col">depth<\/th><th scope="col">meta<\/th><\/tr><\/thead>/);
    assert.match(out, /<td>\{&quot;ok&quot;:true\}<\/td>/);
    assert.match(out, /&lt;script&gt;/);
    assert.doesNotMatch(out, /https:\/\/c/);
    assert.match(out, /Showing 2 of 3 rows/);
  });

  test('chosen columns, no truncation note when all rows fit, and empty tables', async () => {
    const out = await html(tableView([{ a: 1, b: 2 }], { columns: ['b'] }));
    assert.match(out, /<th scope="col">b<\/th><\/tr>/);
    assert.doesNotMatch(out, /<th scope="col">a/);
    assert.doesNotMatch(out, /Showing/);
    assert.match(await html(tableView([])), /No rows/);
  });
});

describe('linkOut', () => {
  test('http(s) links open in a new tab, said out loud', async () => {
    const out = await html(linkOut('https://example.com/x?a=1&b=2', 'Example'));
    assert.match(out, /<a class="link-out" href="https:\/\/example.com\/x\?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">Example/);
    assert.match(out, /\(opens in a new tab\)/);
  });

  test('anything else is plain text', async () => {
    const out = await html(linkOut('javascript:alert(1)', 'Click'));
    assert.doesNotMatch(out, /<a /);
    assert.match(out, /Click/);
    assert.doesNotMatch(await html(linkOut('file:///etc/passwd')), /<a /);
  });
});

describe('keyValues', () => {
  test('a plain object as a definition list', async () => {
    const ref: ArtifactRef = { artifact: true, path: 'artifacts/k/f.csv', sha256: 'a'.repeat(64), size: 2_500_000, name: 'f.csv' };
    const out = await html(keyValues({ name: '<b>Ada</b>', count: 3, done: true, file: ref, tags: ['a', 'b'], nested: { deep: [1] } }));
    assert.match(out, /^<dl class="key-values">/);
    assert.match(out, /<dt>name<\/dt><dd>&lt;b&gt;Ada&lt;\/b&gt;<\/dd>/);
    assert.match(out, /<dt>count<\/dt><dd>3<\/dd>/);
    assert.match(out, /<dt>done<\/dt><dd>yes<\/dd>/);
    assert.match(out, /<dd>f.csv \(2.5 MB\)<\/dd>/);
    assert.match(out, /<dd>a, b<\/dd>/);
    assert.match(out, /<pre class="kv-json">\{\n  &quot;deep&quot;/);
  });

  test('links artifacts when given a URL maker; lists of records become a table; primitives are text', async () => {
    const ref: ArtifactRef = { artifact: true, path: 'artifacts/k/f.csv', sha256: 'a'.repeat(64), size: 10, name: 'f.csv' };
    assert.match(await html(keyValues({ file: ref }, { artifactUrl: (r) => `/files/${r.path}` })), /<a href="\/files\/artifacts\/k\/f.csv">f.csv \(10 bytes\)<\/a>/);
    assert.match(await html(keyValues([{ a: 1 }, { a: 2 }])), /<table>/);
    assert.match(await html(keyValues('just <text>')), /just &lt;text&gt;/);
    assert.match(await html(keyValues({})), /no values/);
  });
});
