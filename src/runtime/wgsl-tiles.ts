// What the WGSL planner (wgsl-plan.ts) and the kernels (kernels/*.ts) must
// agree on: how many invocations a workgroup has and how much output each
// invocation computes. The planner sizes dispatch grids from these; the
// kernels bake them into their loops. Change them here, nowhere else.

export const TILES = {
  /** Invocations per workgroup, every kernel (WebGPU guarantees 256; 64 suits llvmpipe and SwiftShader). */
  workgroup: 64,
  /** The 1×1 convolution: pixels × output channels per invocation (channels: one vec4, fixed). */
  pointwise: { pixels: 16, channels: 4 },
  /** The depthwise convolution: horizontally adjacent output pixels per invocation. */
  depthwise: { pixels: 4 },
  /** Output channels per invocation of the vectorised kernels (conv2d, depthwise) when the count is a multiple of it: one vec4, fixed. */
  vector: 4,
} as const;
