import type { Weights } from '../runtime/checkpoint.js';
import { foldedConv } from '../runtime/fold.js';
import { isDepthwise, type ConvSpec } from '../runtime/spec.js';

// A convolution's weights as ONNX's Conv takes them: OIHW `[out, in / group, k, k]` with
// BatchNorm folded in. The folding is the runtimes' own (runtime/fold.ts foldedConv, which
// gives the executed HWIO kernel: dense with zeros outside groups, split kernels centred
// in the largest); here that kernel is taken apart again into ONNX's grouped and split form,
// so the exported model does none of the zero work.

export interface OnnxConvPart {
  /** Input channels this part reads (a channel split's), output channels it writes, kernel, group count. */
  in: number;
  out: number;
  kernel: number;
  group: number;
  /** OIHW `[out, in / group, kernel, kernel]`. */
  weight: Float32Array;
  bias: Float32Array;
}

/** The executed HWIO kernel as dense OIHW `[out, in, K, K]` (a depthwise one as `[C, 1, K, K]`). */
function toOihw(kernel: Float32Array, s: ConvSpec): Float32Array {
  const K = s.kernel;
  const ins = isDepthwise(s) ? 1 : s.in;
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < K; y++)
    for (let x = 0; x < K; x++)
      for (let i = 0; i < ins; i++)
        for (let o = 0; o < s.out; o++) out[((o * ins + i) * K + y) * K + x] = kernel[((y * K + x) * ins + i) * s.out + o]!;
  return out;
}

/** Output channels [o0, o0 + out) reading input channels [i0, i0 + inPerGroup) of a dense OIHW kernel, each `k`×`k` window centred in its K×K. */
function cut(full: Float32Array, fullIn: number, K: number, o0: number, out: number, i0: number, ins: number, k: number, inOffset: (o: number) => number = () => i0): Float32Array {
  const w = new Float32Array(out * ins * k * k);
  const off = (K - k) / 2;
  for (let o = 0; o < out; o++) {
    const first = inOffset(o);
    for (let i = 0; i < ins; i++)
      for (let y = 0; y < k; y++)
        for (let x = 0; x < k; x++) w[((o * ins + i) * k + y) * k + x] = full[(((o0 + o) * fullIn + first + i) * K + y + off) * K + x + off]!;
  }
  return w;
}

/** The Conv nodes a ConvSpec exports as: one, or one per channel split of a mixed convolution. */
export function onnxConvParts(weights: Weights, s: ConvSpec): OnnxConvPart[] {
  const { kernel, bias } = foldedConv(weights, s);
  const full = toOihw(kernel, s);
  const K = s.kernel;
  const depthwise = isDepthwise(s);
  const fullIn = depthwise ? 1 : s.in;
  if (s.splits) {
    let i0 = 0;
    let o0 = 0;
    return s.splits.map((p) => {
      const part: OnnxConvPart = {
        in: p.in,
        out: p.out,
        kernel: p.kernel,
        group: depthwise ? p.in : 1,
        weight: depthwise ? cut(full, 1, K, o0, p.out, 0, 1, p.kernel) : cut(full, fullIn, K, o0, p.out, i0, p.in, p.kernel),
        bias: bias.slice(o0, o0 + p.out),
      };
      i0 += p.in;
      o0 += p.out;
      return part;
    });
  }
  if (depthwise || s.groups === 1) return [{ in: s.in, out: s.out, kernel: K, group: s.groups, weight: full, bias }];
  // Grouped (including depth multipliers, groups = in < out): each output channel keeps only its group's inputs.
  const ig = s.in / s.groups;
  const og = s.out / s.groups;
  return [{ in: s.in, out: s.out, kernel: K, group: s.groups, weight: cut(full, s.in, K, 0, s.out, 0, ig, K, (o) => Math.floor(o / og) * ig), bias }];
}
