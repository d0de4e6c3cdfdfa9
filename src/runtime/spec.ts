// The architecture of one variant as generated model code states it: plain
// data a runtime (tfjs, WGSL) interprets. Layer names are torchvision's
// state_dict prefixes; `timm` holds the matching timm names where they exist.
// This module imports nothing, so generated code can depend on it alone.

export type Activation = 'relu' | 'relu6' | 'silu' | 'hardswish' | 'hardsigmoid' | 'sigmoid' | 'gelu' | 'identity';

export interface NormSpec {
  eps: number;
  /** PyTorch's momentum: the weight of the new batch statistic. */
  momentum: number;
}

/** A convolution with optional BatchNorm and activation (torchvision's Conv2dNormActivation). */
export interface ConvSpec {
  name: string;
  in: number;
  out: number;
  kernel: number;
  stride: number;
  /** 1, `in` (= `out`) for a depthwise convolution, or a group count dividing both. */
  groups: number;
  /** Dilation (absent: 1). */
  dilation?: number;
  /**
   * A mixed convolution (timm MixedConv2d): channel splits, each with its own kernel and its own
   * checkpoint tensor `<conv>.<i>.weight`; `kernel` is the largest, the one runtimes execute.
   */
  splits?: ConvSplitSpec[];
  /** [top, bottom, left, right] at the variant's resolution. */
  padding: [number, number, number, number];
  /** TensorFlow SAME padding (timm's Conv2dSame): it follows the input size, so `padding` holds only at the variant's resolution (`paddingAt`). */
  same?: boolean;
  /** The convolution's own bias (absent: none). */
  bias?: boolean;
  norm: NormSpec | null;
  act: Activation;
  /** timm's [conv, norm] names. */
  timm?: [string, string];
  /** torchvision's [conv, norm] names when they are not `<name>.0` and `<name>.1`. */
  torchvision?: [string, string];
}

/** One channel split of a mixed convolution. */
export interface ConvSplitSpec {
  in: number;
  out: number;
  kernel: number;
}

/** Squeeze-excitation: global pool → 1×1 conv (+bias) → act → 1×1 conv (+bias) → gate → scale. */
export interface SeSpec {
  name: string;
  channels: number;
  squeeze: number;
  act: Activation;
  gate: Activation;
  /** timm's [reduce, expand] names. */
  timm?: [string, string];
}

/** A block: its body, then, when `residual`, stochastic depth (training only) and the skip add. */
export interface BlockSpec {
  name: string;
  residual: boolean;
  /** Stochastic-depth drop probability. */
  dropPath: number;
}

export interface LinearSpec {
  name: string;
  in: number;
  out: number;
  act: Activation;
  timm?: string;
  /** timm holds the layer as a 1×1 convolution on the pooled map (its `conv_head`): weight `[out, in, 1, 1]`, the same values. */
  timmConv?: boolean;
}

/** Global average pool, an optional hidden layer, dropout, the final linear layer (none for `classes 0`: pooled features out, as timm's `num_classes=0`). */
export interface ClassifierSpec {
  hidden: LinearSpec | null;
  dropout: number;
  linear: LinearSpec | null;
}

/** A feature map the network hands out (timm's `features_only`): the output of a stage. */
export interface FeatureSpec {
  /** The stage whose output it is (torchvision's module name, `features.3`). */
  name: string;
  channels: number;
  /** Input pixels per output pixel along each axis (timm's `reduction`). */
  stride: number;
}

/**
 * What generated code calls, once per layer, in execution order. Each runtime
 * implements it for its own value type: symbolic tf.layers tensors, eager
 * tensors, or nothing at all when only the layer list is wanted.
 */
export interface Builder<T> {
  conv(x: T, spec: ConvSpec): T;
  se(x: T, spec: SeSpec): T;
  block(x: T, spec: BlockSpec, body: (x: T) => T): T;
  classifier(x: T, spec: ClassifierSpec): T;
  /** Hands `x` out as a feature map and returns it unchanged. A feature network ends at its last feature, without head or classifier. */
  feature(x: T, spec: FeatureSpec): T;
}

/** A generated network: the whole forward pass against any builder. */
export type Network = <T>(x: T, b: Builder<T>) => T;

/**
 * How an image becomes the network's input, as torchvision's `ImageClassification` transform
 * (antialiased): the shorter side resized to `resize` (the longer to int(resize · long / short)),
 * the centre `crop`×`crop` square cut out, values scaled to [0, 1], then (x − mean) / std per channel.
 */
