import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Activation } from '../runtime/spec.js';
import type { Step, StepKind } from '../runtime/wgsl-plan.js';

// WGSL from templates/: one shader per distinct step (layers of the same shape
// share one), its substitution points filled with the step's constants.

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

/** Kernels that compute V output channels per invocation and include vec4.wgsl or scalar.wgsl. */
const VECTOR_KERNELS = new Set<StepKind>(['conv2d', 'depthwise']);

function templatesDir(): string {
  // src/wgsl (tests) and dist/src/wgsl (the build) both sit below the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'templates', 'prelude.wgsl'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('effnet: cannot find the templates/ folder of this installation');
    dir = up;
  }
  return join(dir, 'templates');
}

const cache = new Map<string, string>();
function template(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(templatesDir(), `${name}.wgsl`), 'utf8');
    cache.set(name, text);
  }
  return text;
}

function fill(text: string, values: Record<string, string | number | boolean>, what: string): string {
  const out = text.replace(/\{\{([A-Z_0-9]+)\}\}/g, (all, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`${what}: template point {{${key}}} has no value`);
    return String(v);
  });
  return out;
}

/** The complete WGSL of one step. */
export function stepShader(s: Step): string {
  const what = `${s.kind} shader for \`${s.layer}\``;
  const values = { ...s.consts, ACT: ACTIVATION_WGSL[s.act], GATE: ACTIVATION_WGSL[s.gate ?? 'identity'], WG_X: s.workgroups[0] };
  const parts = [
    `// effnet ${s.kind}: ${Object.entries(s.consts).map(([k, v]) => `${k}=${v}`).join(' ')} act=${s.act}${s.gate ? ` gate=${s.gate}` : ''}`,
    fill(template('prelude'), values, what),
    ...(VECTOR_KERNELS.has(s.kind) ? [template(s.vec4 ? 'vec4' : 'scalar')] : []),
    fill(template(s.kind), values, what),
  ];
  return parts.join('\n');
}

/** Distinct shaders, and the one each step runs. */
export function programShaders(steps: Step[]): { shaders: string[]; stepShaders: number[] } {
  const index = new Map<string, number>();
  const shaders: string[] = [];
  const stepShaders = steps.map((s) => {
    const code = stepShader(s);
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
