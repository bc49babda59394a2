import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { list, number, type FormBody, type InputWidget } from '../../src/widgets/index.ts';
import { displayValue } from '../../src/widgets/display.ts';
import { stepJsonSchema } from '../../src/engine/step-input.ts';
import type { AnyStep } from '../../src/engine/workflow.ts';

// ---- helpers -------------------------------------------------------------------------------

/** hono/jsx elements render on toString() (a String object, or a Promise for async parts). */
async function html(node: unknown): Promise<string> {
  return String(await (node as { toString(): unknown }).toString());
}

const props = { name: 'f', id: 'step-f' } as const;

/** What the engine does with a form: fromForm, then the schema. */
function submit<T>(w: InputWidget<T>, body: FormBody) {
  return w.schema.safeParse(w.fromForm(body, 'f'));
}

function messages(r: { success: boolean; error?: z.ZodError }): string[] {
  return r.success ? [] : r.error!.issues.map((i) => i.message);
}

function ok<T>(r: { success: boolean; data?: T; error?: z.ZodError }): T {
  assert.ok(r.success, `expected success, got: ${messages(r).join('; ')}`);
  return r.data as T;
}

/** Fails with exactly these messages, in order: a person reads every one of them. */
function refused(r: { success: boolean; error?: z.ZodError }, expected: string[]): void {
  assert.equal(r.success, false, 'expected a validation error');
  assert.deepEqual(messages(r), expected);
}

// ---- number --------------------------------------------------------------------------------

