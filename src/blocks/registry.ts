import { conv } from './conv.js';
import { dsConv } from './ds-conv.js';
import { dsa } from './dsa.js';
import { edgeResidual } from './edge-residual.js';
import { fusedMbconv } from './fused-mbconv.js';
import type { BlockKind } from './kind.js';
import { mbconv } from './mbconv.js';

// Every block kind, in the order the reference lists them. A new kind is one
// file beside these and its entry here.

const KINDS = [mbconv, fusedMbconv, edgeResidual, dsConv, dsa, conv] as const;

export type BlockType = (typeof KINDS)[number]['name'];

export const BLOCK_KINDS: readonly BlockKind[] = KINDS;
export const BLOCK_TYPES: readonly BlockType[] = KINDS.map((k) => k.name);

const byName: ReadonlyMap<BlockType, BlockKind> = new Map(KINDS.map((k) => [k.name, k]));

export function blockKind(name: BlockType): BlockKind {
  return byName.get(name)!;
}

/** timm's letters for the kinds (`ir`, `ds`, …): other spellings the lowering accepts. No prototype: user words are looked up. */
export const BLOCK_ALIASES: Readonly<Record<string, BlockType>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, BlockType>, Object.fromEntries(KINDS.flatMap((k) => k.aliases.map((a) => [a, k.name])))),
);
