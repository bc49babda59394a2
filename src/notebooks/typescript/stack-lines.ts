// Stack traces from the worker name compiled cells `cell-N` with lines of the transpiled code;
// these maps put the cell's own line and column back (TypeScript's source map for each cell).
import { SourceMap, type SourceMapPayload } from 'node:module';

const CELL_POSITION = /(^|[\s(])(cell-\d+):(\d+)(?::(\d+))?/g;

export class CellSourceMaps {
  private readonly maps = new Map<string, SourceMap>();

  add(filename: string, payload: SourceMapPayload): void {
    this.maps.set(filename, new SourceMap(payload));
  }

  /** Forget every cell: a fresh worker has none of the old functions. */
  clear(): void {
    this.maps.clear();
  }

  /** Rewrites each `cell-N:line[:column]` in a stack line (or printed stack) to the cell's own numbering. */
  mapLine(text: string): string {
    return text.replace(CELL_POSITION, (all, lead: string, file: string, line: string, column: string | undefined) => {
      const map = this.maps.get(file);
      const pos = map && original(map, Number(line), column ? Number(column) : 1);
      if (!pos) return all;
      return `${lead}${file}:${pos.line}` + (column ? `:${pos.column}` : '');
    });
  }
}

/** 1-based position in, 1-based position out; undefined when the line has no mapping. */
function original(map: SourceMap, line: number, column: number): { line: number; column: number } | undefined {
  // findEntry gives the nearest mapping at or before the position, which may lie on an earlier
  // line when the column comes before the line's first mapping: then take that line's last one.
  for (const col of [column - 1, Number.MAX_SAFE_INTEGER]) {
    const entry = map.findEntry(line - 1, col) as Partial<{ generatedLine: number; originalLine: number; originalColumn: number }>;
    if (entry.generatedLine === line - 1 && typeof entry.originalLine === 'number') {
      return { line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
    }
  }
  return undefined;
}
