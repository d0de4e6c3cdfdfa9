import { TILES } from './wgsl-tiles.js';

// The WGSL kernels, as text the runtime fills at load (it runs in browsers, so
// nothing is read from disk). Substitution points are written {{NAME}};
// wgsl-shaders.ts fills them with one step's constants and fails on any left
// over. Tensors are NHWC float32 in one activation arena; where a tensor starts
// in the arena and in the packed weights is not baked in but read from the
// dispatch's `Params` uniform, so layers of the same shape share one shader.
// Every kernel has BatchNorm folded into its weights and bias (done on the host
// when weights are packed) and fuses bias, activation and any residual add into
// its write. Explanations live here, in TypeScript comments, so the shaders
// carry code only.

const WG = `${TILES.workgroup}u`;

/**
 * Bindings, `Params` (where this dispatch's tensors start, in floats: in the arena and in the bound
 * weight chunk), the activation {{ACT}} (an expression in x: f32), `erf_` for gelu (Abramowitz &
 * Stegun 7.1.26, |error| < 1.5e-7: WGSL has none), and the invocation index across a 2-D grid of
 * workgroups, {{WG_X}} per row.
 */
export const PRELUDE = `struct Params {
  input: u32,
  output: u32,
  residual: u32,
  gate: u32,
  weights: u32,
  bias: u32,
}

@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;

fn erf_(v: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(v));
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-v * v);
  return select(-y, y, v >= 0.0);
}

fn act(x: f32) -> f32 {
  return {{ACT}};
}

fn invocation(wid: vec3u, lid: u32) -> u32 {
  return (wid.x + wid.y * {{WG_X}}u) * ${WG} + lid;
}
`;

/** V consecutive output channels per invocation (conv2d, depthwise), as one vector. */
export const VECTOR = `const V = ${TILES.vector}u;
alias VT = vec${TILES.vector}<f32>;

fn wload(i: u32) -> VT {
  return VT(weights[i], weights[i + 1u], weights[i + 2u], weights[i + 3u]);
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
  return weights[i];
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

/** Full k×k convolution, groups 1; weights HWIO [K][K][CIN][COUT]. Stems, fused MBConv, edge residual. */
export const CONV2D = `const H = {{H}}u;
const W = {{W}}u;
const CIN = {{CIN}}u;
const HO = {{HO}}u;
const WO = {{WO}}u;
const COUT = {{COUT}}u;
const K = {{K}}u;
const STRIDE = {{STRIDE}}u;
const DIL = {{DIL}}u;
const PAD_T = {{PAD_T}};
const PAD_L = {{PAD_L}};
const HAS_RESIDUAL = {{HAS_RESIDUAL}};

