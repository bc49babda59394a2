// One TypeScript or JavaScript cell → JavaScript the worker can run so that state carries across
// cells. Two passes: TypeScript's own transpiler strips types (and lowers enums and namespaces)
// and reports syntax errors in the cell's own line numbers; then top-level.ts turns the cell's
// declarations into assignments to globals. The result is an async arrow function (so top-level
// `await` works) that returns the cell's last expression, as a REPL shows it. A trailing `;` does
// not hide that value (unlike IPython's): in JavaScript nearly every statement ends in one.
import ts from 'typescript';
import type { SourceMapPayload } from 'node:module';
import { rewriteTopLevel } from './top-level.ts';

export type CellLanguage = 'typescript' | 'javascript';

export interface TransformedCell {
  /** A script whose value is an async function running the cell and returning its last expression. */
  code: string;
  /** Names the cell declares at top level: the worker defines them on its global object first. */
  names: string[];
  /** Maps lines of `code` (as compiled with lineOffset -1) back to the cell's source. */
  sourceMap: SourceMapPayload;
}

export interface CellSyntaxError {
  message: string;
  /** 1-based, in the cell's own numbering. */
  line: number;
  column: number;
  /** The offending source line with a caret under the column. */
  excerpt: string;
}

export type TransformOutcome = { ok: true; cell: TransformedCell } | { ok: false; error: CellSyntaxError };

export function transformCell(source: string, language: CellLanguage): TransformOutcome {
  const fileName = language === 'typescript' ? 'cell.ts' : 'cell.js';
  const out = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      // Keeps every value import even when this cell does not use it (a later cell may).
      verbatimModuleSyntax: true,
      // Parses every cell as a module: top-level await is valid there.
      moduleDetection: ts.ModuleDetectionKind.Force,
      allowJs: true,
      sourceMap: true,
      removeComments: false,
    },
  });
  const problem = out.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (problem) return { ok: false, error: syntaxError(source, problem) };

  const js = out.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  const top = rewriteTopLevel(js);
  // Function declarations are hoisted inside the wrapper: copy them to globals before anything runs.
  const hoist = top.functions.map((n) => `globalThis[${JSON.stringify(n)}] = ${n};`).join(' ');
  // The wrapper's first line is its own: compiled with lineOffset -1, the body's lines keep their numbers.
  const code = `(async () => { ${hoist}\n${top.body}\n})`;
  return {
    ok: true,
    cell: { code, names: top.names, sourceMap: JSON.parse(out.sourceMapText ?? '{}') as SourceMapPayload },
  };
}

function syntaxError(source: string, d: ts.Diagnostic): CellSyntaxError {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  const lines = source.split('\n');
  let line = 1;
  let column = 1;
  if (d.start !== undefined) {
    // Counted in the source itself: transpileModule's file may be a different object per call.
    const before = source.slice(0, d.start).split('\n');
    line = before.length;
    column = (before[before.length - 1] ?? '').length + 1;
  }
  const text = (lines[line - 1] ?? '').replace(/\r$/, '');
  return { message, line, column, excerpt: `${text}\n${' '.repeat(column - 1)}^` };
}
