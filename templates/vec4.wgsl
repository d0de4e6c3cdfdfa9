// Four consecutive output channels per invocation.
const V = 4u;
alias VT = vec4<f32>;

fn wload(i: u32) -> VT {
  return VT(weights[i], weights[i + 1u], weights[i + 2u], weights[i + 3u]);
}
fn aload(i: u32) -> VT {
  return VT(arena[i], arena[i + 1u], arena[i + 2u], arena[i + 3u]);
}
fn astore(i: u32, v: VT) {
  arena[i] = v.x;
  arena[i + 1u] = v.y;
  arena[i + 2u] = v.z;
  arena[i + 3u] = v.w;
}
fn vact(v: VT) -> VT {
  return VT(act(v.x), act(v.y), act(v.z), act(v.w));
}
