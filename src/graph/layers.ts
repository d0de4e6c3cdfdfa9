import type { Activation, NormIR, Padding } from '../ir/ir.js';
import type { ConvLayer, ConvRole, LinearLayer, SeLayer, Shape } from './graph.js';

/** Output size and [before, after] padding of one spatial axis. */
export function convAxis(size: number, kernel: number, stride: number, padding: Padding): { out: number; pad: [number, number] } {
  if (padding === 'symmetric') {
    const p = (kernel - 1) / 2;
    return { out: Math.floor((size + 2 * p - kernel) / stride) + 1, pad: [p, p] };
  }
  // TensorFlow SAME: output ceil(in / stride); the odd pixel of padding goes after.
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return { out, pad: [Math.floor(total / 2), total - Math.floor(total / 2)] };
}

export interface ConvArgs {
  name: string;
  role: ConvRole;
  inShape: Shape;
  outChannels: number;
  kernel: number;
  stride: number;
  depthwise?: boolean;
  padding: Padding;
  norm: NormIR;
  act: Activation;
}

/** A bias-free conv followed by BatchNorm and an activation (Conv2dNormActivation). */
export function convLayer(a: ConvArgs): ConvLayer {
  const [c, h, w] = a.inShape;
  const groups = a.depthwise ? c : 1;
  const rows = convAxis(h, a.kernel, a.stride, a.padding);
  const cols = convAxis(w, a.kernel, a.stride, a.padding);
  const outShape: Shape = [a.outChannels, rows.out, cols.out];
  const weights = a.outChannels * (c / groups) * a.kernel * a.kernel;
  return {
    op: 'conv',
    role: a.role,
    name: a.name,
    inShape: a.inShape,
    outShape,
    kernel: a.kernel,
    stride: a.stride,
    groups,
    padding: [rows.pad[0], rows.pad[1], cols.pad[0], cols.pad[1]],
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
