import { conv } from './conv.js';
import { dsConv } from './ds-conv.js';
import { dsa } from './dsa.js';
import { edgeResidual } from './edge-residual.js';
import { fusedMbconv } from './fused-mbconv.js';
import type { BlockKind } from './kind.js';
import { mbconv } from './mbconv.js';

// Every block kind, in the order the reference lists them. A new kind is one
// file beside these, its name here and its entry in KINDS.

export const BLOCK_TYPES = ['mbconv', 'fused_mbconv', 'edge_residual', 'ds_conv', 'dsa', 'conv'] as const;
export type BlockType = (typeof BLOCK_TYPES)[number];

const KINDS: { readonly [K in BlockType]: BlockKind & { name: K } } = {
  mbconv: { ...mbconv, name: 'mbconv' },
  fused_mbconv: { ...fusedMbconv, name: 'fused_mbconv' },
  edge_residual: { ...edgeResidual, name: 'edge_residual' },
  ds_conv: { ...dsConv, name: 'ds_conv' },
  dsa: { ...dsa, name: 'dsa' },
  conv: { ...conv, name: 'conv' },
};

export const BLOCK_KINDS: readonly BlockKind[] = BLOCK_TYPES.map((t) => KINDS[t]);

export function blockKind(name: BlockType): BlockKind {
  return KINDS[name];
}

/** timm's letters for the kinds (`ir`, `ds`, …): other spellings the lowering accepts. No prototype: user words are looked up. */
export const BLOCK_ALIASES: Readonly<Record<string, BlockType>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, BlockType>, Object.fromEntries(BLOCK_TYPES.flatMap((t) => KINDS[t].aliases.map((a) => [a, t])))),
);
