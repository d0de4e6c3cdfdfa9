import type { VariantGraph } from '../../src/graph/graph.js';
import type { WgslModelModule } from '../../src/wgsl/load.js';
import { emitWgsl } from '../../src/wgsl/emit.js';
import { writeGenerated, writeNetwork } from './tfjs.js';

// Generated WGSL modules for tests, emitted against this checkout's runtime
// sources under test/.generated/ and imported as they are.

export async function importGeneratedWgsl(g: VariantGraph): Promise<WgslModelModule> {
  const networkModule = await writeNetwork(g);
  const source = await emitWgsl(g, { spec: `${g.family}.effnet`, runtimeModule: '../../src/runtime/wgsl.js', networkModule });
  return (await import(writeGenerated(`${g.family}_${g.variant}.wgsl.ts`, source))) as WgslModelModule;
}
