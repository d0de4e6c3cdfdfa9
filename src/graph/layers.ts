import type { Activation, NormIR, Padding } from '../ir/ir.js';
import type { ConvLayer, ConvRole, ConvSplit, LinearLayer, SeLayer, Shape } from './graph.js';

/** Output size and [before, after] padding of one spatial axis. */
export function convAxis(size: number, kernel: number, stride: number, padding: Padding, dilation = 1): { out: number; pad: [number, number] } {
  const reach = dilation * (kernel - 1) + 1;
  if (padding === 'symmetric') {
    const p = (reach - 1) / 2;
    return { out: Math.floor((size + 2 * p - reach) / stride) + 1, pad: [p, p] };
  }
  // TensorFlow SAME: output ceil(in / stride); the odd pixel of padding goes after.
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + reach - size, 0);
  return { out, pad: [Math.floor(total / 2), total - Math.floor(total / 2)] };
}

/** timm's `_split_channels`: equal parts, the first taking the remainder. */
export function splitChannels(channels: number, parts: number): number[] {
  const split = Array.from({ length: parts }, () => Math.floor(channels / parts));
  split[0]! += channels - split.reduce((a, b) => a + b, 0);
  return split;
}

export interface ConvArgs {
  name: string;
  role: ConvRole;
  inShape: Shape;
  outChannels: number;
  /** One kernel, or one per channel split. */
  kernel: number | number[];
  stride: number;
  dilation?: number;
  /** Depthwise (groups = channels), or a group count; default 1. */
  depthwise?: boolean;
  groups?: number;
  /** Channel splits of a convolution with one kernel (timm's MixedConv2d of 1×1 kernels). */
  split?: number;
  padding: Padding;
  norm: NormIR;
  act: Activation;
}

/**
 * A bias-free conv followed by BatchNorm and an activation (Conv2dNormActivation). A kernel
 * list or a split makes a mixed convolution (timm MixedConv2d): channel splits, each with its
 * own kernel, concatenated; it runs as one convolution with the largest kernel, each split's
 * kernel centred in it and zeros elsewhere, which computes the same values.
 */
export function convLayer(a: ConvArgs): ConvLayer {
  const [c, h, w] = a.inShape;
  const kernels = typeof a.kernel === 'number' ? [a.kernel] : a.kernel;
  const parts = kernels.length > 1 ? kernels.length : (a.split ?? 1);
  const dilation = a.dilation ?? 1;
  const kernel = Math.max(...kernels);
  const groups = a.depthwise ? c : (a.groups ?? 1);
  const rows = convAxis(h, kernel, a.stride, a.padding, dilation);
  const cols = convAxis(w, kernel, a.stride, a.padding, dilation);
  const outShape: Shape = [a.outChannels, rows.out, cols.out];
  let splits: ConvSplit[] | null = null;
  let weights: number;
  if (parts > 1) {
    const ins = splitChannels(c, parts);
    const outs = splitChannels(a.outChannels, parts);
    splits = ins.map((i, j) => ({ in: i, out: outs[j]!, kernel: kernels[j] ?? kernels[0]! }));
    weights = splits.reduce((sum, p) => sum + p.out * (a.depthwise ? 1 : p.in) * p.kernel * p.kernel, 0);
  } else weights = a.outChannels * (c / groups) * kernel * kernel;
  return {
    op: 'conv',
    role: a.role,
    name: a.name,
    inShape: a.inShape,
    outShape,
    kernel,
    stride: a.stride,
    dilation,
    groups,
    splits,
    padding: [rows.pad[0], rows.pad[1], cols.pad[0], cols.pad[1]],
    same: a.padding === 'same',
    bias: false,
    norm: a.norm,
    act: a.act,
    params: weights + 2 * a.outChannels,
    bnBuffers: 2 * a.outChannels,
    macs: rows.out * cols.out * weights,
  };
}

export function seLayer(name: string, shape: Shape, squeeze: number, act: Activation, gate: Activation): SeLayer {
  const c = shape[0];
  return {
    op: 'se',
    role: 'se',
    name,
    inShape: shape,
    outShape: shape,
    squeeze,
    act,
    gate,
    params: c * squeeze + squeeze + squeeze * c + c,
    bnBuffers: 0,
    macs: 2 * c * squeeze,
  };
}

export function linearLayer(name: string, inFeatures: number, outFeatures: number, act: Activation): LinearLayer {
  return {
    op: 'linear',
    name,
    inFeatures,
    outFeatures,
    act,
    params: inFeatures * outFeatures + outFeatures,
    bnBuffers: 0,
    macs: inFeatures * outFeatures,
  };
}
