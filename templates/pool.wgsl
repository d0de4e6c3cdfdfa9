// Global average pool, NHWC [HW][C] → [C]: one invocation per channel.
// Substitution points: {{HW}} {{C}}.

const HW = {{HW}}u;
const C = {{C}}u;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let c = invocation(wid, lid);
  if (c >= C) {
    return;
  }
  var sum = 0.0;
  for (var p = 0u; p < HW; p++) {
    sum += arena[P.input + p * C + c];
  }
  arena[P.output + c] = sum / f32(HW);
}
