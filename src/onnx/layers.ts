import type { Weights } from '../runtime/checkpoint.js';
import { slot } from '../runtime/fold.js';
import { convParts } from '../runtime/tfjs-split.js';
import { convGeometry, paddingAt, type Builder, type ConvSpec } from '../runtime/spec.js';
import { activate } from './activations.js';
import type { GraphBuilder } from './graph-builder.js';
import { onnxConvParts } from './weights.js';

// The network's builder for ONNX: each layer call appends its nodes and
// initializers. Nodes and initializers are named after torchvision's modules
// (the spec's layer names): `features.1.0.block.0.0` is a convolution with its
// BatchNorm `features.1.0.block.0.1` folded in, `…block.1.fc1` an SE layer.

/** A value in the graph: its name, channels, and its height and width (undefined in a model taking any size). */
export interface Value {
  name: string;
  c: number;
  h?: number;
  w?: number;
}

type Pads = { pads: number[] } | { auto_pad: string };

/**
 * ONNX Conv padding: explicit `[top, left, bottom, right]` at a known size; at any size, TensorFlow
 * SAME is `SAME_UPPER` (the odd pixel at the end, as TensorFlow), and every other padding is fixed.
 */
function pads(s: ConvSpec, x: Value): Pads {
  if (x.h === undefined || x.w === undefined) {
    if (s.same) return { auto_pad: 'SAME_UPPER' };
    const [t, b, l, r] = s.padding;
    return { pads: [t, l, b, r] };
  }
  const [t, b, l, r] = paddingAt(s, x.h, x.w);
  return { pads: [t, l, b, r] };
}

export function onnxBuilder(g: GraphBuilder, weights: Weights, features: Value[]): Builder<Value> {
  /** One Conv node with its folded weight and bias initializers. */
  const convNode = (x: string, name: string, spec: ConvSpec, at: Value, p: { weight: Float32Array; bias: Float32Array; group: number; in: number; out: number; kernel: number }, doc?: string) => {
    const w = g.floats(`${name}.weight`, [p.out, p.in / p.group, p.kernel, p.kernel], p.weight, doc);
    const b = g.floats(`${name}.bias`, [p.out], p.bias, doc);
    const d = spec.dilation ?? 1;
    return g.node('Conv', name, [x, w, b], { dilations: [d, d], group: p.group, kernel_shape: [p.kernel, p.kernel], ...pads(spec, at), strides: [spec.stride, spec.stride] });
  };

  return {
    conv(x, s) {
      const [convName, bnName] = s.torchvision ?? [`${s.name}.0`, `${s.name}.1`];
      const doc = s.norm ? `BatchNorm \`${bnName}\` folded in` : undefined;
      const parts = onnxConvParts(weights, s);
      let y: string;
      if (parts.length === 1) y = convNode(x.name, convName, s, x, parts[0]!, doc);
      else {
        // A mixed convolution (timm MixedConv2d): the channels split, one Conv per split with its own kernel and padding, concatenated.
        const specs = convParts(s).map((p) => p.spec);
        const sizes = g.int64s(`${s.name}.split_sizes`, parts.map((p) => p.in));
        const inputs = g.nodeOutputs('Split', `${s.name}.split`, [x.name, sizes], parts.map((_, j) => `${s.name}.split.${j}`), { axis: 1 });
        const outputs = parts.map((p, j) => convNode(inputs[j]!, `${convName}.${j}`, specs[j]!, x, p, doc));
        y = g.node('Concat', convName, outputs, { axis: 1 });
      }
      // A fixed input size is the variant's own, which its graph already holds to every layer.
      const out = x.h !== undefined && x.w !== undefined ? convGeometry(s, x.h, x.w) : undefined;
      return { name: activate(g, y, s.act, `${s.name}.act`), c: s.out, h: out?.height, w: out?.width };
    },

    se(x, s) {
      const fc = (which: 'fc1' | 'fc2', input: string, out: number, inC: number) => {
        const name = `${s.name}.${which}`;
        const weight = g.floats(`${name}.weight`, [out, inC, 1, 1], slot(weights, s.name, `${which}.weight`, out * inC));
        const bias = g.floats(`${name}.bias`, [out], slot(weights, s.name, `${which}.bias`, out));
        return g.node('Conv', name, [input, weight, bias], { kernel_shape: [1, 1] });
      };
      const pooled = g.node('GlobalAveragePool', `${s.name}.avgpool`, [x.name]);
      const squeezed = activate(g, fc('fc1', pooled, s.squeeze, s.channels), s.act, `${s.name}.activation`);
      const gate = activate(g, fc('fc2', squeezed, s.channels, s.squeeze), s.gate, `${s.name}.scale_activation`);
      return { ...x, name: g.node('Mul', `${s.name}.scale`, [x.name, gate]) };
    },

    // Stochastic depth is the identity at inference.
    block(x, s, body) {
      const y = body(x);
      return s.residual ? { ...y, name: g.node('Add', `${s.name}.add`, [x.name, y.name]) } : y;
    },

    classifier(x, s) {
      let y = g.node('Flatten', 'flatten', [g.node('GlobalAveragePool', 'avgpool', [x.name])], { axis: 1 });
      let c = x.c;
      // Dropout is the identity at inference.
      for (const l of [s.hidden, s.linear]) {
        if (!l) continue;
        const weight = g.floats(`${l.name}.weight`, [l.out, l.in], slot(weights, l.name, 'linear.weight', l.in * l.out));
        const bias = g.floats(`${l.name}.bias`, [l.out], slot(weights, l.name, 'linear.bias', l.out));
        y = activate(g, g.node('Gemm', l.name, [y, weight, bias], { transB: 1 }), l.act, `${l.name}.act`);
        c = l.out;
      }
      return { name: y, c, h: 1, w: 1 };
    },

    feature(x, s) {
      const named = { ...x, name: g.rename(x.name, s.name) };
      features.push(named);
      return named;
    },
  };
}
