import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VariantGraph } from '../../src/graph/graph.js';
import type { Layout, Weights, WgslModel, WgslProgram } from '../../src/runtime/wgsl.js';
import { emitWgsl } from '../../src/wgsl/emit.js';
import { root } from './tfjs.js';

// Generated WGSL modules for tests, emitted against this checkout's runtime
// sources under test/.generated/ and imported as they are.

export interface WgslModelModule {
  metadata: { family: string; variant: string; resolution: number; classes: number };
  program: WgslProgram;
  createModel(device: GPUDevice, weights: Weights): Promise<WgslModel>;
  loadWeights(bytes: Uint8Array, layout?: Layout): Weights;
}

export async function importGeneratedWgsl(g: VariantGraph): Promise<WgslModelModule> {
  const dir = join(root, 'test/.generated');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${g.family}_${g.variant}.wgsl.ts`);
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, await emitWgsl(g, { spec: `${g.family}.effnet`, runtimeModule: '../../src/runtime/wgsl.js' }));
  renameSync(tmp, path);
  return (await import(path)) as WgslModelModule;
}
