import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { injectParameters, parseParameters, type ParameterSpec } from '../../src/notebooks/parameters.ts';
import { fieldFor, listItemType, parameterValue } from '../../src/notebooks/parameter-fields.ts';
import type { FormBody } from '../../src/widgets/index.ts';

// Plain numbers and lists in a parameters cell: each gets a number or list field, and what is
// typed in it reaches the notebook's code as the value the cell would have written.

function specsOf(source: string, language = 'python'): ParameterSpec[] {
  const r = parseParameters(source, language);
  assert.deepEqual(r.errors, []);
  return r.parameters;
}

function only(source: string, language = 'python'): ParameterSpec {
  const all = specsOf(source, language);
  assert.equal(all.length, 1, `one parameter expected in ${source}`);
  return all[0]!;
}

/** The field's widget, or a failure naming why there is none. */
function widgetOf(spec: ParameterSpec) {
  const f = fieldFor(spec);
  assert.ok(f.widget, `${spec.name}: ${f.missing ? f.reason : ''}`);
  return f.widget;
}

/** Form → widget → the value the notebook's code receives. */
function typed(spec: ParameterSpec, body: FormBody): unknown {
  const w = widgetOf(spec);
  const r = w.schema.safeParse(w.fromForm(body, 'f'));
  assert.ok(r.success, r.error?.issues.map((i) => i.message).join('; '));
  return parameterValue(spec, r.data);
}

/** The messages a form value gets from the parameter's field. */
function refusal(spec: ParameterSpec, body: FormBody): string[] {
  const w = widgetOf(spec);
  const r = w.schema.safeParse(w.fromForm(body, 'f'));
  assert.equal(r.success, false, 'expected the field to refuse it');
  return r.error!.issues.map((i) => i.message);
}

