import { TILES } from '../wgsl-tiles.js';

/**
 * Elementwise over [HW][C], one invocation per value: an SE gate no 1×1 convolution can fuse (before
 * a k×k or depthwise convolution, the classifier's pool, a residual path) and/or a residual add.
 */
export const SCALE = `const HW = {{HW}}u;
const C = {{C}}u;
const HAS_GATE = {{HAS_GATE}};
const HAS_RESIDUAL = {{HAS_RESIDUAL}};

@compute @workgroup_size(${TILES.workgroup})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = invocation(wid, lid, ${TILES.workgroup}u);
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
`;
