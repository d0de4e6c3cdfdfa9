import { TILES } from '../wgsl-tiles.js';
import { lines, range } from './unroll.js';

const TX = TILES.depthwise.pixels;

/**
 * Depthwise k×k convolution; weights [K][K][C]. Each invocation computes TX horizontally adjacent
 * output pixels × V channels. Per kernel row it loads the SEG input pixels those outputs reach once
 * (not TX × K times, the loads being what a software rasteriser spends its time on) and each weight
 * once for all TX outputs. The outputs are plain variables, written out per pixel, so no compiler
 * has to unroll a loop to keep them in registers. (Tiles two or four rows high, sharing input rows
 * between output rows, measured no faster on llvmpipe.)
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
const TX = ${TX}u;
const XG = (WO + TX - 1u) / TX;
const SEG = (TX - 1u) * STRIDE + (K - 1u) * DIL + 1u;

fn put(oy: u32, ox: u32, c: u32, v: VT) {
  if (ox < WO) {
    astore(P.output + (oy * WO + ox) * C + c, vact(v));
  }
}

@compute @workgroup_size(${TILES.workgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = invocation(wid, lid, ${TILES.workgroup}u);
  if (i >= HO * XG * (C / V)) {
    return;
  }
  let c = (i % (C / V)) * V;
  let q = i / (C / V);
  let ox0 = (q % XG) * TX;
  let oy = q / XG;
  let x0 = i32(ox0 * STRIDE) - PAD_L;
  let bias = wload(P.bias + c);
${lines(TX, (j) => `  var a${j} = bias;`)}
  for (var ky = 0u; ky < K; ky++) {
    let iy = i32(oy * STRIDE + ky * DIL) - PAD_T;
    if (iy < 0 || iy >= i32(H)) {
      continue;
    }
    let row = P.input + u32(iy) * W * C + c;
    var seg: array<VT, SEG>;
    for (var s = 0u; s < SEG; s++) {
      let ix = x0 + i32(s);
      if (ix >= 0 && ix < i32(W)) {
        seg[s] = aload(row + u32(ix) * C);
      }
    }
    for (var kx = 0u; kx < K; kx++) {
      let w = wload(P.weights + (ky * K + kx) * C + c);
${lines(TX, (j) => `      a${j} += seg[${j}u * STRIDE + kx * DIL] * w;`)}
    }
  }
${lines(TX, (j) => `  put(oy, ox0 + ${j}u, c, a${j});`)}
}
`;
