// Elementwise over an NHWC tensor [HW][C]: an SE gate applied to its channels (where no
// following 1×1 convolution can fuse it: before a k×k or depthwise convolution, the
// classifier's pool, a residual path) and/or a residual added. One invocation per value.
// Substitution points: {{HW}} {{C}} {{HAS_GATE}} {{HAS_RESIDUAL}}.

const HW = {{HW}}u;
const C = {{C}}u;
const HAS_GATE = {{HAS_GATE}};
const HAS_RESIDUAL = {{HAS_RESIDUAL}};

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = invocation(wid, lid);
  if (i >= HW * C) {
    return;
  }
  var y = arena[P.input + i];
  if (HAS_GATE) {
    y *= arena[P.gate + i % C];
  }
  if (HAS_RESIDUAL) {
    y += arena[P.residual + i];
  }
  arena[P.output + i] = y;
}
