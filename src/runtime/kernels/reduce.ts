import { TILES } from '../wgsl-tiles.js';

// Kernels over whole tensors: the pool, the SE excitation and the dense layer.

const WG = `${TILES.workgroup}u`;

/** Global average pool, [HW][C] → [C]: one invocation per channel (SE squeeze, classifier). */
export const POOL = `const HW = {{HW}}u;
const C = {{C}}u;

@compute @workgroup_size(${TILES.workgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = invocation(wid, lid, ${WG});
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
    var acc = wt(b1 + s);
    for (var c = 0u; c < C; c++) {
      acc += arena[P.input + c] * wt(fc1 + c * S + s);
    }
    hidden[s] = act(acc);
  }
  workgroupBarrier();
  for (var c = lid; c < C; c += ${WG}) {
    var acc = wt(b2 + c);
    for (var s = 0u; s < S; s++) {
      acc += hidden[s] * wt(fc2 + s * C + c);
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
  let o = invocation(wid, lid, ${WG});
  if (o >= OUT) {
    return;
  }
  var acc = wt(P.bias + o);
  for (var i = 0u; i < IN; i++) {
    acc += arena[P.input + i] * wt(P.weights + i * OUT + o);
  }
  arena[P.output + o] = act(acc);
}
`;
