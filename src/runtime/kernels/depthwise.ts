import { TILES } from '../wgsl-tiles.js';

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
