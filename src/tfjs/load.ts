import type * as tfjs from '@tensorflow/tfjs';
import { emitNetwork } from '../emit/network.js';
import { dataUrl } from '../emit/typescript.js';
import type { VariantGraph } from '../graph/graph.js';
import type { Layout, Weights } from '../runtime/checkpoint.js';
import type { Inference, ModelMetadata, ModelOptions } from '../runtime/tfjs.js';
import type { Network } from '../runtime/spec.js';
import { emitTfjs } from './emit.js';

// Runs generated code itself, never a second implementation: emit the
// variant's network and tfjs modules, transpile them, and import them with
// their imports pointing at this installation's runtime and the chosen
// TensorFlow.js module.

/** What a generated `model.tfjs.ts` exports. */
export interface TfjsModelModule {
  metadata: ModelMetadata;
  createModel(options?: ModelOptions): tfjs.LayersModel;
  /** Logits (pooled features for `classes 0`); a feature network's returns `FeatureInference`. */
  createInference(weights: Weights): Inference;
  loadWeights(bytes: Uint8Array, layout?: Layout): Weights;
}

/** The generated module with its network module's `network` (the same module instance it imports). */
export type LoadedTfjsModelModule = TfjsModelModule & { network: Network };

/** The runtime next to this file: dist/src/runtime/tfjs.js in a build. */
export const RUNTIME_URL = new URL('../runtime/tfjs.js', import.meta.url).href;

/** Emits, transpiles and imports one variant's tfjs module; `tfjsUrl` is a resolved module URL. */
export async function importTfjsModel(g: VariantGraph, spec: string, tfjsUrl: string): Promise<LoadedTfjsModelModule> {
  const networkModule = dataUrl(await emitNetwork(g, { spec }));
  const model = (await import(dataUrl(await emitTfjs(g, { spec, tfjsModule: tfjsUrl, runtimeModule: RUNTIME_URL, networkModule })))) as TfjsModelModule;
  const { network } = (await import(networkModule)) as { network: Network };
  return { ...model, network };
}
