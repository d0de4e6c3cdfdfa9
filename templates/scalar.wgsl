// One output channel per invocation (channel counts that are not multiples of 4).
const V = 1u;
alias VT = f32;

fn wload(i: u32) -> VT {
  return weights[i];
}
fn aload(i: u32) -> VT {
  return arena[i];
}
fn astore(i: u32, v: VT) {
  arena[i] = v;
}
fn vact(v: VT) -> VT {
  return act(v);
}
