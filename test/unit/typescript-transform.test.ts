// The transform rules for TypeScript/JavaScript cells, checked by running the transformed code in
// a fresh vm context (one per test, standing in for the worker's global object).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { HELPER } from '../../src/notebooks/typescript/protocol.ts';
import { CellSourceMaps } from '../../src/notebooks/typescript/stack-lines.ts';
import { transformCell, type CellLanguage, type TransformedCell } from '../../src/notebooks/typescript/transform.ts';

/** A notebook's global state: runs cells one after another, as the worker does. */
function session(modules: Record<string, Record<string, unknown>> = {}) {
  const imported: string[] = [];
  const context = vm.createContext({
    [HELPER]: {
      import: async (specifier: string) => {
        imported.push(specifier);
        return modules[specifier] ?? {};
      },
      meta: { url: 'file:///notebooks/[notebook].js' },
    },
  });
  const maps = new CellSourceMaps();
  let serial = 0;
  return {
    context: context as Record<string, unknown>,
    imported,
    maps,
    async run(source: string, language: CellLanguage = 'typescript'): Promise<unknown> {
      const cell = compile(source, language);
      const filename = `cell-${++serial}`;
      maps.add(filename, cell.sourceMap);
      for (const name of cell.names) if (!(name in context)) (context as Record<string, unknown>)[name] = undefined;
      const fn = new vm.Script(cell.code, { filename, lineOffset: -1 }).runInContext(context) as () => Promise<unknown>;
      return fn();
    },
  };
}

