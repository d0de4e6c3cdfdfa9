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

/** A mixed convolution's split kernels, each centred in the largest: OIHW `[out, in/groups, K, K]` of the executed kernel. */
function embedSplits(weights: Weights, s: ConvSpec, depthwise: boolean): Float32Array {
  const K = s.kernel;
  const ins = depthwise ? 1 : s.in;
  const full = new Float32Array(s.out * ins * K * K);
  let ci0 = 0;
  let co0 = 0;
  for (const [j, p] of s.splits!.entries()) {
    const pin = depthwise ? 1 : p.in;
    const part = slot(weights, s.name, `conv.split.${j}`, p.out * pin * p.kernel * p.kernel);
    const off = (K - p.kernel) / 2;
    for (let o = 0; o < p.out; o++)
      for (let i = 0; i < pin; i++)
        for (let y = 0; y < p.kernel; y++)
          for (let x = 0; x < p.kernel; x++)
            full[(((co0 + o) * ins + (depthwise ? 0 : ci0 + i)) * K + y + off) * K + x + off] = part[((o * pin + i) * p.kernel + y) * p.kernel + x]!;
    ci0 += p.in;
    co0 += p.out;
  }
  return full;
}

/** A grouped kernel `[out, in/g, K, K]` as the dense `[out, in, K, K]` with zeros outside each group. */
function ungroup(w: Float32Array, s: ConvSpec): Float32Array {
  const kk = s.kernel * s.kernel;
  const ig = s.in / s.groups;
  const og = s.out / s.groups;
  const full = new Float32Array(s.out * s.in * kk);
  for (let o = 0; o < s.out; o++) {
    const first = Math.floor(o / og) * ig;
    for (let i = 0; i < ig; i++) full.set(w.subarray((o * ig + i) * kk, (o * ig + i + 1) * kk), (o * s.in + first + i) * kk);
  }
  return full;
}

/** The kernel runtimes execute (spec.ts executedKernelFloats), as HWIO: depthwise `[K, K, C, 1]`, else dense `[K, K, in, out]`. */
export function convKernel(weights: Weights, s: ConvSpec): Float32Array {
  const k = s.kernel;
  if (isDepthwise(s)) {
    const w = s.splits ? embedSplits(weights, s, true) : slot(weights, s.name, 'conv.weight', s.out * k * k);
    return oihwToHwio(w, s.out, 1, k);
  }
  const w = s.splits
    ? embedSplits(weights, s, false)
    : s.groups > 1
      ? ungroup(slot(weights, s.name, 'conv.weight', (s.out * s.in * k * k) / s.groups), s)
      : slot(weights, s.name, 'conv.weight', s.out * s.in * k * k);
  return oihwToHwio(w, s.out, s.in, k);
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

