import { ts } from 'ts-morph';
import type { VariantGraph } from '../graph/graph.js';
import type { Layout, Weights } from '../runtime/checkpoint.js';
import type { Inference, ModelMetadata, ModelOptions } from '../runtime/tfjs.js';
import type * as tfjs from '@tensorflow/tfjs';
import { emitTfjs } from './emit.js';

// Runs generated code itself, never a second implementation: emit the
// variant's module, transpile it, and import it with its imports pointing
// at this installation's runtime and the chosen TensorFlow.js module.

/** What a generated `model.tfjs.ts` exports. */
export interface TfjsModelModule {
  metadata: ModelMetadata;
  createModel(options?: ModelOptions): tfjs.LayersModel;
  createInference(weights: Weights): Inference;
  loadWeights(bytes: Uint8Array, layout?: Layout): Weights;
}

/** The runtime next to this file: dist/src/runtime/tfjs.js in a build. */
export const RUNTIME_URL = new URL('../runtime/tfjs.js', import.meta.url).href;

/** Emits, transpiles and imports one variant's tfjs module; `tfjsUrl` is a resolved module URL. */
export async function importTfjsModel(g: VariantGraph, spec: string, tfjsUrl: string): Promise<TfjsModelModule> {
  const source = await emitTfjs(g, { spec, tfjsModule: tfjsUrl, runtimeModule: RUNTIME_URL });
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
  return (await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`)) as TfjsModelModule;
}
