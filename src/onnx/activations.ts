import type { Activation } from '../runtime/spec.js';
import { OnnxExportError } from './errors.js';
import type { GraphBuilder } from './graph-builder.js';

// Activations as PyTorch defines them, in ONNX opset-17 operators (the same
// definitions as runtime/tfjs-activations.ts). SiLU is x·Sigmoid(x), the form
// torch.onnx writes too: ONNX Runtime fuses it like any other.

/** Applies `act` to value `x`; nodes are named `<name>` (and `<name>.<part>` for their inner steps). */
export function activate(g: GraphBuilder, x: string, act: Activation, name: string): string {
  switch (act) {
    case 'identity':
      return x;
    case 'relu':
      return g.node('Relu', name, [x]);
    case 'relu6':
      return g.node('Clip', name, [x, g.scalar(0), g.scalar(6)]);
    case 'sigmoid':
      return g.node('Sigmoid', name, [x]);
    case 'silu':
      return g.node('Mul', name, [x, g.node('Sigmoid', `${name}.sigmoid`, [x])]);
    // PyTorch: relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1).
    case 'hardsigmoid':
      return g.node('HardSigmoid', name, [x], { alpha: { float: 1 / 6 }, beta: { float: 0.5 } });
    case 'hardswish':
      return g.node('HardSwish', name, [x]);
    // The exact erf form: x · ½ · (1 + erf(x / √2)).
    case 'gelu': {
      const erf = g.node('Erf', `${name}.erf`, [g.node('Div', `${name}.div`, [x, g.scalar(Math.SQRT2)])]);
      return g.node('Mul', name, [g.node('Mul', `${name}.half`, [x, g.scalar(0.5)]), g.node('Add', `${name}.add`, [erf, g.scalar(1)])]);
    }
  }
  throw new OnnxExportError(`layer \`${name}\`: activation ${JSON.stringify(act)} has no ONNX export`);
}
