import type * as tfjs from '@tensorflow/tfjs';
import type { Weights } from './checkpoint.js';
import { foldedConv, kernelShape, slot, transpose } from './fold.js';
import { isDepthwise, paddingAt, paddingMode, type Activation, type Builder, type ConvSpec, type LayerSpec } from './spec.js';
import { activate, FUSED, type Tf } from './tfjs-activations.js';

// The plain-ops forward pass behind `createInference`: BatchNorm folded into
// the convolutions, bias and (where tfjs fuses it) the activation inside the
// conv kernel, every weight uploaded once at createInference. Symmetric pads
// go into the conv kernel rather than a separate pad op, squeeze-excitation
// runs as 1×1 convs on the pooled map, and a tidy per layer and per block
// frees temporaries as soon as they are consumed, so a call holds one block's
// tensors at a time instead of the whole network's. bench/tfjs.ts measures it.

/** Weight tensors in the layouts the ops take, created once. */
export type Prepared =
  | { kind: 'conv'; filter: tfjs.Tensor4D; bias: tfjs.Tensor1D }
  | { kind: 'dense'; kernel: tfjs.Tensor2D; bias: tfjs.Tensor1D }
  /** Squeeze-excitation's two linear layers as 1×1 convolutions on the pooled `[N, 1, 1, C]` map: no reshapes per call. */
  | { kind: 'se'; fc1: tfjs.Tensor4D; b1: tfjs.Tensor1D; fc2: tfjs.Tensor4D; b2: tfjs.Tensor1D };

export function prepareWeights(tf: Tf, layers: LayerSpec[], weights: Weights): Map<string, Prepared> {
  // Every array first, so a bad checkpoint throws before any tensor exists.
  const makers = layers.map((l): (() => Prepared) => {
    if (l.kind === 'conv') {
      const { kernel, bias } = foldedConv(weights, l.spec);
      return () => ({ kind: 'conv', filter: tf.tensor4d(kernel, kernelShape(l.spec)), bias: tf.tensor1d(bias) });
    }
    if (l.kind === 'se') {
      const e = l.spec;
      // PyTorch's fc weights [out, in] as HWIO [1, 1, in, out].
      const fc1 = transpose(slot(weights, e.name, 'fc1.weight', e.squeeze * e.channels), e.squeeze, e.channels);
      const b1 = slot(weights, e.name, 'fc1.bias', e.squeeze);
      const fc2 = transpose(slot(weights, e.name, 'fc2.weight', e.squeeze * e.channels), e.channels, e.squeeze);
      const b2 = slot(weights, e.name, 'fc2.bias', e.channels);
      return () => ({
        kind: 'se',
        fc1: tf.tensor4d(fc1, [1, 1, e.channels, e.squeeze]),
        b1: tf.tensor1d(b1),
        fc2: tf.tensor4d(fc2, [1, 1, e.squeeze, e.channels]),
        b2: tf.tensor1d(b2),
      });
    }
    const s = l.spec;
    const kernel = transpose(slot(weights, s.name, 'linear.weight', s.in * s.out), s.out, s.in);
    const bias = slot(weights, s.name, 'linear.bias', s.out);
    return () => ({ kind: 'dense', kernel: tf.tensor2d(kernel, [s.in, s.out]), bias: tf.tensor1d(bias) });
  });
  return new Map(layers.map((l, i) => [l.spec.name, makers[i]!()]));
}

export function disposePrepared(prepared: Map<string, Prepared>): void {
  for (const p of prepared.values()) for (const t of Object.values(p)) if (typeof t !== 'string') t.dispose();
  prepared.clear();
}

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

/**
 * The padding a conv kernel takes: 'valid'/'same' when they reproduce the spec's,
 * a number when the pad is the same on all four sides (torchvision's k // 2: folded
 * into the kernel), else the explicit pads (TF SAME asymmetry at another size).
 */
