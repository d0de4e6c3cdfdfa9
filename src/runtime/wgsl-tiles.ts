// What the WGSL planner (wgsl-plan.ts) and the kernels (kernels/*.ts) must
// agree on: how many invocations a workgroup has and how much output each
// invocation computes. The planner sizes dispatch grids from these; the
// kernels bake them into their loops. Change them here, nowhere else.

export const TILES = {
  /** Invocations per workgroup, every kernel (WebGPU guarantees 256; 64 suits llvmpipe and SwiftShader). */
  workgroup: 64,
  /**
   * The 1×1 convolution: at most `pixels` pixels × `channels` output channels (a multiple of 4) per
   * invocation, and its own invocations per workgroup (fewer, so that small layers still spread over
   * several workgroups, and so over a software rasteriser's threads). Larger tiles run faster and
   * compile much slower: b0's 1×1 convs on llvmpipe, run / cold compile: 16 × 4 94 ms / 3.6 s,
   * 8 × 8 84 ms / 7.4 s, 16 × 8 77 ms / 24 s, 16 × 16 65 ms / 107 s (16 vec4 accumulators at most).
   */
  pointwise: { pixels: 8, channels: 8, workgroup: 32 },
  /** The depthwise convolution: horizontally adjacent output pixels per invocation. */
  depthwise: { pixels: 8 },
  /** The k×k convolution: consecutive output pixels × groups of V output channels per invocation (16 × 4 took llvmpipe 5 s to compile, 8 × 2 0.3 s). */
  conv2d: { pixels: 8, vectors: 2 },
  /** Output channels per invocation of the vectorised kernels (conv2d, depthwise) when the count is a multiple of it: one vec4, fixed. */
  vector: 4,
} as const;

/** Pixels per invocation of a 1×1 convolution over m pixels: as few tiles as `pixels` allows, as even as they can be (49 pixels: 7 tiles of 7, not 6 of 8 and one of 1). */
export const pointwisePixels = (m: number): number => Math.ceil(m / Math.ceil(m / TILES.pointwise.pixels));
