import { VariableDeclarationKind } from 'ts-morph';
import { addImageExports, addLoadWeights, importNetwork } from '../emit/network.js';
import { tsTemplate } from '../emit/escape.js';
import { generatedModule, sourceFile } from '../emit/typescript.js';
import type { VariantGraph } from '../graph/graph.js';
import { modelNetwork, modelSpec } from '../graph/model-spec.js';
import type { Network } from '../runtime/spec.js';
import { planWgsl } from '../runtime/wgsl-plan.js';
import { programShaders } from './shaders.js';

// One variant as a WebGPU module: the network (src/emit/network.ts), the WGSL
// its dispatches run (string constants, one per distinct layer shape) and a
// typed host from the shared runtime (effnet/runtime/wgsl).

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
  const plan = planWgsl(network, g.resolution);
  const features = plan.features;
  const { shaders, stepShaders } = programShaders(plan.steps);
  const mib = (floats: number) => `${((floats * 4) / 2 ** 20).toFixed(2)} MiB`;
  const file = sourceFile(`${g.family}_${g.variant}.wgsl.ts`);
  file.addImportDeclaration({
    moduleSpecifier: options.runtimeModule ?? WGSL_RUNTIME_MODULE,
    namedImports: [
      { name: features ? 'createWgslFeatureModel' : 'createWgslModel' },
      { name: 'loadWgslWeights' },
      ...['Layout', 'Weights', features ? 'WgslFeatureModel' : 'WgslModel', 'WgslProgram'].map((name) => ({ name, isTypeOnly: true })),
    ],
  });
  importNetwork(file, options.networkModule);
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [
      `The WGSL this model runs: ${shaders.length} shaders for ${plan.steps.length} dispatches per image (\`stepShaders[i]\` is dispatch i's). ` +
        `Activation arena ${mib(plan.arenaFloats)} (one buffer per tensor would take ${mib(plan.tensorFloats)}); weights ${mib(plan.chunks.reduce((a, c) => a + c, 0))} in ${plan.chunks.length} buffer${plan.chunks.length === 1 ? '' : 's'}.`,
    ],
    declarations: [
      {
        name: 'program',
        type: 'WgslProgram',
        initializer: (w) => {
          w.write('{ shaders: [');
          for (const s of shaders) w.newLine().write(`${tsTemplate(s)},`);
          w.newLine().write(`], stepShaders: [${stepShaders.join(', ')}] }`);
        },
      },
    ],
  });
  const r = g.resolution;
  const nhwc = (shape: readonly number[]) => `\`[batch, ${shape.join(', ')}]\``;
  const outputs = features
    ? `one NHWC float32 map per feature, in order: ${plan.outputs.map((o) => `\`${o.layer}\` ${nhwc(o.shape)}`).join(', ')}`
    : g.classes > 0
      ? `logits \`[batch, ${plan.outputs[0]!.floats}]\``
      : `pooled features \`[batch, ${plan.outputs[0]!.floats}]\``;
  file.addFunction({
    isExported: true,
    isAsync: true,
    name: features ? 'createFeatureModel' : 'createModel',
    docs: [
      `Creates every pipeline and buffer once on \`device\` (request it with the adapter's limits). \`run(input, batch)\` takes NHWC float32 ` +
        `\`[batch, ${r}, ${r}, ${g.input[0]}]\` and resolves to ${outputs}; one command encoder per run. ` +
        `A device whose limits the model exceeds gets a WgslLimitError naming the limit.`,
    ],
    parameters: [
      { name: 'device', type: 'GPUDevice' },
      { name: 'weights', type: 'Weights' },
    ],
    returnType: features ? 'Promise<WgslFeatureModel>' : 'Promise<WgslModel>',
    statements: `return ${features ? 'createWgslFeatureModel' : 'createWgslModel'}(device, network, metadata, program, weights);`,
  });
  addLoadWeights(file, 'loadWgslWeights(network, metadata, bytes, layout)');
  addImageExports(file, g, options.runtimeModule ?? WGSL_RUNTIME_MODULE, true);
  return generatedModule(options.spec, file.getFullText(), ['/// <reference types="@webgpu/types" />']);
}
