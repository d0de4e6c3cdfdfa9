import type { LayerWeights, Slot, Weights } from './checkpoint.js';
import { WeightsError } from './safetensors.js';
import { isDepthwise, type ConvSpec } from './spec.js';

// Checkpoint tensors (PyTorch layouts) rearranged for NHWC runtimes, with
// BatchNorm folded into the convolution: shared by the tfjs and WGSL runtimes.

/** PyTorch OIHW `[o, i, k, k]` to tfjs HWIO `[k, k, i, o]`; a depthwise `[c, 1, k, k]` lands as `[k, k, 1, c]`, the bytes of `[k, k, c, 1]`. */
export function oihwToHwio(w: Float32Array, o: number, i: number, k: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let co = 0; co < o; co++)
    for (let ci = 0; ci < i; ci++)
      for (let kh = 0; kh < k; kh++) for (let kw = 0; kw < k; kw++) out[((kh * k + kw) * i + ci) * o + co] = w[((co * i + ci) * k + kh) * k + kw]!;
  return out;
}

/** `[rows, cols]` to `[cols, rows]`: PyTorch linear `[out, in]` to a tfjs dense kernel `[in, out]`. */
export function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}

export function slot(weights: Weights, layer: string, name: Slot, length: number): Float32Array {
  const w: LayerWeights | undefined = weights.layers.get(layer);
  const data = w?.[name];
  if (data === undefined) throw new WeightsError(`the weights have no ${name} for layer \`${layer}\` (loaded for another model?)`);
  if (data.length !== length) throw new WeightsError(`the ${name} of layer \`${layer}\` holds ${data.length} values, not ${length} (loaded for another model?)`);
  return data;
}

export const kernelShape = (s: ConvSpec): [number, number, number, number] => (isDepthwise(s) ? [s.kernel, s.kernel, s.out, 1] : [s.kernel, s.kernel, s.in, s.out]);

export function convKernel(weights: Weights, s: ConvSpec): Float32Array {
  const i = s.in / s.groups;
  return oihwToHwio(slot(weights, s.name, 'conv.weight', s.out * i * s.kernel * s.kernel), s.out, i, s.kernel);
}

/** BatchNorm folded into the conv: kernel·γ/√(var+ε) per output channel, bias β − mean·γ/√(var+ε) (+ the conv's own bias). */
export function foldedConv(weights: Weights, s: ConvSpec): { kernel: Float32Array; bias: Float32Array } {
  const kernel = convKernel(weights, s);
  const bias = s.bias ? Float32Array.from(slot(weights, s.name, 'conv.bias', s.out)) : new Float32Array(s.out);
  if (s.norm) {
    const [g, b, m, v] = (['bn.weight', 'bn.bias', 'bn.mean', 'bn.var'] as const).map((n) => slot(weights, s.name, n, s.out));
    const scale = new Float64Array(s.out);
    for (let c = 0; c < s.out; c++) {
      scale[c] = g![c]! / Math.sqrt(v![c]! + s.norm.eps);
      bias[c] = b![c]! + (bias[c]! - m![c]!) * scale[c]!;
    }
    // HWIO and the depthwise [k, k, c, 1] both put the output channel last.
    for (let j = 0; j < kernel.length; j++) kernel[j] = kernel[j]! * scale[j % s.out]!;
  }
  return { kernel, bias };
}

