import { BLOCK_TYPES } from '../../blocks/registry.js';

// One colour per block kind, the same in every family's pictures: the block
// kinds in the registry's order take Observable's categorical palette;
// `conv` (stem, head, conv stages) and the classifier's `linear` close it.

const PALETTE = ['#4269d0', '#efb118', '#ff725c', '#6cc5b0', '#3ca951', '#ff8ab7', '#a463f2', '#97bbf5', '#9c6b4e'];

export const KIND_ORDER: readonly string[] = [...BLOCK_TYPES.filter((k) => k !== 'conv'), 'conv', 'linear'];

export const KIND_COLORS: readonly string[] = KIND_ORDER.map((k, i) => (k === 'linear' ? '#9498a0' : PALETTE[i % PALETTE.length]!));
