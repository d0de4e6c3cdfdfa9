// Squeeze-excitation after the pool: gate = GATE(fc2(ACT(fc1(pooled)))), one workgroup.
// Weights: fc1 [C][S], its bias [S], fc2 [S][C] packed from P.weights; fc2's bias [C] at P.bias.
// The gate is written to the arena; the next 1×1 convolution applies it to its input.
// Substitution points: {{C}} {{S}} {{GATE}} (an expression in x: f32).

const C = {{C}}u;
const S = {{S}}u;

var<workgroup> hidden: array<f32, S>;

fn gate_act(x: f32) -> f32 {
  return {{GATE}};
}

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  let fc1 = P.weights;
  let b1 = fc1 + C * S;
  let fc2 = b1 + S;
  let b2 = P.bias;
  for (var s = lid; s < S; s += 64u) {
    var acc = weights[b1 + s];
    for (var c = 0u; c < C; c++) {
      acc += arena[P.input + c] * weights[fc1 + c * S + s];
    }
    hidden[s] = act(acc);
  }
  workgroupBarrier();
  for (var c = lid; c < C; c += 64u) {
    var acc = weights[b2 + c];
    for (var s = 0u; s < S; s++) {
      acc += hidden[s] * weights[fc2 + s * C + c];
    }
    arena[P.output + c] = gate_act(acc);
  }
}
