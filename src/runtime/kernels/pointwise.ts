import { TILES } from '../wgsl-tiles.js';
import { lines, pairs, range } from './unroll.js';

const RMAX = TILES.pointwise.pixels;
const CG = TILES.pointwise.channels / 4;
/** Text for pixel row r of the tile; rows past the first exist only when RM (a constant, so the compiler drops the test) has them. */
const row = (r: number, indent: string, body: string[]) => (r === 0 ? body.map((l) => indent + l) : [`${indent}if (${r}u < RM) {`, ...body.map((l) => `${indent}  ${l}`), `${indent}}`]).join('\n');

/**
 * 1×1 convolution as a register-tiled matrix product: out[M, N] = in[M, K] · weights[K, N] + bias,
 * M pixels, K input channels, N output channels. Each invocation computes RM pixels (at most
 * TILES.pointwise.pixels; the planner picks RM so the tiles cover M with little left over) × CG
 * vec4s of output channels from global memory: per input channel, RM + 4·CG loads feed 4·RM·CG
 * multiply-adds, and on a software rasteriser (llvmpipe, SwiftShader) the loads are what costs.
 * The tile is written out as plain variables, not arrays indexed in loops, which SwiftShader keeps
 * in memory rather than registers (it unrolls nothing). The write is one loop over the tile copied
 * into an array: written out per vec4 it would triple SwiftShader's compile time for no speed.
 * Neighbouring invocations share pixels, so their input rows stay in cache (a workgroup-memory
 * tiling with barriers measured 2× slower on llvmpipe). An SE gate, when present, scales the input
 * channels as they are read; bias, activation and the residual are applied on the write. Channels
 * past N (when N is not a multiple of 4·CG) read as zero weights and are not written.
 */
export const POINTWISE = `const M = {{M}}u;
const K = {{K}}u;
const N = {{N}}u;
const RM = {{RM}}u;
const HAS_GATE = {{HAS_GATE}};
const HAS_RESIDUAL = {{HAS_RESIDUAL}};
const CN = ${CG * 4}u;
const NG = (N + CN - 1u) / CN;
const N_ALIGNED = N % CN == 0u;
const MG = (M + RM - 1u) / RM;

fn four(i: u32, n: u32) -> vec4<f32> {
  if (N_ALIGNED || n + 3u < N) {
    return wt4(i);
  }
  var w = vec4<f32>(0.0);
  for (var q = 0u; q < 4u; q++) {
    if (n + q < N) {
      w[q] = wt(i + q);
    }
  }
  return w;
}

fn put(m: u32, n: u32, v: vec4<f32>) {
  if (m >= M) {
    return;
  }
  for (var q = 0u; q < 4u; q++) {
    if (n + q < N) {
      var y = act(v[q]);
      if (HAS_RESIDUAL) {
        y += arena[P.residual + m * N + n + q];
      }
      arena[P.output + m * N + n + q] = y;
    }
  }
}

@compute @workgroup_size(${TILES.pointwise.workgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = invocation(wid, lid, ${TILES.pointwise.workgroup}u);
  if (i >= MG * NG) {
    return;
  }
  let n0 = (i % NG) * CN;
  let m0 = (i / NG) * RM;
${lines(RMAX, (r) => `  let row${r} = P.input + min(m0 + ${r}u, M - 1u) * K;`)}
${pairs(RMAX, CG, (r, c) => `  var a${r}_${c} = vec4<f32>(0.0);`)}
  for (var k = 0u; k < K; k++) {
    var g = 1.0;
    if (HAS_GATE) {
      g = arena[P.gate + k];
    }
${lines(CG, (c) => `    let w${c} = four(P.weights + k * N + n0 + ${4 * c}u, n0 + ${4 * c}u) * g;`)}
${lines(RMAX, (r) => row(r, '    ', [`let x${r} = arena[row${r} + k];`, ...range(CG).map((c) => `a${r}_${c} += x${r} * w${c};`)]))}
  }
  var tile: array<vec4<f32>, ${RMAX * CG}>;
${pairs(RMAX, CG, (r, c) => `  tile[${r * CG + c}] = a${r}_${c};`)}
  for (var c = 0u; c < ${CG}u; c++) {
    let n = n0 + c * 4u;
    let b = four(P.bias + n, n);
    for (var r = 0u; r < RM; r++) {
      put(m0 + r, n, tile[r * ${CG}u + c] + b);
    }
  }
}
`;
