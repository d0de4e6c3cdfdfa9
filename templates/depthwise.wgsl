// Depthwise k×k convolution, NHWC; weights [K][K][C], BatchNorm folded.
// Substitution points: {{H}} {{W}} {{C}} {{HO}} {{WO}} {{K}} {{STRIDE}} {{PAD_T}} {{PAD_L}}.

const H = {{H}}u;
const W = {{W}}u;
const C = {{C}}u;
const HO = {{HO}}u;
const WO = {{WO}}u;
const K = {{K}}u;
const STRIDE = {{STRIDE}}u;
const PAD_T = {{PAD_T}};
const PAD_L = {{PAD_L}};

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = invocation(wid, lid);
  if (i >= HO * WO * (C / V)) {
    return;
  }
  let c = (i % (C / V)) * V;
  let p = i / (C / V);
  let ox = p % WO;
  let oy = p / WO;
  var acc = wload(P.bias + c);
  for (var ky = 0u; ky < K; ky++) {
    let iy = i32(oy * STRIDE + ky) - PAD_T;
    if (iy < 0 || iy >= i32(H)) {
      continue;
    }
    for (var kx = 0u; kx < K; kx++) {
      let ix = i32(ox * STRIDE + kx) - PAD_L;
      if (ix < 0 || ix >= i32(W)) {
        continue;
      }
      acc += aload(P.input + (u32(iy) * W + u32(ix)) * C + c) * wload(P.weights + (ky * K + kx) * C + c);
    }
  }
  astore(P.output + p * C + c, vact(acc));
}
