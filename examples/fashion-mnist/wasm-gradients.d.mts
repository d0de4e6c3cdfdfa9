// Types of wasm-gradients.mjs, for the tests (TypeScript checks test/ against them).
export declare function registerWasmGradients(tf: typeof import('@tensorflow/tfjs')): void;
