import { emitNetwork } from '../emit/network.js';
import { dataUrl } from '../emit/typescript.js';
import type { VariantGraph } from '../graph/graph.js';
import type { Layout, Weights } from '../runtime/checkpoint.js';
import type { ModelMetadata, WgslModel, WgslProgram } from '../runtime/wgsl.js';
import type { Network } from '../runtime/spec.js';
import { emitWgsl } from './emit.js';

// Runs generated code itself: emit the variant's network and WGSL modules,
// transpile them, import them with the runtime import pointing at this
// installation's runtime.

/** What a generated `model.wgsl.ts` exports. */
export interface WgslModelModule {
  metadata: ModelMetadata;
  program: WgslProgram;
  createModel(device: GPUDevice, weights: Weights): Promise<WgslModel>;
  loadWeights(bytes: Uint8Array, layout?: Layout): Weights;
}

/** The generated module with its network module's `network` (the same module instance it imports). */
export type LoadedWgslModelModule = WgslModelModule & { network: Network };

export const WGSL_RUNTIME_URL = new URL('../runtime/wgsl.js', import.meta.url).href;

export async function importWgslModel(g: VariantGraph, spec: string): Promise<LoadedWgslModelModule> {
  const networkModule = dataUrl(await emitNetwork(g, { spec }));
  const model = (await import(dataUrl(await emitWgsl(g, { spec, runtimeModule: WGSL_RUNTIME_URL, networkModule })))) as WgslModelModule;
  const { network } = (await import(networkModule)) as { network: Network };
  return { ...model, network };
}
