// Notebooks the notebook benchmarks run: written as nbformat 4.5 files (cell ids, the python3
// kernelspec) so Railbook and Jupyter's own tools read exactly the same file, and a check that an
// executed copy really ran every code cell.
import { readFileSync, writeFileSync } from 'node:fs';

/** The kernelspec both sides run (Debian's python3-ipykernel). */
export const BENCH_KERNEL = 'python3';

interface Cell {
  cell_type: 'code' | 'markdown';
  id: string;
  metadata: Record<string, unknown>;
  source: string;
  execution_count?: null;
  outputs?: unknown[];
}

/** Writes `code` as one code cell each, after a markdown title cell, and returns `file`. */
export function writeNotebook(file: string, title: string, code: string[]): string {
  const cells: Cell[] = [{ cell_type: 'markdown', id: 'title', metadata: {}, source: `# ${title}` }];
  code.forEach((source, i) => cells.push({ cell_type: 'code', id: `cell-${i + 1}`, metadata: {}, source, execution_count: null, outputs: [] }));
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: BENCH_KERNEL, display_name: 'Python 3 (ipykernel)', language: 'python' },
      language_info: { name: 'python' },
    },
    cells,
  };
  writeFileSync(file, `${JSON.stringify(nb, null, 1)}\n`);
  return file;
}

/** `n` cells of `x = 1`: the cell whose own cost is as close to nothing as a kernel allows. */
export function trivialCells(n: number): string[] {
  return Array.from({ length: n }, () => 'x = 1');
}

// Eight kinds of small cell a real notebook is made of, standard library only; cycled to length.
const REALISTIC: ((i: number) => string)[] = [
  (i) => `import json, math, statistics\nfrom collections import Counter\nstep_${i} = ${i}`,
  (i) => `values_${i} = [math.sqrt(k) * ${i} for k in range(200)]\nround(sum(values_${i}), 3)`,
  (i) => `for k in range(3):\n    print(f"cell ${i}, line {k}: {k * k}")`,
  (i) => `words = "the quick brown fox jumps over the lazy dog the end".split()\ncounts_${i} = Counter(words)\ncounts_${i}.most_common(3)`,
  (i) => `summary_${i} = {"cell": ${i}, "mean": statistics.mean(range(1, 101)), "tags": ["a", "b"], "ok": True}\nsummary_${i}`,
  (i) => `def square_${i}(v):\n    return v * v\n\ntotal = 0\nfor k in range(100):\n    total += square_${i}(k)\nprint("total", total)`,
  (i) => `text_${i} = json.dumps({"cell": ${i}, "items": list(range(10))}, indent=1)\nprint(len(text_${i}))`,
  (i) => `import datetime, re\nstamp = datetime.date(2026, 1, 1) + datetime.timedelta(days=${i})\nre.sub(r"-", "/", stamp.isoformat())`,
];

/** `n` small realistic cells: imports, loops, prints, a dict as a result. */
export function realisticCells(n: number): string[] {
  return Array.from({ length: n }, (_, i) => REALISTIC[i % REALISTIC.length]!(i + 1));
}

/**
 * Throws unless `file` (an executed notebook) has exactly `expected` code cells, each with an
 * execution count and no error output: a tool that skipped or failed cells must not look fast.
 */
export function checkExecuted(file: string, expected: number, who: string): void {
  const nb = JSON.parse(readFileSync(file, 'utf8')) as { cells?: { cell_type: string; execution_count?: unknown; outputs?: { output_type: string }[] }[] };
  const code = (nb.cells ?? []).filter((c) => c.cell_type === 'code');
  const executed = code.filter((c) => typeof c.execution_count === 'number' && !(c.outputs ?? []).some((o) => o.output_type === 'error'));
  if (code.length !== expected || executed.length !== expected) {
    throw new Error(`${who}: ${file} has ${code.length} code cells, ${executed.length} executed without error (expected ${expected})`);
  }
}
