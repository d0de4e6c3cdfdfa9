import { TILES } from '../wgsl-tiles.js';
import { lines, pairs, range } from './unroll.js';

const TP = TILES.conv2d.pixels;
const CG = TILES.conv2d.vectors;
/** Every (pixel, channel group) pair of the tile, as text. */
const tile = (line: (j: number, g: number) => string) => pairs(TP, CG, line);

/**
 * Full k×k convolution, groups 1; weights HWIO [K][K][CIN][COUT]. Stems, fused MBConv, edge residual.
 * Each invocation computes TP consecutive output pixels (in row-major order, so a tile may wrap a row)
 * × CG groups of V output channels: per tap and input channel it loads CG weights and TP inputs for
 * TP × CG multiply-adds. A channel group past COUT (COUT is a multiple of V) reads the last one and
 * is not written. Taps in the padding read pixel 0 and count as zero: no branches in the unrolled
 * code (each short-circuit `&&` is one, and SwiftShader's compile time grows exponentially with
 * the branches in a loop body: 8 pixels took minutes).
 */
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
const TP = ${TP}u;
const CV = ${CG}u * V;
const NCG = (COUT + CV - 1u) / CV;

fn tap(p: u32, ky: u32, kx: u32) -> i32 {
  let ox = p % WO;
  let oy = p / WO;
  let iy = i32(oy * STRIDE + ky * DIL) - PAD_T;
  let ix = i32(ox * STRIDE + kx * DIL) - PAD_L;
  return select(-1, iy * i32(W) + ix, (p < HO * WO) & (iy >= 0) & (iy < i32(H)) & (ix >= 0) & (ix < i32(W)));
}

fn put(p: u32, co: u32, v: VT) {
  if (p >= HO * WO || co >= COUT) {
    return;
  }
  var y = vact(v);
  if (HAS_RESIDUAL) {
    y += aload(P.residual + p * COUT + co);
  }
  astore(P.output + p * COUT + co, y);
}

@compute @workgroup_size(${TILES.workgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = invocation(wid, lid, ${TILES.workgroup}u);
  if (i >= (HO * WO + TP - 1u) / TP * NCG) {
    return;
  }
  let co = (i % NCG) * CV;
  let p0 = (i / NCG) * TP;
${lines(CG, (g) => `  let c${g} = min(co + ${g}u * V, COUT - V);`)}
${lines(CG, (g) => `  let b${g} = wload(P.bias + c${g});`)}
${tile((j, g) => `  var a${j}_${g} = b${g};`)}
  for (var ky = 0u; ky < K; ky++) {
    for (var kx = 0u; kx < K; kx++) {
${lines(TP, (j) => `      let t${j} = tap(p0 + ${j}u, ky, kx);`)}
      let w = P.weights + (ky * K + kx) * CIN * COUT;
      for (var ci = 0u; ci < CIN; ci++) {
${lines(CG, (g) => `        let w${g} = wload(w + ci * COUT + c${g});`)}
${range(TP)
  .map((j) => [`        let x${j} = select(0.0, arena[P.input + u32(max(t${j}, 0)) * CIN + ci], t${j} >= 0);`, ...range(CG).map((g) => `        a${j}_${g} += x${j} * w${g};`)].join('\n'))
  .join('\n')}
      }
    }
  }
  var out: array<VT, ${TP * CG}>;
${tile((j, g) => `  out[${j * CG + g}] = a${j}_${g};`)}
  for (var t = 0u; t < ${TP * CG}u; t++) {
    put(p0 + t / ${CG}u, co + (t % ${CG}u) * V, out[t]);
  }
}
`;
