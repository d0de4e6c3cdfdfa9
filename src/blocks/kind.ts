import type { Range } from '../diagnostics/diagnostic.js';
import type { Activation, SkipMode } from '../ir/ir.js';
import type { AttributeKey } from './attributes.js';

// What one block kind is: the attributes it takes, how its stage line is
// checked, the layers one block of it holds, and the names timm gives them.
// One file per kind (mbconv.ts, …), collected in registry.ts: a kind built
// from existing layers lives in its file alone.

/** The part a convolution plays in its block (and in the network: stem, head). */
export type ConvRole = 'stem' | 'expand' | 'depthwise' | 'fused' | 'project' | 'conv' | 'head';

/** A stage after width and depth scaling: what a block kind builds its layers from. */
export interface BlockConfig {
  /** One kernel size, or one per channel split (a mixed convolution). */
  kernels: number[];
  stride: number;
  dilation: number;
  /** Expansion ratio; 1 when the block has none. */
  expand: number;
  channels: number;
  se: number | null;
  act: Activation;
  mid: number | null;
  expandFrom: number | null;
  /** Group count, or channels per group, of the spatial convolution; null: the kind's default. */
  groups: number | null;
  groupSize: number | null;
  /** Channel splits of the 1×1 expand and project convolutions (1: none). */
  expandSplit: number;
  projectSplit: number;
  /** Keep the expand conv at mid = in (timm). */
  keepExpand: boolean;
}

/** One block to build: its configuration, input channels, expanded channels and its own stride. */
export interface BlockInput {
  config: BlockConfig;
  in: number;
  mid: number;
  /** The stage's stride for its first block, 1 for the others. */
  stride: number;
}

export interface ConvRequest {
  /** One kernel, or one per channel split (a mixed convolution). */
  kernels: number[];
  stride?: number;
  act: Activation;
  /** Depthwise (groups = channels) unless the stage sets `groups` or `group_size`. */
  depthwise?: boolean;
  /** The block's spatial convolution: the stage's dilation, `groups` and `group_size` apply to it. */
  spatial?: boolean;
  /** Channel splits of a 1×1 convolution (timm's MixedConv2d with `a1.1`); 1: none. */
  split?: number;
}

/** What a block kind calls to lay out its block, in order. graph/build.ts computes shapes and figures. */
export interface LayerMaker {
  conv(role: ConvRole, out: number, r: ConvRequest): void;
  /** Squeeze-excitation on the current tensor (when the stage has `se`). */
  se(): void;
}

export interface AttributeCheck {
  /** Where each written attribute stands (valid or not). */
  at(key: AttributeKey): Range | undefined;
  /** Whether the line is free of unknown attributes (so "missing …" is not a follow-on). */
  complete: boolean;
  error(code: string, at: Range, message: string, hint: string): void;
  /** The statement's keyword, where a missing attribute is reported. */
  keywordRange: Range;
}

export interface BlockKind {
  name: string;
  /** timm's letters for it, accepted as other spellings. */
  aliases: readonly string[];
  /** For the language reference: its layers, and the torchvision/timm module it reproduces. */
  doc: string;
  /** Attributes it takes beyond the ones every kind takes (attributes.ts COMMON_ATTRIBUTES). */
  takes: readonly AttributeKey[];
  /** Why the others do not apply, for E015's hint. */
  notTaken: string;
  defaultSkip: SkipMode;
  /** Whether the block has expanded (mid) channels of its own; false: mid = in. */
  expands: boolean;
  /** Kind-specific rules on a stage line (beyond which attributes apply); false: an error was reported. */
  check?(c: AttributeCheck): boolean;
  /** Lays out one block's layers. */
  layers(b: BlockInput, make: LayerMaker): void;
  /** timm's [conv, norm] names of a layer of this kind, given the roles its block holds. */
  timm(role: ConvRole, roles: ReadonlySet<ConvRole>): [conv: string, norm: string];
}

/** An expanding kind needs `e` or `mid`, and `expand_from` needs `e`. */
export function checkExpansion(kind: string, c: AttributeCheck): boolean {
  let ok = true;
  if (c.complete && c.at('e') === undefined && c.at('mid') === undefined) {
    c.error('E014', c.keywordRange, `\`${kind}\` needs an expand ratio or explicit mid channels`, 'for example `e6`, or `mid 96`');
    ok = false;
  }
  if (c.at('expand_from') !== undefined && c.at('e') === undefined) {
    c.error('E014', c.at('expand_from')!, '`expand_from` needs an expand ratio `e`', 'expanded channels are make_divisible(expand_from · e)');
    ok = false;
  }
  return ok;
}