describe('number', () => {
  const w = number({ label: 'Pages', min: 3, max: 500, integer: true, initial: 10 });
  const any = number({ label: 'Ratio' });

  test('reads what a person types, spaces and exponents included', () => {
    assert.equal(ok(submit(w, { f: '42' })), 42);
    assert.equal(ok(submit(w, { f: ' 7 ' })), 7);
    assert.equal(ok(submit(w, { f: '1e2' })), 100);
    assert.equal(ok(submit(any, { f: '1e3' })), 1000);
    assert.equal(ok(submit(any, { f: '-2.5' })), -2.5);
    assert.equal(ok(submit(any, { f: '.5' })), 0.5);
    assert.equal(ok(submit(any, { f: '+3' })), 3);
    assert.equal(ok(submit(w, { f: '12.0' })), 12, 'a whole number written with a decimal point is still whole');
  });

  test('-0 is stored as 0', () => {
    const v = ok(submit(any, { f: '-0' }));
    assert.ok(Object.is(v, 0), `got ${Object.is(v, -0) ? '-0' : String(v)}`);
  });

  test('text that is not a number is quoted back, never read as NaN, Infinity or hex', () => {
    refused(submit(any, { f: 'abc' }), ['Enter a number, not "abc"']);
    refused(submit(any, { f: 'NaN' }), ['Enter a number, not "NaN"']);
    refused(submit(any, { f: 'Infinity' }), ['Enter a number, not "Infinity"']);
    refused(submit(any, { f: '-Infinity' }), ['Enter a number, not "-Infinity"']);
    refused(submit(any, { f: '0x10' }), ['Enter a number, not "0x10"']);
    refused(submit(any, { f: '12,5' }), ['Enter a number, not "12,5"']);
    refused(submit(any, { f: '1e999' }), ['Enter a number, not "1e999"']);
    const long = submit(any, { f: 'x'.repeat(5000) });
    assert.ok(messages(long)[0]!.length < 100, 'a huge value is not echoed whole');
  });

  test('whole numbers, limits and steps each have their own message, one at a time', () => {
    refused(submit(w, { f: '2.5' }), ['Enter a whole number']);
    refused(submit(w, { f: '2' }), ['Enter a number of at least 3']);
    refused(submit(w, { f: '501' }), ['Enter a number of at most 500']);
    refused(submit(w, { f: '-1.5' }), ['Enter a whole number']);
    const stepped = number({ label: 'S', min: 1, step: 0.5 });
    assert.equal(ok(submit(stepped, { f: '2.5' })), 2.5);
    refused(submit(stepped, { f: '2.25' }), ['Use steps of 0.5 starting at 1']);
    assert.equal(ok(number({ label: 'T', step: 0.1 }).schema.safeParse(0.3)), 0.3, 'float steps tolerate rounding');
  });

  test('whole numbers beyond 2^53 are refused: they would not be exact', () => {
    const big = number({ label: 'Seed', integer: true });
    assert.equal(ok(submit(big, { f: '9007199254740991' })), Number.MAX_SAFE_INTEGER);
    for (const f of ['9007199254740993', '12345678901234567890', '1e300']) {
      const r = submit(big, { f });
      assert.equal(r.success, false, f);
      assert.match(messages(r).join('; '), /too large to be exact/, f);
    }
    assert.match(messages(big.schema.safeParse(-(2 ** 60))).join(), /too large to be exact/);
    // A float field takes large numbers: they were never exact.
    assert.equal(ok(submit(any, { f: '1e300' })), 1e300);
  });

  test('job files give numbers directly; text, NaN and Infinity from a caller are refused', () => {
    assert.equal(ok(w.schema.safeParse(250)), 250);
    refused(w.schema.safeParse('250'), ['Enter a number, not "250"']);
    refused(any.schema.safeParse(Number.NaN), ['Enter a number']);
    refused(any.schema.safeParse(Infinity), ['Enter a number']);
    refused(any.schema.safeParse(true), ['Enter a number']);
  });

  test('required by default; optional gives undefined for an empty field', () => {
    refused(submit(w, {}), ['Enter a number']);
    refused(submit(w, { f: '   ' }), ['Enter a number']);
    const opt = number({ label: 'Limit', required: false, min: 1 });
    assert.equal(ok(submit(opt, { f: '' })), undefined);
    assert.equal(ok(submit(opt, {})), undefined);
    refused(submit(opt, { f: '0' }), ['Enter a number of at least 1']);
  });

  test('an uploaded file where a number belongs is refused, not ignored', () => {
    refused(submit(any, { f: new File(['1'], 'one.txt') }), ['Enter a number']);
  });

  test('display shows the number as written', () => {
    assert.equal(displayValue(any, 0.25), '0.25');
    assert.equal(displayValue(any, 1000), '1000');
    assert.equal(displayValue(any, -0), '0');
  });

  test('renders a labelled number input with the browser limits and the right keypad', async () => {
    const out = await html(w.render({ ...props, value: 42 }));
    assert.match(out, /<label for="step-f">Pages<\/label>/);
    assert.match(out, /<input type="number" id="step-f" name="f" inputmode="numeric" min="3" max="500" step="1" value="42"/);
    assert.match(out, /aria-required="true"/);
    const float = await html(any.render({ ...props, value: undefined }));
    assert.match(float, /inputmode="decimal"/);
    assert.match(float, /step="any"/, 'a browser must not refuse 0.5');
    assert.match(float, /value=""/);
    assert.doesNotMatch(float, /min=|max=/);
    assert.doesNotMatch(await html(number({ label: 'O', required: false }).render({ ...props, value: undefined })), /aria-required/);
  });

  test('shows the initial value first, and help and errors tied to the input', async () => {
    const h = number({ label: 'N', help: 'How many', initial: 5 });
    assert.match(await html(h.render({ ...props, value: undefined })), /value="5"/);
    // After a failed submit the field is shown again with the text that was sent.
    const out = await html(h.render({ ...props, value: 'abc' as never, error: 'Enter a number, not "abc"' }));
    assert.match(out, /aria-invalid="true"/);
    assert.match(out, /aria-describedby="step-f-error step-f-help"/);
    assert.match(out, /id="step-f-error"[^>]*>Enter a number, not &quot;abc&quot;</);
    assert.match(out, /id="step-f-help"[^>]*>How many</);
  });

  test('JSON Schema states the type and limits; an optional field is not required', () => {
    const step = { id: 's', fields: { n: w, r: number({ label: 'R', required: false, min: 0, step: 0.5 }) } } as unknown as AnyStep;
    const js = stepJsonSchema(step) as { properties: Record<string, Record<string, unknown>>; required: string[] };
    assert.deepEqual(js.required, ['n']);
    assert.equal(js.properties.n!.type, 'integer');
    assert.equal(js.properties.n!.minimum, 3);
    assert.equal(js.properties.n!.maximum, 500);
    assert.deepEqual({ ...js.properties.r!, title: undefined }, { title: undefined, type: 'number', minimum: 0, multipleOf: 0.5 });
  });

  test('refuses nonsense options', () => {
    assert.throws(() => number({ label: 'N', min: 5, max: 1 }), /max \(1\) at least min \(5\)/);
    assert.throws(() => number({ label: 'N', step: 0 }), /positive step/);
  });
});

