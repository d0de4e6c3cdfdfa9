import type { FamilyNode, Statement, VariantNode } from '../ast/ast.js';

// Which setting a statement gives: a variant's statement with the same key
// overrides the family's (lower.ts applies the variant's statements over the
// family's network). `round` counts once per target; every `stage` (and
// `then`) line of a variant together replaces the family's stage table.

export function settingKey(s: Statement): string | undefined {
  switch (s.kind) {
    case 'unknown':
      return undefined;
    case 'scalar':
      return s.key;
    case 'round':
      return s.target === undefined ? undefined : `round ${s.target}`;
    default:
      return s.kind;
  }
}

export const familyStatements = (family: FamilyNode): Statement[] => family.items.filter((i): i is Statement => i.kind !== 'variant');

export const variantNodes = (family: FamilyNode): VariantNode[] => family.items.filter((i): i is VariantNode => i.kind === 'variant');

/** Whether the variant gives the setting `key` itself. */
export const overrides = (v: VariantNode, key: string): boolean => v.statements.some((s) => settingKey(s) === key);
