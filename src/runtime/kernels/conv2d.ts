import { TILES } from '../wgsl-tiles.js';

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
