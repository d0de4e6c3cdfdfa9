import { ts } from 'ts-morph';
import type { VariantGraph } from '../graph/graph.js';
import type { Layout, Weights } from '../runtime/checkpoint.js';
import type { ModelMetadata, WgslModel, WgslProgram } from '../runtime/wgsl.js';
import { emitWgsl } from './emit.js';

// Runs generated code itself: emit the variant's WGSL module, transpile it,
// import it with its runtime import pointing at this installation's runtime.

/** What a generated `model.wgsl.ts` exports. */
export interface WgslModelModule {
  metadata: ModelMetadata;
  program: WgslProgram;
  createModel(device: GPUDevice, weights: Weights): Promise<WgslModel>;
  loadWeights(bytes: Uint8Array, layout?: Layout): Weights;
}

export const WGSL_RUNTIME_URL = new URL('../runtime/wgsl.js', import.meta.url).href;

export async function importWgslModel(g: VariantGraph, spec: string): Promise<WgslModelModule> {
  const source = await emitWgsl(g, { spec, runtimeModule: WGSL_RUNTIME_URL });
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
  return (await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`)) as WgslModelModule;
}
