import type { BlockConfig, ConvRole } from '../blocks/kind.js';
import type { Activation, BlockType, Naming, NormIR, Padding, SkipMode } from '../ir/ir.js';
import type { ImageTransform } from '../runtime/spec.js';

export type { ConvRole } from '../blocks/kind.js';

// The concrete layer graph of one variant: every channel count, repeat and
// shape resolved. Each layer carries its own intrinsic figures (parameters,
// BatchNorm buffers, multiply-accumulates), so consumers only aggregate.

/** [channels, height, width] for one image. */
export type Shape = [number, number, number];

export interface LayerFigures {
  /** Trainable parameters, BatchNorm γ and β included. */
  params: number;
  /** BatchNorm running mean and variance (buffers, not parameters). */
  bnBuffers: number;
  /** Multiply-accumulates for one image: conv out·(in/groups)·k², linear in·out. */
  macs: number;
}

/** One channel split of a mixed convolution: its input and output channels and its own kernel. */
export interface ConvSplit {
  in: number;
  out: number;
  kernel: number;
}

export interface ConvLayer extends LayerFigures {
  op: 'conv';
  role: ConvRole;
  /** torchvision state_dict prefix, e.g. `features.2.0.block.1`. */
  name: string;
  inShape: Shape;
  outShape: Shape;
  /** The kernel size (the largest, for a mixed convolution). */
  kernel: number;
  stride: number;
  dilation: number;
  groups: number;
  /** A mixed convolution's channel splits (timm MixedConv2d); null for a plain one. */
  splits: ConvSplit[] | null;
  /** [top, bottom, left, right]. */
  padding: [number, number, number, number];
  /** TensorFlow SAME padding: it follows the input size (`padding` is its value at this one). */
  same: boolean;
  bias: boolean;
  norm: NormIR | null;
  act: Activation;
  /** torchvision's [conv, norm] prefixes when they are not `<name>.0` and `<name>.1`. */
  checkpoint?: [string, string];
}

/** Squeeze-excitation: global pool → 1×1 conv (+bias) → act → 1×1 conv (+bias) → gate → multiply. */
export interface SeLayer extends LayerFigures {
  op: 'se';
  role: 'se';
  name: string;
  inShape: Shape;
  outShape: Shape;
  squeeze: number;
  act: Activation;
  gate: Activation;
}

export type BlockLayer = ConvLayer | SeLayer;

export interface Block {
  name: string;
  type: BlockType;
  /** Index inside its stage. */
  index: number;
  /** Index over all blocks of the network, for the stochastic-depth schedule. */
  globalIndex: number;
  inShape: Shape;
  outShape: Shape;
  /** Expanded (mid) channels. */
  mid: number;
  layers: BlockLayer[];
  residual: boolean;
  /** Stochastic-depth drop probability (training only). */
  dropPath: number;
  /** The stage line (index into the network's stages) that made it: `then` lines share a stage. */
  line?: number;
}

/** A stage's configuration after width and depth scaling. */
export interface ScaledStage extends BlockConfig {
  block: BlockType;
  repeats: number;
  skip: SkipMode;
  baseChannels: number;
  baseRepeats: number;
}

export interface Stage {
  /** torchvision `features` index: the stem is 0, stages 1…N, the head N+1. */
  index: number;
  /** The first line's configuration. */
  config: ScaledStage;
  /** Every line of the stage: its `stage` line and the `then` lines after it. */
  segments: ScaledStage[];
  inShape: Shape;
  outShape: Shape;
  blocks: Block[];
}

export interface LinearLayer extends LayerFigures {
  op: 'linear';
  name: string;
  inFeatures: number;
  outFeatures: number;
  act: Activation;
}

export interface Classifier {
  /** Global average pool of the last feature map. */
  poolShape: Shape;
  hidden: LinearLayer | null;
  /** Dropout probability before the final linear layer. */
  dropout: number;
  /** Null for `classes 0`: the pooled (hidden) features are the output. */
  linear: LinearLayer | null;
}

/** A stage output a feature network hands out (timm's `features_only`). */
export interface FeatureMap {
  /** Stage number (its `features` index). */
  stage: number;
  /** The stage's module name, `features.3`. */
  name: string;
  shape: Shape;
  /** Input pixels per feature pixel (timm's `reduction`). */
  stride: number;
}

export interface VariantGraph {
  family: string;
  variant: string;
  phi: number | null;
  width: number;
  depth: number;
  resolution: number;
  input: Shape;
  classes: number;
  padding: Padding;
  /** How torchvision names the layers (see `buildBlock`). */
  naming: Naming;
  norm: NormIR;
  dropPath: number;
  stem: ConvLayer;
  stages: Stage[];
  head: ConvLayer | null;
  /** Null for a feature network. */
  classifier: Classifier | null;
  /** A feature network's outputs, in order; empty for a classifier. */
  features: FeatureMap[];
  /** The `output_stride` that turned later strides into dilation; null when none was set. */
  outputStride: number | null;
  /** The eval transform of an input image (`preprocess`); null when the input is not RGB. */
  preprocess: ImageTransform | null;
}