@compute @workgroup_size(${TILES.workgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = invocation(wid, lid);
  if (i >= HO * WO * (COUT / V)) {
    return;
  }
  let co = (i % (COUT / V)) * V;
  let p = i / (COUT / V);
  let ox = p % WO;
  let oy = p / WO;
  var acc = wload(P.bias + co);
  for (var ky = 0u; ky < K; ky++) {
    let iy = i32(oy * STRIDE + ky * DIL) - PAD_T;
    if (iy < 0 || iy >= i32(H)) {
      continue;
    }
    for (var kx = 0u; kx < K; kx++) {
      let ix = i32(ox * STRIDE + kx * DIL) - PAD_L;
      if (ix < 0 || ix >= i32(W)) {
        continue;
      }
      let src = P.input + (u32(iy) * W + u32(ix)) * CIN;
      let w = P.weights + (ky * K + kx) * CIN * COUT + co;
      for (var ci = 0u; ci < CIN; ci++) {
        acc += arena[src + ci] * wload(w + ci * COUT);
      }
    }
  }
  var y = vact(acc);
  if (HAS_RESIDUAL) {
    y += aload(P.residual + p * COUT + co);
  }
  astore(P.output + p * COUT + co, y);
}
`;

/**
 * Depthwise k×k convolution; weights [K][K][C]. Each invocation computes TX horizontally adjacent
 * output pixels × V channels, so each weight is loaded once for all of them.
 */
export const DEPTHWISE = `const H = {{H}}u;
const W = {{W}}u;
const C = {{C}}u;
const HO = {{HO}}u;
const WO = {{WO}}u;
const K = {{K}}u;
const STRIDE = {{STRIDE}}u;
const DIL = {{DIL}}u;
const PAD_T = {{PAD_T}};
const PAD_L = {{PAD_L}};
const TX = ${TILES.depthwise.pixels}u;
const XG = (WO + TX - 1u) / TX;

@compute @workgroup_size(${TILES.workgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = invocation(wid, lid);
  if (i >= HO * XG * (C / V)) {
    return;
  }
  let c = (i % (C / V)) * V;
  let q = i / (C / V);
  let ox0 = (q % XG) * TX;
  let oy = q / XG;
  let bias = wload(P.bias + c);
  var acc: array<VT, TX>;
  for (var j = 0u; j < TX; j++) {
    acc[j] = bias;
  }
  for (var ky = 0u; ky < K; ky++) {
    let iy = i32(oy * STRIDE + ky * DIL) - PAD_T;
    if (iy < 0 || iy >= i32(H)) {
      continue;
    }
    let row = P.input + u32(iy) * W * C + c;
    for (var kx = 0u; kx < K; kx++) {
      let w = wload(P.weights + (ky * K + kx) * C + c);
      for (var j = 0u; j < TX; j++) {
        let ix = i32((ox0 + j) * STRIDE + kx * DIL) - PAD_L;
        if (ix >= 0 && ix < i32(W)) {
          acc[j] += aload(row + u32(ix) * C) * w;
        }
      }
    }
  }
  for (var j = 0u; j < TX; j++) {
    if (ox0 + j < WO) {
      astore(P.output + ((oy * WO) + ox0 + j) * C + c, vact(acc[j]));
    }
  }
}
`;

/**
 * 1×1 convolution as a register-tiled matrix product: out[M, N] = in[M, K] · weights[K, N] + bias,
 * M pixels, K input channels, N output channels. Each invocation computes RM pixels × 4 channels
 * (one vec4) from global memory; neighbouring invocations share pixels, so their input rows stay in
 * cache (a workgroup-memory tiling with barriers measured 2× slower on llvmpipe). An SE gate, when
 * present, scales the input channels as they are read; the residual is added on the write.
 */
export const POINTWISE = `const M = {{M}}u;
const K = {{K}}u;
const N = {{N}}u;
const HAS_GATE = {{HAS_GATE}};
const HAS_RESIDUAL = {{HAS_RESIDUAL}};
const RM = ${TILES.pointwise.pixels}u;
const NG = (N + 3u) / 4u;
const N_ALIGNED = N % 4u == 0u;
const MG = (M + RM - 1u) / RM;

fn weight4(k: u32, n: u32) -> vec4<f32> {
  let i = P.weights + k * N + n;
  if (N_ALIGNED || n + 3u < N) {
    return vec4<f32>(weights[i], weights[i + 1u], weights[i + 2u], weights[i + 3u]);
  }
  var w = vec4<f32>(0.0);
  for (var q = 0u; q < 4u; q++) {
    if (n + q < N) {
      w[q] = weights[i + q];
    }
  }
  return w;
}

@compute @workgroup_size(${TILES.workgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = invocation(wid, lid);
  if (i >= MG * NG) {
    return;
  }
  let n0 = (i % NG) * 4u;
  let m0 = (i / NG) * RM;
  var acc: array<vec4<f32>, RM>;
  var rows: array<u32, RM>;
  for (var r = 0u; r < RM; r++) {
    rows[r] = P.input + min(m0 + r, M - 1u) * K;
  }
  for (var k = 0u; k < K; k++) {
    var g = 1.0;
    if (HAS_GATE) {
      g = arena[P.gate + k];
    }
    let w = weight4(k, n0) * g;
    for (var r = 0u; r < RM; r++) {
      acc[r] += arena[rows[r] + k] * w;
    }
  }
  for (var r = 0u; r < RM; r++) {
    let m = m0 + r;
    if (m >= M) {
      continue;
    }
    for (var q = 0u; q < 4u; q++) {
      let n = n0 + q;
      if (n < N) {
        var y = act(acc[r][q] + weights[P.bias + n]);
        if (HAS_RESIDUAL) {
          y += arena[P.residual + m * N + n];
        }
        arena[P.output + m * N + n] = y;
      }
    }
  }
}
`;

/** Global average pool, [HW][C] → [C]: one invocation per channel (SE squeeze, classifier). */
export const POOL = `const HW = {{HW}}u;
const C = {{C}}u;

@compute @workgroup_size(${TILES.workgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = invocation(wid, lid);
  if (c >= C) {
    return;
  }
  var sum = 0.0;
  for (var p = 0u; p < HW; p++) {
    sum += arena[P.input + p * C + c];
  }
  arena[P.output + c] = sum / f32(HW);
}
`;

/**
 * The SE excitation after the pool, in one workgroup: gate = GATE(fc2(ACT(fc1(pooled)))), the hidden
 * layer in workgroup memory. Weights fc1 [C][S], its bias [S], fc2 [S][C] from P.weights; fc2's bias
 * [C] at P.bias. Writes the gate; the next 1×1 convolution applies it to its input.
 */
export const SE = `const C = {{C}}u;
const S = {{S}}u;

var<workgroup> hidden: array<f32, S>;

fn gate_act(x: f32) -> f32 {
  return {{GATE}};
}

@compute @workgroup_size(${TILES.workgroup})
fn main(@builtin(local_invocation_index) lid: u32) {
  let fc1 = P.weights;
  let b1 = fc1 + C * S;
  let fc2 = b1 + S;
  let b2 = P.bias;
  for (var s = lid; s < S; s += ${WG}) {
    var acc = weights[b1 + s];
    for (var c = 0u; c < C; c++) {
      acc += arena[P.input + c] * weights[fc1 + c * S + s];
    }
    hidden[s] = act(acc);
  }
  workgroupBarrier();
  for (var c = lid; c < C; c += ${WG}) {
    var acc = weights[b2 + c];
    for (var s = 0u; s < S; s++) {
      acc += hidden[s] * weights[fc2 + s * C + c];
    }
    arena[P.output + c] = gate_act(acc);
  }
}
`;

/**
 * A dense layer [IN] → [OUT], weights [IN][OUT] then the bias, one invocation per output: the
 * classifier, a slice of one too large for a binding, the SE excitation when its hidden layer
 * exceeds workgroup memory.
 */
export const DENSE = `const IN = {{IN}}u;
const OUT = {{OUT}}u;

@compute @workgroup_size(${TILES.workgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let o = invocation(wid, lid);
  if (o >= OUT) {
    return;
  }
  var acc = weights[P.bias + o];
  for (var i = 0u; i < IN; i++) {
    acc += arena[P.input + i] * weights[P.weights + i * OUT + o];
  }
  arena[P.output + o] = act(acc);
}
`;

/**
 * Elementwise over [HW][C], one invocation per value: an SE gate no 1×1 convolution can fuse (before
 * a k×k or depthwise convolution, the classifier's pool, a residual path) and/or a residual add.
 */
export const SCALE = `const HW = {{HW}}u;
const C = {{C}}u;
const HAS_GATE = {{HAS_GATE}};
const HAS_RESIDUAL = {{HAS_RESIDUAL}};

@compute @workgroup_size(${TILES.workgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = invocation(wid, lid);
  if (i >= HW * C) {
    return;
  }
  var y = arena[P.input + i];
  if (HAS_GATE) {
    y *= arena[P.gate + i % C];
  }
  if (HAS_RESIDUAL) {
    y += arena[P.residual + i];
  }
  arena[P.output + i] = y;
}
`;
