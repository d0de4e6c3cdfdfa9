import { addImageExports, addLoadWeights, importNetwork } from '../emit/network.js';
import { generatedModule, sourceFile } from '../emit/typescript.js';
import type { VariantGraph } from '../graph/graph.js';
import { modelNetwork, modelSpec } from '../graph/model-spec.js';
import type { Network } from '../runtime/spec.js';
import { planWgsl } from '../runtime/wgsl-plan.js';

// One variant as a WebGPU module: the network (src/emit/network.ts) and a typed
// host from the shared runtime (effnet/runtime/wgsl), which plans the dispatches
// and makes the WGSL at load for the input size asked. The module carries no
// shaders: one plan, made where it runs, for any size.

export const WGSL_RUNTIME_MODULE = 'effnet/runtime/wgsl';

export interface WgslOptions {
  spec: string;
  runtimeModule?: string;
  /** Where it imports the variant's network from (default `./network.js`). */
  networkModule?: string;
}

/**
 * Emits `model.wgsl.ts` for one variant, formatted: a classifier's exports `createModel` (a WgslModel),
 * a feature network's `createFeatureModel` (a WgslFeatureModel). `network` is the one its network module
 * exports (default: the variant's own; tests pass others).
 */
export async function emitWgsl(g: VariantGraph, options: WgslOptions, network: Network = modelNetwork(modelSpec(g))): Promise<string> {
  // Planned here only for the figures the docs state (and so a variant no plan can run fails to emit).
  const plan = planWgsl(network, g.resolution);
  const features = plan.features;
  const runtime = options.runtimeModule ?? WGSL_RUNTIME_MODULE;
  const mib = (floats: number) => `${((floats * 4) / 2 ** 20).toFixed(2)} MiB`;
  const file = sourceFile(`${g.family}_${g.variant}.wgsl.ts`);
  file.addImportDeclaration({
    moduleSpecifier: runtime,
    namedImports: [
      { name: features ? 'createWgslFeatureModel' : 'createWgslModel' },
      { name: 'loadWgslWeights' },
      ...['Layout', 'Weights', 'WgslLoadOptions', features ? 'WgslFeatureModel' : 'WgslModel'].map((name) => ({ name, isTypeOnly: true })),
    ],
  });
  importNetwork(file, options.networkModule);
  const r = g.resolution;
  const nhwc = (shape: readonly number[]) => `\`[batch, ${shape.join(', ')}]\``;
  const outputs = features
    ? `one NHWC float32 map per feature, in order (at ${r}×${r}): ${plan.outputs.map((o) => `\`${o.layer}\` ${nhwc(o.shape)}`).join(', ')}`
    : g.classes > 0
      ? `logits \`[batch, ${plan.outputs[0]!.floats}]\``
      : `pooled features \`[batch, ${plan.outputs[0]!.floats}]\``;
  file.addFunction({
    isExported: true,
    isAsync: true,
    name: features ? 'createFeatureModel' : 'createModel',
    docs: [
      `Plans the dispatches for \`options.height\` × \`options.width\` (the variant's resolution by default; any size the network can take, an InputSizeError otherwise), ` +
        `makes their WGSL and creates every pipeline (once per device and shader) and buffer on \`device\` (request it with the adapter's limits). ` +
        `\`run(input, batch)\` takes NHWC float32 \`[batch, height, width, ${g.input[0]}]\` and resolves to ${outputs}; one command encoder per run. ` +
        `At ${r}×${r}: ${plan.steps.length} dispatches per image, an activation arena of ${mib(plan.arenaFloats)} (one buffer per tensor would take ${mib(plan.tensorFloats)}), ` +
        `weights ${mib(plan.chunks.reduce((a, c) => a + c, 0))} in ${plan.chunks.length} buffer${plan.chunks.length === 1 ? '' : 's'} ` +
        `(half that with \`options.weightPrecision: 'f16'\`: half floats, unpacked as read, arithmetic still float32). ` +
        `A device whose limits the model exceeds gets a WgslLimitError naming the limit.`,
    ],
    parameters: [
      { name: 'device', type: 'GPUDevice' },
      { name: 'weights', type: 'Weights' },
      { name: 'options', type: 'WgslLoadOptions', initializer: '{}' },
    ],
    returnType: features ? 'Promise<WgslFeatureModel>' : 'Promise<WgslModel>',
    statements: `return ${features ? 'createWgslFeatureModel' : 'createWgslModel'}(device, network, metadata, weights, options);`,
  });
  addLoadWeights(file, 'loadWgslWeights(network, metadata, bytes, layout)');
  addImageExports(file, g, runtime, true);
  return generatedModule(options.spec, file.getFullText(), ['/// <reference types="@webgpu/types" />']);
}
