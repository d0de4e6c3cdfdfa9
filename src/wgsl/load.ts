import { emitNetwork } from '../emit/network.js';
import { dataUrl } from '../emit/typescript.js';
import type { VariantGraph } from '../graph/graph.js';
import type { Layout, Weights } from '../runtime/checkpoint.js';
import type { ModelMetadata, WgslFeatureModel, WgslLoadOptions, WgslModel } from '../runtime/wgsl.js';
import type { Network } from '../runtime/spec.js';
import { emitWgsl } from './emit.js';

// Runs generated code itself: emit the variant's network and WGSL modules,
// transpile them, import them with the runtime import pointing at this
// installation's runtime.

interface WgslModuleCommon {
  metadata: ModelMetadata;
  loadWeights(bytes: Uint8Array, layout?: Layout): Weights;
}

/** What a generated `model.wgsl.ts` exports: `createModel` for a classifier, `createFeatureModel` for a feature network. */
export type WgslModelModule = WgslModuleCommon &
  ({ createModel(device: GPUDevice, weights: Weights, options?: WgslLoadOptions): Promise<WgslModel> } | { createFeatureModel(device: GPUDevice, weights: Weights, options?: WgslLoadOptions): Promise<WgslFeatureModel> });

/** The generated module with its network module's `network` (the same module instance it imports). */
export type LoadedWgslModelModule = WgslModelModule & { network: Network };

export const WGSL_RUNTIME_URL = new URL('../runtime/wgsl.js', import.meta.url).href;

export async function importWgslModel(g: VariantGraph, spec: string): Promise<LoadedWgslModelModule> {
  const networkModule = dataUrl(await emitNetwork(g, { spec }));
  const model = (await import(dataUrl(await emitWgsl(g, { spec, runtimeModule: WGSL_RUNTIME_URL, networkModule })))) as WgslModelModule;
  const { network } = (await import(networkModule)) as { network: Network };
  return { ...model, network };
}

/** A generated classifier module (`createModel`); a feature network's module is refused. */
export function classifierModule<M extends WgslModelModule>(m: M): Extract<M, { createModel: unknown }> {
  if (!('createModel' in m)) throw new Error(`${m.metadata.family} ${m.metadata.variant} is a feature network: its module exports createFeatureModel`);
  return m as Extract<M, { createModel: unknown }>;
}
