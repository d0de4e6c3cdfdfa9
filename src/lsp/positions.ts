import type { Position as LspPosition, Range as LspRange } from 'vscode-languageserver/node.js';
import type { FamilyNode, Statement, VariantNode } from '../ast/ast.js';
import type { Range } from '../diagnostics/diagnostic.js';

// effnet ranges are 1-based with an exclusive end, columns in UTF-16 code
// units (as the lexer counts them); LSP's are 0-based in the same units. A
// byte-order mark is not part of the compiled text but is the first
// character of the editor's line 0, so it shifts that line by one.

export const toLspPosition = (p: { line: number; column: number }, bom = false): LspPosition => ({
  line: p.line - 1,
  character: p.column - 1 + (bom && p.line === 1 ? 1 : 0),
});

export const toLspRange = (r: Range, bom = false): LspRange => ({ start: toLspPosition(r.start, bom), end: toLspPosition(r.end, bom) });

/** An editor position as effnet's 1-based line and column. */
export const fromLspPosition = (p: LspPosition, bom = false): { line: number; column: number } => ({
  line: p.line + 1,
  column: p.character + 1 - (bom && p.line === 0 ? 1 : 0),
});

const before = (a: { line: number; column: number }, b: { line: number; column: number }): boolean =>
  a.line < b.line || (a.line === b.line && a.column < b.column);

/** Whether `p` is inside `r`, its end included: a cursor just after a word is on it. */
export function contains(r: Range, p: { line: number; column: number }): boolean {
  return !before(p, r.start) && !before(r.end, p);
}

/** Whether line `line` (1-based) is one of the lines `r` spans. */
export const onLines = (r: Range, line: number): boolean => r.start.line <= line && line <= r.end.line;

/** The variant block around a position, if any. */
export function variantAt(family: FamilyNode, p: { line: number; column: number }): VariantNode | undefined {
  return family.items.find((i): i is VariantNode => i.kind === 'variant' && contains(i.range, p));
}

/** Where a statement stands: its own node, and the variant it belongs to (none for the family's). */
export interface Located {
  statement: Statement;
  variant?: VariantNode;
}

/**
 * The statement under a position: the one whose range holds it or, when none
 * does, the one on its line (statements never share a line in the family;
 * in a one-line variant the column decides).
 */
export function statementAt(family: FamilyNode, p: { line: number; column: number }): Located | undefined {
  const variant = variantAt(family, p);
  const statements = variant ? variant.statements : family.items.filter((i): i is Statement => i.kind !== 'variant');
  const exact = statements.find((s) => contains(s.range, p));
  if (exact) return { statement: exact, ...(variant ? { variant } : {}) };
  // A whole-line match only where the line holds nothing else: a variant line's gaps belong to the variant.
  if (variant && variant.range.start.line === p.line) return undefined;
  const onLine = statements.filter((s) => onLines(s.range, p.line));
  return onLine.length === 1 ? { statement: onLine[0]!, ...(variant ? { variant } : {}) } : undefined;
}
