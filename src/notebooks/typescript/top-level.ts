// The second half of a cell's transform: plain JavaScript (types already stripped) whose top-level
// declarations are turned into assignments to globals, so later cells see them and may declare
// them again (a parameters cell's `const n = 5`, then the injected `const n = 7`). Imports become
// awaited loads through the worker's helper, and the last expression statement is returned.
//
// The rewrite splices text at node positions instead of reprinting the tree: every line stays
// where it was, so a stack trace's line numbers still go through the first half's source map.
import ts from 'typescript';
import { HELPER } from './protocol.ts';

export interface TopLevelRewrite {
  /** The rewritten statements, line for line with the input. */
  body: string;
  /** Every name the cell declares at top level (let/const/var, functions, classes, imports). */
  names: string[];
  /** Function declarations: they stay declarations (hoisted in the cell) and are copied to globals first. */
  functions: string[];
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

export function rewriteTopLevel(js: string): TopLevelRewrite {
  const file = ts.createSourceFile('cell.js', js, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const edits: Edit[] = [];
  const names = new Set<string>();
  const functions: string[] = [];

  for (const stmt of file.statements) {
    if (ts.isVariableStatement(stmt)) {
      // Its `(` replaces everything before the first declaration, `export const` included.
      rewriteVariables(stmt, edits, names);
      continue;
    }
    removeExportModifiers(stmt, edits);
    if (ts.isFunctionDeclaration(stmt) && stmt.name) {
      names.add(stmt.name.text);
      functions.push(stmt.name.text);
    } else if (ts.isClassDeclaration(stmt) && stmt.name) {
      names.add(stmt.name.text);
      const keyword = stmt.getChildren().find((c) => c.kind === ts.SyntaxKind.ClassKeyword);
      const at = keyword ? keyword.getStart() : stmt.getStart();
      edits.push({ start: at, end: at, text: `${stmt.name.text} = ` });
      edits.push({ start: stmt.end, end: stmt.end, text: ';' });
    } else if (ts.isImportDeclaration(stmt)) {
      edits.push(replaceKeepingLines(stmt, importAssignment(stmt, names)));
    } else if (ts.isExportDeclaration(stmt)) {
      // `export {a}` / `export * from 'x'`: a cell is no module, nothing to export.
      edits.push(replaceKeepingLines(stmt, ''));
    } else if (ts.isExportAssignment(stmt)) {
      edits.push({ start: stmt.getStart(), end: stmt.expression.getStart(), text: '' });
    }
  }

  const last = [...file.statements].reverse().find((s) => !ts.isEmptyStatement(s) && !ts.isExportDeclaration(s));
  if (last && (ts.isExpressionStatement(last) || ts.isExportAssignment(last))) {
    edits.push({ start: last.expression.getStart(), end: last.expression.getStart(), text: 'return (' });
    edits.push({ start: last.expression.end, end: last.expression.end, text: ')' });
  }

  rewriteDynamicImports(file, edits);
  return { body: applyEdits(js, edits), names: [...names], functions };
}

function removeExportModifiers(stmt: ts.Statement, edits: Edit[]): void {
  const modifiers = ts.canHaveModifiers(stmt) ? ts.getModifiers(stmt) : undefined;
  for (const m of modifiers ?? []) {
    if (m.kind === ts.SyntaxKind.ExportKeyword || m.kind === ts.SyntaxKind.DefaultKeyword) {
      edits.push({ start: m.getStart(), end: m.end, text: '' });
    }
  }
}

/**
 * `const a = 1, {b, c: [d]} = o;` → `(a = 1, {b, c: [d]} = o);`. A binding pattern reads the
 * same as an assignment pattern, so destructuring needs no further change. `let x;` resets x to
 * undefined, `var x;` leaves an earlier value alone, as a re-run `var` would.
 */
function rewriteVariables(stmt: ts.VariableStatement, edits: Edit[], names: Set<string>): void {
  const list = stmt.declarationList;
  const first = list.declarations[0];
  if (!first) return;
  const isVar = (list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) === 0;
  edits.push({ start: stmt.getStart(), end: first.getStart(), text: '(' });
  for (const decl of list.declarations) {
    collectBindingNames(decl.name, names);
    if (!decl.initializer && !isVar) edits.push({ start: decl.name.end, end: decl.name.end, text: ' = undefined' });
  }
  edits.push({ start: list.end, end: list.end, text: ')' });
}

function collectBindingNames(name: ts.BindingName, names: Set<string>): void {
  if (ts.isIdentifier(name)) {
    names.add(name.text);
    return;
  }
  for (const element of name.elements) {
    if (ts.isBindingElement(element)) collectBindingNames(element.name, names);
  }
}

/**
 * `import x, {a as b} from 'pkg'` → `({default: x, a: b} = await __railbook.import("pkg"));`,
 * `import * as ns from 'pkg'` → `ns = await …;`, `import 'pkg'` → `await …;`.
 */
function importAssignment(stmt: ts.ImportDeclaration, names: Set<string>): string {
  const attributes = stmt.attributes?.elements.map((e) => `${e.name.getText()}: ${e.value.getText()}`);
  const options = attributes?.length ? `, { with: { ${attributes.join(', ')} } }` : '';
  const load = `await ${HELPER}.import(${stmt.moduleSpecifier.getText()}${options})`;
  const clause = stmt.importClause;
  if (!clause) return `${load};`;
  const defaultName = clause.name?.text;
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) {
    const ns = bindings.name.text;
    names.add(ns);
    if (defaultName) names.add(defaultName);
    return `${ns} = ${load};` + (defaultName ? ` ${defaultName} = ${ns}.default;` : '');
  }
  const parts: string[] = [];
  if (defaultName) {
    names.add(defaultName);
    parts.push(`default: ${defaultName}`);
  }
  for (const el of bindings?.elements ?? []) {
    if (el.isTypeOnly) continue;
    names.add(el.name.text);
    parts.push(`${(el.propertyName ?? el.name).getText()}: ${el.name.text}`);
  }
  return `({ ${parts.join(', ')} } = ${load});`;
}

/** `import('x')` and `import.meta` inside the cell: a script has neither, the helper stands in. */
function rewriteDynamicImports(file: ts.SourceFile, edits: Edit[]): void {
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      edits.push({ start: node.expression.getStart(), end: node.expression.end, text: `${HELPER}.import` });
    } else if (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.ImportKeyword) {
      edits.push({ start: node.getStart(), end: node.end, text: `${HELPER}.meta` });
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

/** A one-line replacement padded with the newlines the replaced text had, so lines stay put. */
function replaceKeepingLines(node: ts.Node, text: string): Edit {
  const start = node.getStart();
  const newlines = node.getSourceFile().text.slice(start, node.end).split('\n').length - 1;
  return { start, end: node.end, text: text + '\n'.repeat(newlines) };
}

/**
 * Applies non-overlapping edits from the end backwards. At one position a replacement goes in
 * before an insertion is placed in front of it (`return (` before a rewritten `import(`).
 */
function applyEdits(text: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
