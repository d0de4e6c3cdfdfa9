import type { BlockType } from '../blocks/registry.js';
import type { Range } from '../diagnostics/diagnostic.js';

export type { BlockType } from '../blocks/registry.js';

// The Family IR: a base network, its scaling rules and its variants, every
// default resolved and every value checked. Later stages trust it.

export const ACTIVATIONS = ['relu', 'relu6', 'silu', 'hardswish', 'hardsigmoid', 'sigmoid', 'gelu', 'identity'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * A word table looked up with user text: no prototype, so `constructor` or
 * `__proto__` is an unknown word, not Object's own property. Frozen.
 */
export function wordTable<T>(entries: Record<string, T>): Readonly<Record<string, T>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, entries));
}

/** Other spellings users bring from PyTorch, Keras and timm. */
export const ACTIVATION_ALIASES = wordTable<Activation>({
  swish: 'silu',
  hswish: 'hardswish',
  hard_swish: 'hardswish',
  hsigmoid: 'hardsigmoid',
  hard_sigmoid: 'hardsigmoid',
  none: 'identity',
  linear: 'identity',
});

export type Padding = 'symmetric' | 'same';
/** How torchvision's module tree names the layers (and so a checkpoint's tensors). */
export const NAMINGS = ['efficientnet', 'mobilenet_v2', 'mobilenet_v3', 'mnasnet'] as const;
export type Naming = (typeof NAMINGS)[number];
export type RepeatRounding = 'ceil' | 'floor' | 'round';
export type SkipMode = 'auto' | 'on' | 'off';

export interface NormIR {
  eps: number;
  momentum: number;
}

export interface RoundingIR {
  channels: { divisor: number; min: number; limit: number };
  repeats: RepeatRounding;
  resolution: { divisor: number };
}

export interface SeIR {
  squeezeFrom: 'input' | 'expanded';
  /** Round squeeze channels with make_divisible(·, divisor); null: max(1, ·). */
  divisor: number | null;
  /** Inner activation; null: the network's activation. */
  act: Activation | null;
  gate: Activation;
}

export interface ConvIR {
  kernel: number;
  stride: number;
  channels: number;
  act: Activation | null;
  fixedWidth: boolean;
  /** Width scaling may grow the channels but never shrink them (torchvision MobileNetV2's head). */
  growOnly: boolean;
  range: Range;
}

export interface StageIR {
  block: BlockType;
  /** One kernel size, or one per channel split (a mixed convolution). */
  kernels: number[];
  stride: number;
  /** Dilation of the spatial convolution. */
  dilation: number;
  /** Expansion ratio; 1 when the block has none. */
  expand: number;
  channels: number;
  repeats: number;
  /** Squeeze-excitation ratio, null for none. */
  se: number | null;
  act: Activation | null;
  skip: SkipMode;
  /** Explicit expanded channels (width-scaled), overriding `expand`. */
  mid: number | null;
  /** Expanded channels = make_divisible(round(expandFrom) · expand) instead of the block input. */
  expandFrom: number | null;
  /** Group count or channels per group of the spatial convolution; null: the kind's default. */
  groups: number | null;
  groupSize: number | null;
  /** Channel splits of the 1×1 expand and project convolutions (1: none). */
  expandSplit: number;
  projectSplit: number;
  keepExpand: boolean;
  fixedWidth: boolean;
  fixedDepth: boolean;
  /** Written with `then`: more blocks of the stage before (another configuration, one stage). */
  continues: boolean;
  range: Range;
}

export interface ClassifierIR {
  dropout: number;
  /** Hidden features, width-scaled unless `hiddenFixedWidth` (torchvision MobileNetV3). */
  hidden: number | null;
  hiddenFixedWidth: boolean;
  act: Activation | null;
}

/** Resampling of the eval transform's resize (torchvision's, antialiased). */
export const INTERPOLATIONS = ['bilinear', 'bicubic'] as const;
export type Interpolation = (typeof INTERPOLATIONS)[number];

/**
 * The `preprocess` settings of a scope, null where none was written: a variant's replace the
 * family's one by one (`resize` and `crop_pct` are one setting). Resolved against the variant's
 * resolution by `resolvePreprocess` (src/ir/preprocess.ts).
 */
export interface PreprocessIR {
  resize: number | null;
  cropPct: number | null;
  crop: number | null;
  interpolation: Interpolation | null;
  mean: [number, number, number] | null;
  std: [number, number, number] | null;
  /** The last `preprocess` statement that applies, for diagnostics about the whole transform; absent when none does. */
  range?: Range;
}

export interface NetworkIR {
  inputChannels: number;
  classes: number;
  /** Base resolution; null when each variant sets its own. */
  resolution: number | null;
  width: number;
  depth: number;
  activation: Activation;
  norm: NormIR;
  padding: Padding;
  naming: Naming;
  rounding: RoundingIR;
  se: SeIR;
  stem: ConvIR | null;
  head: ConvIR | null;
  classifier: ClassifierIR;
  dropPath: number;
  stages: StageIR[];
  /** Largest input-to-feature stride (timm's `output_stride`): later strides turn into dilation. Null: no limit. */
  outputStride: number | null;
  /** A feature network's tapped stages (1-based, increasing) and where they were written; null for a classifier. */
  features: { stages: number[]; ranges: Range[] } | null;
  /** How an input image is resized, cropped and normalised (`preprocess`). */
  preprocess: PreprocessIR;
}

export interface CompoundIR {
  alpha: number;
  beta: number;
  gamma: number;
  range: Range;
}

export interface VariantIR {
  name: string;
  range: Range;
  phi: number | null;
  width: number;
  depth: number;
  resolution: number;
  /** The base network with this variant's overrides applied. */
  network: NetworkIR;
}

export interface FamilyIR {
  name: string;
  file: string;
  range: Range;
  compound: CompoundIR | null;
  base: NetworkIR;
  variants: VariantIR[];
}

export function defaultNetwork(): NetworkIR {
  return {
    inputChannels: 3,
    classes: 1000,
    resolution: null,
    width: 1,
    depth: 1,
    activation: 'silu',
    norm: { eps: 1e-5, momentum: 0.1 },
    padding: 'symmetric',
    naming: 'efficientnet',
    rounding: { channels: { divisor: 8, min: 8, limit: 0.9 }, repeats: 'ceil', resolution: { divisor: 1 } },
    se: { squeezeFrom: 'input', divisor: null, act: null, gate: 'sigmoid' },
    stem: null,
    head: null,
    classifier: { dropout: 0, hidden: null, hiddenFixedWidth: false, act: null },
    dropPath: 0,
    stages: [],
    outputStride: null,
    features: null,
    preprocess: { resize: null, cropPct: null, crop: null, interpolation: null, mean: null, std: null },
  };
}
