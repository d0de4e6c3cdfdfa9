import type { Location, Position } from 'vscode-languageserver/node.js';
import type { Statement } from '../ast/ast.js';
import type { Analysis } from './analysis.js';
import { fromLspPosition, statementAt, toLspRange } from './positions.js';
import { familyStatements, settingKey } from './settings.js';

// Go to definition from a variant's statement to the family statement it
// overrides: `norm` to the family's `norm`, `resolution` to the base
// resolution, a variant's n-th `stage` line to the family's n-th (the
// variant's lines replace the family's table as a whole).

/** Where to look when the family does not give the same setting: what else sets it. */
const RELATED: Readonly<Record<string, string>> = { dropout: 'classifier', classifier: 'dropout', phi: 'compound' };

function target(family: Statement[], s: Statement, variantStages: Statement[]): Statement | undefined {
  const key = settingKey(s);
  if (key === undefined) return undefined;
  if (key === 'stage') {
    const stages = family.filter((f) => f.kind === 'stage');
    return stages[variantStages.indexOf(s)] ?? stages[0];
  }
  const same = family.find((f) => settingKey(f) === key);
  if (same) return same;
  const other = RELATED[key];
  return other === undefined ? undefined : family.find((f) => settingKey(f) === other);
}

export function definition(a: Analysis, position: Position): Location[] | null {
  const family = a.compilation.ast.family;
  if (!family) return null;
  const at = statementAt(family, fromLspPosition(position, a.bom));
  if (!at?.variant) return null;
  const found = target(familyStatements(family), at.statement, at.variant.statements.filter((s) => s.kind === 'stage'));
  return found ? [{ uri: a.uri, range: toLspRange(found.range, a.bom) }] : null;
}