describe('fieldFor: plain numbers and lists', () => {
  test('each gets a number or list field of the right kind, starting at the default', () => {
    const src = [
      'n = 5  # How many pages',
      'ratio = 0.5',
      'names = ["a", "b"]',
      'ids = [1, 2, 3]',
      'weights = [1, 2.5]',
      'flags = [True, False]',
      'stuff = ["a", 1, None]',
      'empty = []',
    ].join('\n');
    const got = specsOf(src).map((s) => {
      const w = widgetOf(s);
      return [s.name, w.kind, w.label, w.help, w.initial, w.jsonSchema?.()];
    });
    assert.deepEqual(got, [
      ['n', 'number', 'n', 'How many pages', 5, { type: 'integer' }],
      ['ratio', 'number', 'ratio', undefined, 0.5, { type: 'number' }],
      ['names', 'list', 'names', undefined, ['a', 'b'], { type: 'array', items: { type: 'string' } }],
      ['ids', 'list', 'ids', undefined, [1, 2, 3], { type: 'array', items: { type: 'integer' } }],
      ['weights', 'list', 'weights', undefined, [1, 2.5], { type: 'array', items: { type: 'number' } }],
      ['flags', 'list', 'flags', undefined, [true, false], { type: 'array', items: { type: 'boolean' } }],
      ['stuff', 'list', 'stuff', undefined, ['a', 1, null], { type: 'array', items: {} }],
      ['empty', 'list', 'empty', undefined, [], { type: 'array', items: {} }],
    ]);
  });

  test('each default passes its own field and comes back unchanged, untouched or left out', () => {
    const src = 'n = 5\nratio = 0.5\nnames = ["a", "b"]\nids = [1, 2]\nstuff = ["a", 1, None, "2"]\nempty = []\nneg = -3';
    for (const spec of specsOf(src)) {
      const w = widgetOf(spec);
      const initial = w.schema.safeParse(w.initial);
      assert.ok(initial.success, spec.name);
      assert.deepEqual(parameterValue(spec, initial.data), spec.default, `${spec.name}: the initial value`);
      const absent = w.schema.safeParse(undefined);
      assert.ok(absent.success, `${spec.name}: a job file may leave it out`);
      assert.deepEqual(parameterValue(spec, absent.data), spec.default, `${spec.name}: left out`);
    }
  });

  test('the form as first shown, submitted unchanged, gives the default', async () => {
    for (const spec of specsOf('n = 5\nratio = 0.25\nnames = ["a b", "c"]\nstuff = ["x", 2, True, "3"]')) {
      const w = widgetOf(spec);
      const out = String(await (w.render({ name: 'f', id: 'f', value: undefined }) as { toString(): unknown }).toString());
      const shown = /value="([^"]*)"/.exec(out)?.[1] ?? /<textarea[^>]*>([\s\S]*)<\/textarea>/.exec(out)![1]!.replace(/&quot;/g, '"');
      assert.deepEqual(typed(spec, { f: shown }), spec.default, spec.name);
    }
  });

  test('a number typed in the form reaches the code as a number', () => {
    const n = only('n = 5');
    assert.equal(typed(n, { f: '12' }), 12);
    assert.equal(typed(n, { f: ' 1e3 ' }), 1000);
    assert.deepEqual(refusal(n, { f: '2.5' }), ['Enter a whole number']);
    assert.deepEqual(refusal(n, { f: 'five' }), ['Enter a number, not "five"']);
    assert.match(refusal(n, { f: '9007199254740993' }).join(), /too large to be exact/);
    const ratio = only('ratio = 0.5');
    assert.equal(typed(ratio, { f: '0.75' }), 0.75);
    assert.equal(typed(ratio, { f: '3' }), 3);
  });

  test('an emptied number field gives the cell’s default; an annotated None stays None', () => {
    assert.equal(typed(only('n = 5'), { f: '' }), 5);
    const limit = only('limit: int = None');
    assert.equal(widgetOf(limit).kind, 'number');
    assert.equal(typed(limit, { f: '' }), null);
    assert.equal(typed(limit, { f: '7' }), 7);
    assert.equal(widgetOf(only('scale: float = 2')).jsonSchema?.().type, 'number', 'the annotation, not the literal, decides');
  });

  test('a list typed one item a line reaches the code as a list of the right items', () => {
    assert.deepEqual(typed(only('names = ["a", "b"]'), { f: 'Ada\n\n Grace \n' }), ['Ada', 'Grace']);
    assert.deepEqual(typed(only('ids = [1, 2]'), { f: '3\n4\n5' }), [3, 4, 5]);
    assert.deepEqual(typed(only('w = [0.5]'), { f: '1\n2.5' }), [1, 2.5]);
    assert.deepEqual(typed(only('flags = [True]'), { f: 'false\ntrue' }), [false, true]);
    assert.deepEqual(typed(only('stuff = ["a", 1]'), { f: 'b\n2\nnull\n"3"' }), ['b', 2, null, '3']);
    assert.deepEqual(typed(only('ids = [1, 2]'), { f: '' }), [], 'an emptied list is an empty list');
    assert.deepEqual(refusal(only('ids = [1, 2]'), { f: '1\n2\nabc' }), ['Line 3: "abc" is not a whole number']);
    assert.deepEqual(refusal(only('w = [0.5, 1.5]'), { f: '1\nabc' }), ['Line 2: "abc" is not a number']);
  });

  test('typed values become the code the kernel runs: Python sees the numbers and lists', () => {
    const src = 'n = 5\nratio = 0.5\nnames = ["a"]\nids = [1]\nstuff = ["a", 1]';
    const specs = specsOf(src);
    const body: Record<string, string> = { n: '7', ratio: '2', names: 'x\ny', ids: '10\n20', stuff: 'q\n3\ntrue' };
    const values: Record<string, unknown> = {};
    for (const s of specs) {
      const w = widgetOf(s);
      values[s.name] = parameterValue(s, w.schema.parse(w.fromForm(body, s.name)));
    }
    const code = injectParameters(values, 'python', Object.fromEntries(specs.map((s) => [s.name, s.type])));
    const printed = execFileSync('/usr/bin/python3', ['-c', `${code}\nimport json\nprint(json.dumps([n, ratio, names, ids, stuff, type(ratio).__name__]))`], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(printed), [7, 2, ['x', 'y'], [10, 20], ['q', 3, true], 'float']);
  });

  test('the list’s item type: from the annotation when the default fits it, else from the default', () => {
    assert.equal(listItemType([1, 2], 'list[float]'), 'float');
    assert.equal(listItemType([], 'List[str]'), 'string');
    assert.equal(listItemType([], 'Optional[list[int]]'), 'integer');
    assert.equal(listItemType([], 'Vector{Float64}'), 'float');
    assert.equal(listItemType([], 'number[]'), 'float');
    assert.equal(listItemType([], 'Array<boolean>'), 'boolean');
    assert.equal(listItemType(['a'], 'list[int]'), 'string', 'a default that does not fit its annotation: the default decides');
    assert.equal(listItemType([], 'list'), 'mixed');
    assert.equal(listItemType([1, 2]), 'integer');
    assert.equal(listItemType([1, 2.5]), 'float');
    assert.equal(listItemType([true]), 'boolean');
    assert.equal(listItemType(['a', true]), 'mixed');
    assert.equal(listItemType([[1], [2]]), 'mixed');
    // Text a line cannot hold as typed is kept exact by the mixed field, which quotes it.
    assert.equal(listItemType(['a', ' padded']), 'mixed');
    assert.equal(listItemType(['a', '']), 'mixed');
    assert.equal(listItemType(['two\nlines']), 'mixed');
    const ratios = only('ratios: list[float] = [1.0, 2.0]');
    assert.deepEqual(widgetOf(ratios).jsonSchema?.(), { type: 'array', items: { type: 'number' } }, '[1.0, 2.0] read alone would be whole numbers');
  });

  test('a default a line cannot hold keeps its exact text through the form', async () => {
    const spec = only('parts = ["a", " padded ", ""]');
    const w = widgetOf(spec);
    const out = String(await (w.render({ name: 'f', id: 'f', value: undefined }) as { toString(): unknown }).toString());
    const shown = /<textarea[^>]*>([\s\S]*)<\/textarea>/.exec(out)![1]!.replace(/&quot;/g, '"');
    assert.deepEqual(typed(spec, { f: shown }), ['a', ' padded ', '']);
  });

  test('only a bare None has no field: it says nothing about what to ask for', () => {
    assert.deepEqual(fieldFor(only('thing = None')), {
      missing: 'type',
      reason: 'thing = None says nothing about what to ask for: give it a default, a type annotation or a widget comment',
    });
  });

  test('other languages: R vectors, Julia arrays and TypeScript numbers get the same fields', () => {
    assert.equal(widgetOf(only('ids <- c(1L, 2L)', 'r')).kind, 'list');
    assert.equal(widgetOf(only('n = 3', 'julia')).jsonSchema?.().type, 'integer');
    assert.equal(widgetOf(only('const ratio = 0.5;', 'typescript')).kind, 'number');
    assert.deepEqual(typed(only('xs = [1.5, 2.5]', 'julia'), { f: '3\n4.5' }), [3, 4.5]);
  });
});
