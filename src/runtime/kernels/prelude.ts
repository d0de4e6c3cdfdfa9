import { TILES } from '../wgsl-tiles.js';

// The WGSL kernels, as text the runtime fills at load (it runs in browsers, so
// nothing is read from disk). Substitution points are written {{NAME}};
// wgsl-shaders.ts fills them with one step's constants and fails on any left
// over. Tensors are NHWC float32 in one activation arena; where a tensor starts
// in the arena and in the packed weights is not baked in but read from the
// dispatch's `Params` uniform, so layers of the same shape share one shader.
// Every kernel has BatchNorm folded into its weights and bias (done on the host
// when weights are packed) and fuses bias, activation and any residual add into
// its write. Kernels read weights only through `wt` and `wt4`, so how weights
// are stored is decided in this file alone. Explanations live here, in
// TypeScript comments, so the shaders carry code only.

/** How the weight chunks hold weights: float32, or IEEE half floats two per u32 (arithmetic is f32 either way). */
export type WeightStorage = 'f32' | 'f16';

const F32_WEIGHTS = `@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;

fn wt(i: u32) -> f32 {
  return weights[i];
}
fn wt4(i: u32) -> vec4<f32> {
  return vec4<f32>(weights[i], weights[i + 1u], weights[i + 2u], weights[i + 3u]);
}`;

// Weight i is half (i & 1) of word i >> 1 (unpack2x16float's .x is the low half). Offsets stay in
// weights, so the plan is the same for both. wt4 is called at odd i too: then its four span three words.
const F16_WEIGHTS = `@group(0) @binding(1) var<storage, read> weights: array<u32>;
@group(0) @binding(2) var<uniform> P: Params;

fn wt(i: u32) -> f32 {
  let pair = unpack2x16float(weights[i >> 1u]);
  return select(pair.x, pair.y, (i & 1u) == 1u);
}
fn wt4(i: u32) -> vec4<f32> {
  let w = i >> 1u;
  let a = unpack2x16float(weights[w]);
  let b = unpack2x16float(weights[w + 1u]);
  if ((i & 1u) == 0u) {
    return vec4<f32>(a, b);
  }
  return vec4<f32>(a.y, b, unpack2x16float(weights[w + 2u]).x);
}`;

/**
 * Bindings, `Params` (where this dispatch's tensors start, in floats: in the arena and in the bound
 * weight chunk), `wt(i)` and `wt4(i)` (the weight at i, and the four from i), the activation {{ACT}}
 * (an expression in x: f32), `erf_` for gelu (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7: WGSL
 * has none), and the invocation index across a 2-D grid of workgroups, {{WG_X}} per row, of `size`
 * invocations each (the kernel's @workgroup_size).
 */
export function prelude(weights: WeightStorage): string {
  return `struct Params {
  input: u32,
  output: u32,
  residual: u32,
  gate: u32,
  weights: u32,
  bias: u32,
}

@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
${weights === 'f16' ? F16_WEIGHTS : F32_WEIGHTS}

fn erf_(v: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(v));
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-v * v);
  return select(-y, y, v >= 0.0);
}

fn act(x: f32) -> f32 {
  return {{ACT}};
}

fn invocation(wid: vec3u, lid: u32, size: u32) -> u32 {
  return (wid.x + wid.y * {{WG_X}}u) * size + lid;
}
`;
}

/** The prelude of float32 weights. */
export const PRELUDE = prelude('f32');

/** V consecutive output channels per invocation (conv2d, depthwise), as one vector. */
export const VECTOR = `const V = ${TILES.vector}u;
alias VT = vec${TILES.vector}<f32>;

fn wload(i: u32) -> VT {
  return wt4(i);
}
fn aload(i: u32) -> VT {
  return VT(arena[i], arena[i + 1u], arena[i + 2u], arena[i + 3u]);
}
fn astore(i: u32, v: VT) {
  arena[i] = v.x;
  arena[i + 1u] = v.y;
  arena[i + 2u] = v.z;
  arena[i + 3u] = v.w;
}
fn vact(v: VT) -> VT {
  return VT(act(v.x), act(v.y), act(v.z), act(v.w));
}
`;

/** One output channel per invocation: channel counts that are not a multiple of the vector width. */
export const SCALAR = `const V = 1u;
alias VT = f32;

fn wload(i: u32) -> VT {
  return wt(i);
}
fn aload(i: u32) -> VT {
  return arena[i];
}
fn astore(i: u32, v: VT) {
  arena[i] = v;
}
fn vact(v: VT) -> VT {
  return act(v);
}
`;
