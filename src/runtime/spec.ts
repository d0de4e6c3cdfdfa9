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
  /** [top, bottom, left, right]. */
  padding: [number, number, number, number];
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
}

/** Global average pool, an optional hidden layer, dropout, the final linear layer. */
export interface ClassifierSpec {
  hidden: LinearSpec | null;
  dropout: number;
  linear: LinearSpec;
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
}

/** A generated network: the whole forward pass against any builder. */
export type Network = <T>(x: T, b: Builder<T>) => T;

/** What every generated model module exports as `metadata`: the report's figures. */
export interface ModelMetadata {
  family: string;
  variant: string;
  /** Input height and width. */
  resolution: number;
  classes: number;
  /** Trainable parameters (PyTorch's count). */
  params: number;
  /** BatchNorm running statistics; tf.layers counts them as non-trainable parameters. */
  bnBuffers: number;
  /** Multiply-accumulates per image. */
  macs: number;
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
      layers.push({ kind: 'linear', spec: spec.linear });
      return x;
    },
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

/** 'valid' (no padding), 'same' (TensorFlow SAME on this input size reproduces it) or 'explicit'. */
export function paddingMode(s: ConvSpec, height: number, width: number): 'valid' | 'same' | 'explicit' {
  const p = s.padding;
  if (p.every((v) => v === 0)) return 'valid';
  const same = [...sameAxis(height, kernelReach(s), s.stride), ...sameAxis(width, kernelReach(s), s.stride)];
  return same.every((v, i) => v === p[i]) ? 'same' : 'explicit';
}
