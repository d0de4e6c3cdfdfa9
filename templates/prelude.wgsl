// effnet kernel prelude. Substitution points: {{ACT}} (an expression in x: f32).

// Where this dispatch's tensors start, in floats: in the arena (input, output,
// residual, gate) and in the bound weight chunk (weights, bias).
struct Params {
  input: u32,
  output: u32,
  residual: u32,
  gate: u32,
  weights: u32,
  bias: u32,
}

@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;

// Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): WGSL has no erf.
fn erf_(v: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * abs(v));
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-v * v);
  return select(-y, y, v >= 0.0);
}

fn act(x: f32) -> f32 {
  return {{ACT}};
}

// Invocations are numbered across a 2-D grid of workgroups: {{WG_X}} workgroups per row.
fn invocation(wid: vec3u, lid: u32) -> u32 {
  return (wid.x + wid.y * {{WG_X}}u) * 64u + lid;
}
