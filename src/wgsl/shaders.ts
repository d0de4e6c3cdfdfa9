// The kernels live in the runtime, which makes every shader at load from the
// plan (src/runtime/wgsl-shaders.ts); re-exported for the compiler's callers.
export { ACTIVATION_WGSL, programShaders, stepShader } from '../runtime/wgsl-shaders.js';
