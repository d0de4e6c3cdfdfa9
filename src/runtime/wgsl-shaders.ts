import type { Activation } from './spec.js';
import { CONV2D } from './kernels/conv2d.js';
import { DEPTHWISE } from './kernels/depthwise.js';
import { POINTWISE } from './kernels/pointwise.js';
import { prelude, SCALAR, VECTOR, type WeightStorage } from './kernels/prelude.js';
import { DENSE, POOL, SE } from './kernels/reduce.js';
import { SCALE } from './kernels/scale.js';
import type { Step, StepKind } from './wgsl-plan.js';

// The WGSL of a plan's steps: each kernel's substitution points filled with the
// step's constants. Layers of the same shape get the same text, so they share
// one shader (and one pipeline).

/** Each activation as a WGSL expression in `x: f32`, PyTorch's definitions. */
export const ACTIVATION_WGSL: Record<Activation, string> = {
  relu: 'max(x, 0.0)',
  relu6: 'clamp(x, 0.0, 6.0)',
  silu: 'x / (1.0 + exp(-x))',
  sigmoid: '1.0 / (1.0 + exp(-x))',
  hardsigmoid: 'clamp(x + 3.0, 0.0, 6.0) / 6.0',
  hardswish: 'x * clamp(x + 3.0, 0.0, 6.0) / 6.0',
  gelu: '0.5 * x * (1.0 + erf_(x * 0.7071067811865476))',
  identity: 'x',
};

const KERNELS: Record<StepKind, string> = { conv2d: CONV2D, depthwise: DEPTHWISE, pointwise: POINTWISE, pool: POOL, se: SE, dense: DENSE, scale: SCALE };

/** Kernels that compute V output channels per invocation (VECTOR or SCALAR defines V). */
const VECTOR_KERNELS = new Set<StepKind>(['conv2d', 'depthwise']);

function fill(text: string, values: Record<string, string | number | boolean>, what: string): string {
  return text.replace(/\{\{([A-Z_0-9]+)\}\}/g, (_, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`${what}: kernel point {{${key}}} has no value`);
    return String(v);
  });
}

/** The complete WGSL of one step, reading weights stored as `weights` (float32 by default). */
export function stepShader(s: Step, weights: WeightStorage = 'f32'): string {
  const what = `${s.kind} shader for \`${s.layer}\``;
  const values = { ...s.consts, ACT: ACTIVATION_WGSL[s.act], GATE: ACTIVATION_WGSL[s.gate ?? 'identity'], WG_X: s.workgroups[0] };
  const parts = [prelude(weights), ...(VECTOR_KERNELS.has(s.kind) ? [s.vec4 ? VECTOR : SCALAR] : []), KERNELS[s.kind]];
  return fill(parts.join('\n'), values, what);
}

/** Distinct shaders, and the one each step runs. */
export function programShaders(steps: readonly Step[], weights: WeightStorage = 'f32'): { shaders: string[]; stepShaders: number[] } {
  const index = new Map<string, number>();
  const shaders: string[] = [];
  const stepShaders = steps.map((s) => {
    const code = stepShader(s, weights);
    let i = index.get(code);
    if (i === undefined) {
      i = shaders.length;
      shaders.push(code);
      index.set(code, i);
    }
    return i;
  });
  return { shaders, stepShaders };
}
