import { analyzeVariant } from '../cost/cost.js';
import { addImageExports, addLoadWeights, importNetwork } from '../emit/network.js';
import { generatedModule, sourceFile, VariableDeclarationKind } from '../emit/typescript.js';
import type { VariantGraph } from '../graph/graph.js';
import { DEFAULT_TFJS_MODULE } from '../emit/modules.js';

// One variant as a TensorFlow.js module: the network (src/emit/network.ts)
// run by the shared runtime against tf.layers (a trainable model), plain ops
// (inference with BatchNorm folded) or a recording builder (the checkpoint's
// layer list).

export { DEFAULT_TFJS_MODULE } from '../emit/modules.js';
export const TFJS_RUNTIME_MODULE = 'effnet/runtime/tfjs';

export interface TfjsOptions {
  /** The spec path the header names. */
  spec: string;
  /** Where the generated code imports TensorFlow.js from. */
  tfjsModule?: string;
  /** Where it imports the shared runtime from. */
  runtimeModule?: string;
  /** Where it imports the variant's network from (default `./network.js`). */
  networkModule?: string;
}

/** Emits `model.tfjs.ts` for one variant, formatted. */
export async function emitTfjs(g: VariantGraph, options: TfjsOptions): Promise<string> {
  const cost = analyzeVariant(g);
  const features = g.features.length > 0;
  const inference = features ? 'FeatureInference' : 'Inference';
  const file = sourceFile(`${g.family}_${g.variant}.tfjs.ts`);
  file.addImportDeclaration({ namespaceImport: 'tf', moduleSpecifier: options.tfjsModule ?? DEFAULT_TFJS_MODULE });
  file.addImportDeclaration({
    moduleSpecifier: options.runtimeModule ?? TFJS_RUNTIME_MODULE,
    namedImports: [{ name: 'tfjsRuntime' }, ...[inference, 'Layout', 'ModelOptions', 'Weights'].map((name) => ({ name, isTypeOnly: true }))],
  });
  importNetwork(file, options.networkModule);
  file.addVariableStatement({ declarationKind: VariableDeclarationKind.Const, declarations: [{ name: 'runtime', initializer: 'tfjsRuntime(tf)' }] });
  const r = g.resolution;
  const c = g.input[0];
  const out = (n: string) =>
    features
      ? `one map per \`metadata.features\` entry (${g.features.map((f) => `${f.name} \`[${n}, ${f.shape[1]}, ${f.shape[2]}, ${f.shape[0]}]\``).join(', ')} at ${r}×${r})`
      : `${g.classes > 0 ? 'logits' : 'pooled features'} \`[${n}, ${g.classifier!.linear?.outFeatures ?? g.classifier!.hidden?.outFeatures ?? g.classifier!.poolShape[0]}]\``;
  file.addFunction({
    isExported: true,
    name: 'createModel',
    docs: [
      `A trainable tf.LayersModel: NHWC input \`[null, ${r}, ${r}, ${c}]\` (\`options.height\` / \`width\`: another size, \`null\` any), ${out('null')}; layers are named after torchvision's modules. ` +
        `Stochastic depth and dropout act only in training. \`countParams()\` = params + bnBuffers = ${cost.params + cost.bnBuffers}.`,
    ],
    parameters: [{ name: 'options', type: 'ModelOptions', initializer: '{}' }],
    returnType: 'tf.LayersModel',
    statements: 'return runtime.createModel(network, metadata, options);',
  });
  file.addFunction({
    isExported: true,
    name: 'createInference',
    docs: [`Inference with plain ops, BatchNorm folded into the convolutions: NHWC \`[N, H, W, ${c}]\` in (trained at ${r}×${r}; any size the network can take), ${out('N')} out, inside tf.tidy.`],
    parameters: [{ name: 'weights', type: 'Weights' }],
    returnType: inference,
    statements: `return runtime.${features ? 'createFeatureInference' : 'createInference'}(network, metadata, weights);`,
  });
  addLoadWeights(file, 'runtime.loadWeights(network, metadata, bytes, layout)');
  addImageExports(file, g, options.runtimeModule ?? TFJS_RUNTIME_MODULE, false);

  return generatedModule(options.spec, file.getFullText());
}