export function kernelPadding(s: ConvSpec, height: number, width: number): 'valid' | 'same' | number | Pad4 {
  const mode = paddingMode(s, height, width);
  if (mode !== 'explicit') return mode;
  const [t, b, l, r] = paddingAt(s, height, width);
  if (t === b && b === l && l === r) return t;
  return [[0, 0], [t, b], [l, r], [0, 0]];
}

/** The SiLU and the other activations tfjs kernels do not fuse, applied after a linear conv. */
function finish(tf: Tf, y: tfjs.Tensor, act: Activation): tfjs.Tensor {
  // x · sigmoid(x) is the fastest exact SiLU on wasm: Sigmoid is a vectorised kernel,
  // Multiply a cheap pass (forms through exp or tanh run scalar, 6× and 18× slower per element).
  return FUSED[act] ? y : activate(tf, y, act);
}

export function opsBuilder(tf: Tf, prepared: Map<string, Prepared>, features: tfjs.Tensor[]): Builder<tfjs.Tensor> {
  const get = <K extends Prepared['kind']>(name: string, kind: K) => prepared.get(name) as Extract<Prepared, { kind: K }>;
  const fused = (act: Activation) => FUSED[act] ?? ('linear' as const);
  /** Global average pool kept as `[N, 1, 1, C]` (an average pool over the whole map: faster than mean on wasm). */
  const pool = (x: tfjs.Tensor4D) => tf.avgPool(x, [x.shape[1], x.shape[2]], 1, 'valid');
  const conv1x1 = (x: tfjs.Tensor4D, filter: tfjs.Tensor4D, bias: tfjs.Tensor1D, act: Activation) =>
    finish(tf, tf.fused.conv2d({ x, filter, bias, strides: 1, pad: 'valid', activation: fused(act) }), act) as tfjs.Tensor4D;
  return {
    conv: (x, s) =>
      tf.tidy(() => {
        const { filter, bias } = get(s.name, 'conv');
        const x4 = x as tfjs.Tensor4D;
        const pad = kernelPadding(s, x4.shape[1], x4.shape[2]);
        const common = { filter, strides: s.stride, dilations: s.dilation ?? 1, bias, activation: fused(s.act) };
        let y: tfjs.Tensor4D;
        if (!isDepthwise(s)) y = tf.fused.conv2d({ ...common, x: x4, pad });
        // tfjs types no per-side pads for depthwise convs: only an asymmetric pad is a pad op.
        else if (typeof pad === 'object') y = tf.fused.depthwiseConv2d({ ...common, x: tf.pad(x4, pad), pad: 'valid' });
        else y = tf.fused.depthwiseConv2d({ ...common, x: x4, pad });
        return finish(tf, y, s.act);
      }),
    se: (x, s) =>
      tf.tidy(() => {
        const { fc1, b1, fc2, b2 } = get(s.name, 'se');
        const gate = conv1x1(conv1x1(pool(x as tfjs.Tensor4D), fc1, b1, s.act), fc2, b2, s.gate);
        return tf.mul(x, gate);
      }),
    // Stochastic depth is the identity at inference.
    block: (x, s, body) => tf.tidy(() => (s.residual ? tf.add(x, body(x)) : body(x))),
    classifier: (x, s) =>
      tf.tidy(() => {
        const x4 = x as tfjs.Tensor4D;
        let y: tfjs.Tensor = tf.reshape(pool(x4), [x4.shape[0], x4.shape[3]]);
        for (const l of [s.hidden, s.linear]) {
          if (!l) continue;
          const { kernel, bias } = get(l.name, 'dense');
          y = finish(tf, tf.fused.matMul({ a: y as tfjs.Tensor2D, b: kernel, bias, activation: fused(l.act) }), l.act);
        }
        return y;
      }),
    // A feature map outlives the block tidy it may be made in; the caller's tidy returns it.
    feature: (x) => (features.push(tf.keep(x)), x),
  };
}
