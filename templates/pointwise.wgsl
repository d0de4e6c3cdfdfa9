// 1×1 convolution as a tiled matrix product: out[M, N] = in[M, K] · weights[K, N] + bias,
// M = pixels, K = input channels, N = output channels. A workgroup of 8×8 invocations
// computes a 32×32 tile, each invocation 4 pixels × 4 channels (a vec4 over channels),
// staging 32×16 tiles of both operands in workgroup memory. An SE gate, when present,
// scales the input channels as they are loaded; the residual is added on the write.
// Substitution points: {{M}} {{K}} {{N}} {{HAS_GATE}} {{HAS_RESIDUAL}}.

const M = {{M}}u;
const K = {{K}}u;
const N = {{N}}u;
const HAS_GATE = {{HAS_GATE}};
const HAS_RESIDUAL = {{HAS_RESIDUAL}};
const TM = 32u;
const TN = 32u;
const TK = 16u;
const TILES_N = (N + TN - 1u) / TN;

var<workgroup> a_tile: array<f32, 512>; // [TM][TK]
var<workgroup> b_tile: array<f32, 512>; // [TK][TN]

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  // One tile per workgroup: the early return below is uniform across it.
  let tile = wid.x + wid.y * {{WG_X}}u;
  let m0 = (tile / TILES_N) * TM;
  let n0 = (tile % TILES_N) * TN;
  if (m0 >= M) {
    return;
  }
  let tx = lid % 8u;
  let ty = lid / 8u;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < K; k0 += TK) {
    for (var j = 0u; j < 8u; j++) {
      let e = lid + j * 64u;
      let m = m0 + e / TK;
      let k = k0 + e % TK;
      var v = 0.0;
      if (m < M && k < K) {
        v = arena[P.input + m * K + k];
        if (HAS_GATE) {
          v *= arena[P.gate + k];
        }
      }
      a_tile[e] = v;
      let kb = k0 + e / TN;
      let n = n0 + e % TN;
      var w = 0.0;
      if (kb < K && n < N) {
        w = weights[P.weights + kb * N + n];
      }
      b_tile[e] = w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let b = vec4<f32>(b_tile[kk * TN + tx * 4u], b_tile[kk * TN + tx * 4u + 1u], b_tile[kk * TN + tx * 4u + 2u], b_tile[kk * TN + tx * 4u + 3u]);
      for (var r = 0u; r < 4u; r++) {
        acc[r] += a_tile[(ty * 4u + r) * TK + kk] * b;
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let m = m0 + ty * 4u + r;
    if (m >= M) {
      continue;
    }
    for (var q = 0u; q < 4u; q++) {
      let n = n0 + tx * 4u + q;
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
