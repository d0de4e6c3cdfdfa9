import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver/node.js';
import type { Statement } from '../ast/ast.js';
import { clip } from '../diagnostics/diagnostic.js';
import type { Analysis } from './analysis.js';
import { toLspRange } from './positions.js';

// The outline: the family, its stem, stages (numbered as reports number them:
// a `then` line continues the stage before), head and classifier, and its
// variants with their own stage lines.

const LAYER_LINES = new Set(['stem', 'stage', 'head', 'classifier']);

function layerSymbols(a: Analysis, statements: readonly Statement[]): DocumentSymbol[] {
  let stage = 0;
  const out: DocumentSymbol[] = [];
  for (const s of statements) {
    if (!LAYER_LINES.has(s.kind)) continue;
    let name: string = s.kind;
    if (s.kind === 'stage') name = s.continues ? `stage ${stage} (then)` : `stage ${++stage}`;
    out.push({
      name,
      detail: clip(a.compilation.source.slice(s.range.start.offset, Math.min(s.range.end.offset, s.range.start.offset + 81)), 80),
      kind: s.kind === 'stage' ? SymbolKind.Struct : SymbolKind.Field,
      range: toLspRange(s.range, a.bom),
      selectionRange: toLspRange(s.keywordRange, a.bom),
    });
  }
  return out;
}

export function documentSymbols(a: Analysis): DocumentSymbol[] {
  const family = a.compilation.ast.family;
  if (!family) return [];
  const statements = family.items.filter((i): i is Statement => i.kind !== 'variant');
  const variants: DocumentSymbol[] = family.items.flatMap((v) =>
    v.kind === 'variant' && v.name !== undefined
      ? [{ name: v.name.text, detail: 'variant', kind: SymbolKind.Object, range: toLspRange(v.range, a.bom), selectionRange: toLspRange(v.name.range, a.bom), children: layerSymbols(a, v.statements) }]
      : [],
  );
  return [
    {
      name: family.name?.text ?? 'family',
      detail: 'family',
      kind: SymbolKind.Module,
      range: toLspRange(family.range, a.bom),
      selectionRange: toLspRange(family.name?.range ?? family.keywordRange, a.bom),
      children: [...layerSymbols(a, statements), ...variants],
    },
  ];
}
