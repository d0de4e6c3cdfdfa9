// Dense layer [IN] → [OUT]; weights [IN][OUT], then the bias. One invocation per output.
// Substitution points: {{IN}} {{OUT}}.

const IN = {{IN}}u;
const OUT = {{OUT}}u;

@compute @workgroup_size(64)
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
