import type * as tfjs from '@tensorflow/tfjs';
import type { Weights } from './checkpoint.js';
import { oihwToHwio, slot } from './fold.js';
import { isDepthwise, type ConvSpec } from './spec.js';
import type { LayerClass, Tf } from './tfjs-activations.js';

// Mixed and grouped convolutions as tf.layers runs them for training: the input
// split along its channels, one convolution per split or group with its own
// kernel (and, for a mixed one, its own padding), the outputs concatenated. Only
// the checkpoint's weights become parameters: no zeros to count or train.

/** One convolution of a split: a ConvSpec of its own, where its kernel comes from, and its output channels' offset. */
export interface ConvPart {
  /** Its channels, kernel, padding and groups (1, or `in` for a depthwise one: `out / in` outputs per input channel). */
  spec: ConvSpec;
  /** Its first output channel in the whole convolution's output. */
  outOffset: number;
  /** Its kernel in the tf.layers layout: HWIO `[k, k, in, out]`, depthwise `[k, k, in, out / in]`. */
  kernel(weights: Weights): Float32Array;
}

/** A depthwise layer: groups = in (out a multiple of in, tfjs's depth multiplier). */
export const isDepthwiseLayer = (s: ConvSpec): boolean => s.groups > 1 && s.groups === s.in;

/**
 * The convolutions a ConvSpec runs as: one for a plain, depthwise or `groups = in` convolution;
 * one per split for a mixed one (timm MixedConv2d: each split's kernel and its own symmetric or
 * SAME padding); one per group for a grouped one (tf.layers.conv2d has no groups).
 */
export function convParts(s: ConvSpec): ConvPart[] {
  const d = s.dilation ?? 1;
  if (s.splits) {
    const depthwise = isDepthwise(s);
    let co = 0;
    return s.splits.map((p, j) => {
      // The largest kernel's padding less the margin its centred split kernel leaves: timm's own symmetric padding
      // of the split. A SAME split pads for its own kernel at every size (timm's Conv2dSame per split), so its
      // `padding` is informative only: a 1×1 split at stride 2 pads nothing where the largest kernel pads 0 and 1.
      const margin = (d * (s.kernel - p.kernel)) / 2;
      const padding = s.padding.map((v) => Math.max(v - margin, 0)) as ConvSpec['padding'];
      if (!s.same && s.padding.some((v) => v < margin)) throw new Error(`split ${j} of layer \`${s.name}\` would need negative padding`);
      const spec: ConvSpec = { ...s, splits: undefined, in: p.in, out: p.out, kernel: p.kernel, groups: depthwise ? p.in : 1, padding };
      const ins = depthwise ? 1 : p.in;
      const part: ConvPart = { spec, outOffset: co, kernel: (w) => oihwToHwio(slot(w, s.name, `conv.split.${j}`, p.out * ins * p.kernel * p.kernel), p.out, ins, p.kernel) };
      co += p.out;
      return part;
    });
  }
  const k = s.kernel;
  const ig = s.in / s.groups;
  const full = (w: Weights) => slot(w, s.name, 'conv.weight', s.out * ig * k * k);
  // A depthwise [out, 1, k, k] lands as [k, k, 1, out], the bytes of [k, k, in, out / in].
  if (s.groups === 1 || isDepthwiseLayer(s)) return [{ spec: s, outOffset: 0, kernel: (w) => oihwToHwio(full(w), s.out, ig, k) }];
  const og = s.out / s.groups;
  return Array.from({ length: s.groups }, (_, g) => ({
    spec: { ...s, in: ig, out: og, groups: 1 },
    outOffset: g * og,
    // Group g's output channels are rows g·og… of the OIHW kernel [out, in/groups, k, k].
    kernel: (w: Weights) => oihwToHwio(full(w).subarray(g * og * ig * k * k, (g + 1) * og * ig * k * k), og, ig, k),
  }));
}

/** `EffnetSplit`: NHWC `[N, H, W, C]` into `[N, H, W, c_i]` along the channels, `sizes` summing to C. */
export function splitLayerClass(tf: Tf): LayerClass<{ sizes: number[]; name?: string }> {
  return class Split extends tf.layers.Layer {
    static className = 'EffnetSplit';
    readonly sizes: number[];
    constructor(config: { sizes: number[]; name?: string }) {
      super(config);
      this.sizes = [...config.sizes];
    }
    override computeOutputShape(shape: tfjs.Shape | tfjs.Shape[]): tfjs.Shape[] {
      const s = (Array.isArray(shape[0]) ? shape[0] : shape) as tfjs.Shape;
      return this.sizes.map((c) => [...s.slice(0, -1), c]);
    }
    override call(inputs: tfjs.Tensor | tfjs.Tensor[]): tfjs.Tensor[] {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.split(x, this.sizes, -1);
    }
    override getConfig(): tfjs.serialization.ConfigDict {
      return { ...super.getConfig(), sizes: this.sizes };
    }
  };
}