/** Values made in the vm context have its prototypes: compare them as data. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function compile(source: string, language: CellLanguage = 'typescript'): TransformedCell {
  const out = transformCell(source, language);
  assert.ok(out.ok, `compiles: ${out.ok ? '' : out.error.message}`);
  return out.cell;
}

test('top-level declarations become globals that later cells see', async () => {
  const s = session();
  await s.run('const n: number = 5;\nlet items: string[] = ["a"];\nvar legacy = true;');
  assert.deepEqual(plain([s.context['n'], s.context['items'], s.context['legacy']]), [5, ['a'], true]);
  assert.equal(await s.run('items.push("b"); `${n}:${items.join("")}`'), '5:ab');
});

test('a const may be declared again by a later cell (the injected parameters cell)', async () => {
  const s = session();
  await s.run('const n = 5\nconst label = "five"');
  await s.run('const n = 7');
  assert.equal(await s.run('n'), 7);
  assert.equal(s.context['label'], 'five');
});

test('destructuring declarations: objects, arrays, defaults, rest, nesting', async () => {
  const s = session();
  await s.run('const { a, b: renamed, c = 3, ...others } = { a: 1, b: 2, d: 4, e: 5 };\nconst [x, , y = 9, ...rest] = [10, 11, undefined, 12, 13];\nconst { deep: [{ z }] } = { deep: [{ z: "zz" }] };');
  const c = s.context;
  assert.deepEqual(plain([c['a'], c['renamed'], c['c'], c['others'], c['x'], c['y'], c['rest'], c['z']]), [1, 2, 3, { d: 4, e: 5 }, 10, 9, [12, 13], 'zz']);
  assert.deepEqual(compile('const { a, b: [c, ...d] } = o').names, ['a', 'c', 'd']);
});

test('functions are hoisted within their cell and persist; classes persist', async () => {
  const s = session();
  assert.equal(await s.run('const early = square(4);\nfunction square(v: number) { return v * v; }\nearly'), 16);
  await s.run('class Counter { count = 0; inc() { return ++this.count; } }\nasync function later() { return "later"; }');
  assert.equal(await s.run('const k = new Counter(); k.inc(); k.inc()'), 2);
  assert.equal(await s.run('await later()'), 'later');
});

test('let without a value resets, var without a value keeps the earlier one', async () => {
  const s = session();
  await s.run('let l = 1; var v = 1;');
  await s.run('let l; var v;');
  assert.deepEqual([s.context['l'], s.context['v']], [undefined, 1]);
});

test('the last expression statement is the value; a trailing semicolon keeps it', async () => {
  const s = session();
  assert.equal(await s.run('1 + 1'), 2);
  assert.equal(await s.run('const t = 3;\nt * 2;'), 6);
  assert.equal(await s.run('const u = 1;'), undefined);
  assert.equal(await s.run('if (true) { 5 }'), undefined, 'only a top-level expression statement counts');
  assert.deepEqual(plain(await s.run('({ k: 1 })')), { k: 1 });
  assert.equal(await s.run('"x"\n// a comment after it\n'), 'x');
});

test('top-level await, for await and await in the value', async () => {
  const s = session();
  assert.equal(await s.run('const v = await Promise.resolve(2);\nlet sum = 0;\nfor await (const x of [Promise.resolve(1), 2]) sum += x;\nawait Promise.resolve(v + sum)'), 5);
});

test('imports become awaited loads through the helper', async () => {
  const pkg = { default: 'D', a: 'A', c: 'C' };
  const s = session({ pkg, './local.ts': { helper: 'H' }, side: {} });
  await s.run('import d, { a as b, c, type T } from "pkg";\nimport * as ns from "./local.ts";\nimport "side";\nimport type { Only } from "types-only";');
  assert.deepEqual(s.imported, ['pkg', './local.ts', 'side'], 'type-only imports load nothing');
  const c = s.context;
  assert.deepEqual([c['d'], c['b'], c['c'], (c['ns'] as { helper: string }).helper], ['D', 'A', 'C', 'H']);
  assert.equal('T' in c, false);
  await s.run('const m = await import("pkg");\nconst here = import.meta.url;');
  assert.deepEqual([(c['m'] as { a: string }).a, c['here']], ['A', 'file:///notebooks/[notebook].js']);
  assert.deepEqual(s.imported.slice(-1), ['pkg']);
});

test('an import that is unused in its cell is still kept for later cells', async () => {
  const s = session({ pkg: { tool: 'T' } });
  await s.run('import { tool } from "pkg";');
  assert.equal(await s.run('tool'), 'T');
});

test('export keywords are dropped: a cell is no module', async () => {
  const s = session();
  await s.run('export const e = 1;\nexport function f() { return 2; }\nexport class K {}\nexport { e as alias };');
  assert.equal(await s.run('e + f()'), 3);
  assert.equal(typeof s.context['K'], 'function');
});

test('TypeScript-only syntax: types vanish, enums and namespaces work', async () => {
  const s = session();
  await s.run('type Id = string;\ninterface Shape { area(): number }\nenum Color { Red, Green }\nnamespace Geo { export const unit = "m"; }\nconst pick = <T,>(xs: T[]): T | undefined => xs[0];\ndeclare const ambient: number;');
  assert.equal(await s.run('`${Color[Color.Green]}:${Geo.unit}:${pick<number>([7])}`'), 'Green:m:7');
});

test('a syntax error gives the line and column in the cell, with the line and a caret', () => {
  const out = transformCell('const ok = 1;\n\nconst broken = (1 + ;\n', 'typescript');
  assert.ok(!out.ok);
  assert.deepEqual(out.error, { message: 'Expression expected.', line: 3, column: 21, excerpt: 'const broken = (1 + ;\n                    ^' });
});

test('JavaScript mode: plain JavaScript works, type annotations are errors', async () => {
  const s = session();
  assert.equal(await s.run('const xs = [1, 2, 3];\nxs.reduce((a, b) => a + b, 0)', 'javascript'), 6);
  const typed = transformCell('let x: number = 1;', 'javascript');
  assert.ok(!typed.ok);
  assert.match(typed.error.message, /can only be used in TypeScript files/);
});

test('stack traces map back to the cell lines, blank lines and multi-line imports included', async () => {
  const s = session({ pkg: { a: 1, b: 2 } });
  const source = 'import {\n  a,\n  b,\n} from "pkg";\n\n// why it fails\nfunction fail(): never {\n  throw new Error("here");\n}\n\nfail();';
  const err = await s.run(source).then(
    () => assert.fail('the cell throws'),
    (e: Error) => e,
  );
  const stack = (err.stack ?? '').split('\n').map((l) => s.maps.mapLine(l));
  assert.match(stack[1] ?? '', /at fail \(cell-1:8:\d+\)/);
  assert.match(stack[2] ?? '', /cell-1:11:\d+/);
});