export interface ImageTransform {
  resize: number;
  crop: number;
  interpolation: 'bilinear' | 'bicubic';
  /** Red, green, blue. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** What every generated model module exports as `metadata`: the report's figures. */
export interface ModelMetadata {
  family: string;
  variant: string;
  /** Input height and width the variant is trained at (tfjs models take other sizes too). */
  resolution: number;
  /** Channels of the input image. */
  inputChannels: number;
  /** Logits per image; 0 for a feature network, or for one that hands out its pooled features (timm's `num_classes=0`). */
  classes: number;
  /** The feature maps a feature network hands out, in order; empty for a classifier. */
  features: readonly FeatureSpec[];
  /** Trainable parameters (PyTorch's count). */
  params: number;
  /** BatchNorm running statistics; tf.layers counts them as non-trainable parameters. */
  bnBuffers: number;
  /** Multiply-accumulates per image. */
  macs: number;
  /** The eval transform an RGB image goes through (the spec's `preprocess`); absent when the input is not 3-channel. */
  preprocess?: ImageTransform;
}

export type LayerSpec = { kind: 'conv'; spec: ConvSpec } | { kind: 'se'; spec: SeSpec } | { kind: 'linear'; spec: LinearSpec };

/** Every parameterised layer of a network, in execution order, by running it against a recording builder. */
export function layerSpecs(network: Network): LayerSpec[] {
  const layers: LayerSpec[] = [];
  network<null>(null, {
    conv: (x, spec) => (layers.push({ kind: 'conv', spec }), x),
    se: (x, spec) => (layers.push({ kind: 'se', spec }), x),
    block: (x, _spec, body) => body(x),
    classifier: (x, spec) => {
      if (spec.hidden) layers.push({ kind: 'linear', spec: spec.hidden });
      if (spec.linear) layers.push({ kind: 'linear', spec: spec.linear });
      return x;
    },
    feature: (x) => x,
  });
  return layers;
}

/** Channels of the input image: the first convolution's (the stem's) input channels. */
export function inputChannels(network: Network): number {
  let channels: number | undefined;
  network<null>(null, {
    conv: (x, spec) => ((channels ??= spec.in), x),
    se: (x) => x,
    block: (x, _spec, body) => body(x),
    classifier: (x) => x,
    feature: (x) => x,
  });
  if (channels === undefined) throw new Error('the network has no convolution to take its input channels from');
  return channels;
}

export const isDepthwise = (s: ConvSpec): boolean => s.groups > 1 && s.groups === s.in && s.groups === s.out;

/**
 * Floats of the kernel runtimes execute: depthwise `[K, K, C]`, or dense `[K, K, in, out]`. A grouped
 * or mixed convolution runs dense (or depthwise) with zeros outside its groups and splits: the same
 * values, computed with the kernels every backend has.
 */
export const executedKernelFloats = (s: ConvSpec): number => s.kernel * s.kernel * (isDepthwise(s) ? s.out : s.in * s.out);

/** The extent a kernel covers on one axis: dilation · (kernel − 1) + 1. */
export const kernelReach = (s: ConvSpec): number => (s.dilation ?? 1) * (s.kernel - 1) + 1;

/** TensorFlow's SAME padding of one axis: [before, after]. */
function sameAxis(size: number, kernel: number, stride: number): [number, number] {
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** [top, bottom, left, right] padding on an input of this size: SAME padding follows the size, any other is fixed. */
export function paddingAt(s: ConvSpec, height: number, width: number): [number, number, number, number] {
  return s.same ? [...sameAxis(height, kernelReach(s), s.stride), ...sameAxis(width, kernelReach(s), s.stride)] : s.padding;
}

/**
 * 'valid' (no padding), 'same' (TensorFlow SAME on this input size reproduces it) or 'explicit'.
 * Without a size (a model taking any size), 'same' only where it holds for every size.
 */
export function paddingMode(s: ConvSpec, height?: number, width?: number): 'valid' | 'same' | 'explicit' {
  if (s.same) return 'same';
  const p = s.padding;
  if (p.every((v) => v === 0)) return 'valid';
  if (height === undefined || width === undefined) {
    // Stride 1 SAME pads (reach − 1) / 2 on each side whatever the size.
    const half = (kernelReach(s) - 1) / 2;
    return s.stride === 1 && p.every((v) => v === half) ? 'same' : 'explicit';
  }
  const same = [...sameAxis(height, kernelReach(s), s.stride), ...sameAxis(width, kernelReach(s), s.stride)];
  return same.every((v, i) => v === p[i]) ? 'same' : 'explicit';
}

/** An input the network cannot take: a convolution would have no output pixels. */
export class InputSizeError extends Error {}

/** A convolution's padding ([top, bottom, left, right]) and output size on an h×w input; an InputSizeError when it leaves no output pixel. */
export function convGeometry(s: ConvSpec, h: number, w: number): { pad: [number, number, number, number]; height: number; width: number } {
  const pad = paddingAt(s, h, w);
  const reach = kernelReach(s);
  const height = Math.floor((h + pad[0] + pad[1] - reach) / s.stride) + 1;
  const width = Math.floor((w + pad[2] + pad[3] - reach) / s.stride) + 1;
  if (height < 1 || width < 1) throw new InputSizeError(`layer \`${s.name}\` gets ${h}×${w} pixels, too few for its ${s.kernel}×${s.kernel} kernel`);
  return { pad, height, width };
}

/** [height, width, channels] of each feature map (or of the last convolution's output for a classifier) for an input of this size. */
export function shapesAt(network: Network, height: number, width: number): { output: [number, number, number]; features: [number, number, number][] } {
  const features: [number, number, number][] = [];
  type S = [number, number, number];
  const out = network<S>([height, width, inputChannels(network)], {
    conv([h, w], s) {
      const { height, width } = convGeometry(s, h, w);
      return [height, width, s.out];
    },
    se: (x) => x,
    block: (x, _s, body) => body(x),
    classifier: ([, , c], s) => [1, 1, s.linear?.out ?? s.hidden?.out ?? c],
    feature: (x) => (features.push(x), x),
  });
  return { output: out, features };
}