// ---- list ----------------------------------------------------------------------------------

describe('list', () => {
  test('one item a line: trimmed, blank lines dropped, CRLF from browsers too', () => {
    const w = list({ label: 'Names', itemType: 'string' });
    assert.deepEqual(ok(submit(w, { f: '  Ada \r\n\r\nGrace\n\n  \nLinus  ' })), ['Ada', 'Grace', 'Linus']);
    assert.deepEqual(ok(submit(w, { f: '' })), []);
    assert.deepEqual(ok(submit(w, { f: 'a, b' })), ['a, b'], 'a comma is part of the item, not a separator');
    assert.deepEqual(ok(submit(w, { f: '42' })), ['42'], 'text lists keep digits as text');
  });

  test('numbers: each line read as a number, the bad line named', () => {
    const ints = list({ label: 'Ids', itemType: 'integer' });
    assert.deepEqual(ok(submit(ints, { f: '1\n 2 \n-0\n1e3' })), [1, 2, 0, 1000]);
    refused(submit(ints, { f: '1\n2\nabc' }), ['Line 3: "abc" is not a whole number']);
    refused(submit(ints, { f: '1\n2.5' }), ['Line 2: 2.5 is not a whole number']);
    refused(submit(ints, { f: '9007199254740993' }), [`Line 1: 9007199254740992 is too large to be exact (whole numbers go up to ${Number.MAX_SAFE_INTEGER})`]);
    const floats = list({ label: 'Ratios', itemType: 'float' });
    assert.deepEqual(ok(submit(floats, { f: '0.5\n\n2\n.25' })), [0.5, 2, 0.25]);
    refused(submit(floats, { f: '0.5\n\n\nabc' }), ['Line 2: "abc" is not a number']);
    refused(submit(floats, { f: 'NaN\nInfinity' }), ['Line 1: "NaN" is not a number', 'Line 2: "Infinity" is not a number']);
  });

  test('many bad lines: the first three are named, the rest counted', () => {
    const ints = list({ label: 'Ids', itemType: 'integer' });
    refused(submit(ints, { f: 'a\nb\n3\nc\nd\ne' }), [
      'Line 1: "a" is not a whole number', 'Line 2: "b" is not a whole number', 'Line 4: "c" is not a whole number', 'and 2 more lines like these',
    ]);
  });

  test('booleans: true or false in any case', () => {
    const w = list({ label: 'Flags', itemType: 'boolean' });
    assert.deepEqual(ok(submit(w, { f: 'true\nFalse\nTRUE' })), [true, false, true]);
    refused(submit(w, { f: 'true\nmaybe' }), ['Line 2: "maybe" is not true or false']);
  });

  test('mixed: a line that is JSON is that value, other text stays text', () => {
    const w = list({ label: 'Things', itemType: 'mixed' });
    assert.deepEqual(ok(submit(w, { f: 'abc\n5\n2.5\ntrue\nnull\n"5"\n[1, 2]\n1e999\nhello world' })), [
      'abc', 5, 2.5, true, null, '5', [1, 2], '1e999', 'hello world',
    ]);
  });

  test('job files give an array directly, checked item by item', () => {
    const ints = list({ label: 'Ids', itemType: 'integer' });
    assert.deepEqual(ok(ints.schema.safeParse([1, 2, 3])), [1, 2, 3]);
    refused(ints.schema.safeParse([1, '2']), ['Line 2: "2" is not a whole number']);
    refused(ints.schema.safeParse('1\n2'), ['Enter a list, one item per line']);
    const names = list({ label: 'Names', itemType: 'string' });
    refused(names.schema.safeParse(['a', 5, null]), ['Line 2: 5 is not text', 'Line 3: null is not text']);
    assert.deepEqual(ok(names.schema.safeParse([' padded '])), [' padded '], 'a job file can say what a line cannot');
    const mixed = list({ label: 'M', itemType: 'mixed' });
    assert.deepEqual(ok(mixed.schema.safeParse(['a', 1, [true, { k: null }]])), ['a', 1, [true, { k: null }]]);
    refused(mixed.schema.safeParse([1, Infinity]), ['Line 2: Infinity is not a value JSON can hold']);
  });

  test('left out of a job file, it is the list the field starts with', () => {
    assert.deepEqual(ok(list({ label: 'L', itemType: 'string', initial: ['a'] }).schema.safeParse(undefined)), ['a']);
    assert.deepEqual(ok(list({ label: 'L', itemType: 'string' }).schema.safeParse(undefined)), []);
  });

  test('maxItems says how many there were', () => {
    const w = list({ label: 'Tags', itemType: 'string', maxItems: 2 });
    assert.deepEqual(ok(submit(w, { f: 'a\n\nb' })), ['a', 'b']);
    refused(submit(w, { f: 'a\nb\nc' }), ['Enter at most 2 items (this has 3)']);
    assert.throws(() => list({ label: 'T', itemType: 'string', maxItems: -1 }), /maxItems/);
  });

  test('display joins the items with commas', () => {
    assert.equal(displayValue(list({ label: 'L', itemType: 'string' }), ['a', 'b']), 'a, b');
    assert.equal(displayValue(list({ label: 'L', itemType: 'mixed' }), ['a', 1, null, true]), 'a, 1, null, true');
    assert.equal(displayValue(list({ label: 'L', itemType: 'float' }), []), '(none)');
  });

  test('renders a labelled textarea, one item a line, saying so under the field', async () => {
    const w = list({ label: 'Ids', help: 'Pages to skip', itemType: 'integer', initial: [1, 2] });
    const out = await html(w.render({ ...props, value: undefined }));
    assert.match(out, /<label for="step-f">Ids<\/label>/);
    assert.match(out, /<textarea id="step-f" name="f" rows="3"[^>]*>1\n2<\/textarea>/);
    assert.match(out, /id="step-f-help"[^>]*>Pages to skip\. One whole number per line</);
    assert.match(out, /aria-describedby="step-f-help"/);
    assert.match(await html(list({ label: 'N', itemType: 'string' }).render({ ...props, value: [] })), />One per line</);
    const invalid = await html(w.render({ ...props, value: [1, 'abc'], error: 'Line 2: "abc" is not a whole number' }));
    assert.match(invalid, />1\nabc<\/textarea>/, 'what was typed is shown back, so line 2 is the bad line');
    assert.match(invalid, /aria-invalid="true"/);
    assert.match(invalid, /aria-describedby="step-f-error step-f-help"/);
  });

  test('rendered text reads back as the same list, even text that looks like something else', async () => {
    const cases: [Parameters<typeof list>[0]['itemType'], unknown[]][] = [
      ['string', ['Ada', 'Grace Hopper', '42']],
      ['integer', [1, -2, 3000]],
      ['float', [0.5, 1e21, -0.125]],
      ['boolean', [true, false]],
      ['mixed', ['a', '5', 'true', 'null', ' padded ', '', 'two\nlines', '"q"', 5, null, false, [1, 'x'], { k: 1 }]],
    ];
    for (const [itemType, items] of cases) {
      const w = list({ label: 'L', itemType });
      const out = await html(w.render({ ...props, value: items as never }));
      const shown = /<textarea[^>]*>([\s\S]*)<\/textarea>/.exec(out)![1]!
        .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
      assert.deepEqual(ok(submit(w, { f: shown })), items, itemType);
    }
  });

  test('markup in an item is escaped', async () => {
    const out = await html(list({ label: 'L', itemType: 'string' }).render({ ...props, value: ['</textarea><script>x</script>'] }));
    assert.doesNotMatch(out, /<script>/);
    assert.match(out, /&lt;\/textarea&gt;/);
  });

  test('JSON Schema says an array of the item type', () => {
    const step = { id: 's', fields: { a: list({ label: 'A', itemType: 'float', maxItems: 5 }), b: list({ label: 'B', itemType: 'mixed' }) } } as unknown as AnyStep;
    const js = stepJsonSchema(step) as { properties: Record<string, Record<string, unknown>>; required: string[] };
    assert.deepEqual(js.required, [], 'left out, a list is its initial list');
    assert.deepEqual(js.properties.a, { title: 'A', type: 'array', items: { type: 'number' }, maxItems: 5 });
    assert.deepEqual(js.properties.b, { title: 'B', type: 'array', items: {} });
  });
});
