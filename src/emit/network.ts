import { VariableDeclarationKind, type CodeBlockWriter, type SourceFile } from 'ts-morph';
import { modelMetadata } from '../cost/metadata.js';
import type { Shape, Stage, VariantGraph } from '../graph/graph.js';
import { modelSpec, type BlockModel } from '../graph/model-spec.js';
import type { ConvSpec, NormSpec } from '../runtime/spec.js';
import { Code, generatedModule, literal, sourceFile, tidyNumber } from './typescript.js';

// `network.ts`, one per variant: its metadata and the network as layer specs
// inside a function per stage, run against any Builder (`network<T>(x, b)`).
// The tfjs and WGSL modules of the variant both import it.

export const SPEC_RUNTIME_MODULE = 'effnet/runtime/spec';
/** How the target modules import the variant's network module. */
export const NETWORK_MODULE = './network.js';

const shape = ([c, h, w]: Shape) => `${c}×${h}×${w}`;

/** Distinct BatchNorm settings get one named constant each (`BN`, `BN_2`, …). */
function normNames(convs: ConvSpec[]): Map<string, { name: string; norm: NormSpec }> {
  const names = new Map<string, { name: string; norm: NormSpec }>();
  for (const c of convs) {
    if (!c.norm) continue;
    const key = `${c.norm.eps}/${c.norm.momentum}`;
    if (!names.has(key)) names.set(key, { name: names.size === 0 ? 'BN' : `BN_${names.size + 1}`, norm: c.norm });
  }
  return names;
}

function stageDoc(s: Stage): string {
  const line = (c: Stage['config']) => {
    const parts = [c.block, `k${c.kernels.join('.')}`, `s${c.stride}`, c.mid !== null ? `mid ${c.mid}` : `e${c.expand}`, ...(c.se !== null ? [`se${c.se}`] : []), c.act];
    return `${c.repeats} × ${parts.join(' ')}`;
  };
  return `features.${s.index}: ${s.segments.map(line).join(', then ')}, ${shape(s.inShape)} → ${shape(s.outShape)}.`;
}

/** `export const metadata = { … } as const`: the report's figures. */
function addMetadata(file: SourceFile, g: VariantGraph): void {
  const input = `${g.resolution}×${g.resolution} ${g.input[0] === 3 ? 'RGB' : `${g.input[0]}-channel`} in`;
  const out = g.features.length > 0 ? `feature maps ${g.features.map((f) => `${f.name} (${shape(f.shape)}, stride ${f.stride})`).join(', ')} out` : g.classes > 0 ? `${g.classes} classes out` : `pooled features out`;
  const t = g.preprocess;
  const transform = t ? ` \`preprocess\`: an image's shorter side resized to ${t.resize} (${t.interpolation}), its centre ${t.crop}×${t.crop} cut out and normalised.` : '';
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [
      `${g.family} ${g.variant}: ${input}, ${out}. ` +
        `\`params\` counts trainable parameters (PyTorch's count), \`bnBuffers\` the BatchNorm running statistics, \`macs\` multiply-accumulates per image.` +
        transform,
    ],
    declarations: [
      {
        name: 'metadata',
        initializer: `${literal(modelMetadata(g))} as const`,
      },
    ],
  });
}

/** BatchNorm constants, `stem`, `stage<i>`, `head` and the exported `network`. */
function addNetwork(file: SourceFile, g: VariantGraph): void {
  const m = modelSpec(g);
  const blocks = m.stages.flatMap((s) => s.blocks);
  const convs = [m.stem, ...blocks.flatMap((b) => b.layers.flatMap((l) => (l.kind === 'conv' ? [l.spec] : []))), ...(m.head ? [m.head] : [])];
  const norms = normNames(convs);
  const convLiteral = (c: ConvSpec) => literal({ ...c, norm: c.norm ? new Code(norms.get(`${c.norm.eps}/${c.norm.momentum}`)!.name) : null });
  const layerCall = (l: BlockModel['layers'][number]) => (l.kind === 'conv' ? `b.conv(x, ${convLiteral(l.spec)})` : `b.se(x, ${literal(l.spec)})`);
  const writeBlock = (w: CodeBlockWriter, b: BlockModel) => {
    // dropPath is a product of decimals: 0.0375, not 0.037500000000000006.
    w.write(`x = b.block(x, ${literal({ ...b.spec, dropPath: tidyNumber(b.spec.dropPath) })}, (x) => `).block(() => {
      b.layers.forEach((l, i) => w.writeLine(i === b.layers.length - 1 ? `return ${layerCall(l)};` : `x = ${layerCall(l)};`));
    });
    w.write(');').newLine();
  };

  for (const { name, norm } of norms.values())
    file.addVariableStatement({
      declarationKind: VariableDeclarationKind.Const,
      docs: ['BatchNorm ε and (PyTorch) momentum.'],
      declarations: [{ name, type: 'NormSpec', initializer: literal(norm) }],
    });

  const fn = (name: string, doc: string, body: (w: CodeBlockWriter) => void, isExported = false) =>
    file.addFunction({ isExported, name, docs: [doc], typeParameters: ['T'], parameters: [{ name: 'x', type: 'T' }, { name: 'b', type: 'Builder<T>' }], returnType: 'T', statements: body });
  const fnExported = (name: string, doc: string, body: (w: CodeBlockWriter) => void) => fn(name, doc, body, true);

  fn('stem', `features.0: ${shape(g.stem.inShape)} → ${shape(g.stem.outShape)}.`, (w) => w.writeLine(`return b.conv(x, ${convLiteral(m.stem)});`));
  g.stages.forEach((s, i) =>
    fn(`stage${s.index}`, stageDoc(s), (w) => {
      for (const b of m.stages[i]!.blocks) writeBlock(w, b);
      w.writeLine('return x;');
    }),
  );
  const classifier = m.classifier;
  if (classifier)
    fn('head', `${g.head ? `features.${g.stages.length + 1}: ${shape(g.head.inShape)} → ${shape(g.head.outShape)}, then ` : ''}global average pool and classifier.`, (w) => {
      if (m.head) w.writeLine(`x = b.conv(x, ${convLiteral(m.head)});`);
      w.writeLine(`return b.classifier(x, ${literal({ ...classifier, dropout: tidyNumber(classifier.dropout) })});`);
    });
  const doc = classifier ? "The whole forward pass, against any builder: the variant's tfjs and WGSL modules run it." : 'The backbone up to its last feature map, handing out each feature map (`b.feature`): the variant\'s tfjs and WGSL modules run it.';
  fnExported('network', doc, (w) => {
    w.writeLine('x = stem(x, b);');
    for (const [i, s] of g.stages.entries()) {
      w.writeLine(`x = stage${s.index}(x, b);`);
      const feature = m.stages[i]!.feature;
      if (feature) w.writeLine(`x = b.feature(x, ${literal(feature)});`);
    }
    w.writeLine(classifier ? 'return head(x, b);' : 'return x;');
  });
}

/** Emits a variant's `network.ts`, formatted; `runtimeModule` is where the spec types come from. */
export async function emitNetwork(g: VariantGraph, options: { spec: string; runtimeModule?: string }): Promise<string> {
  const m = modelSpec(g);
  const anyNorm = [m.stem, m.head, ...m.stages.flatMap((s) => s.blocks.flatMap((b) => b.layers.map((l) => (l.kind === 'conv' ? l.spec : null))))].some((c) => c?.norm);
  const file = sourceFile(`${g.family}_${g.variant}.network.ts`);
  file.addImportDeclaration({
    // Types only: the module has no run-time imports.
    isTypeOnly: true,
    moduleSpecifier: options.runtimeModule ?? SPEC_RUNTIME_MODULE,
    namedImports: ['Builder', ...(anyNorm ? ['NormSpec'] : [])],
  });
  addMetadata(file, g);
  addNetwork(file, g);
  return generatedModule(options.spec, file.getFullText());
}

/** A target module's `import { metadata, network } from './network.js'` and its re-export of `metadata`. */
export function importNetwork(file: SourceFile, networkModule = NETWORK_MODULE): void {
  file.addImportDeclaration({ moduleSpecifier: networkModule, namedImports: ['metadata', 'network'] });
  file.addExportDeclaration({ moduleSpecifier: networkModule, namedExports: ['metadata'] });
}

/** `export function loadWeights(bytes, layout = 'torchvision')`, calling the target runtime's binder. */
export function addLoadWeights(file: SourceFile, call: string): void {
  file.addFunction({
    isExported: true,
    name: 'loadWeights',
    docs: ['Binds a safetensors or torch.save (.pth, read without running its pickle) checkpoint (torchvision or timm names); a missing, extra or mis-shaped tensor throws a WeightsError naming it.'],
    parameters: [
      { name: 'bytes', type: 'Uint8Array' },
      { name: 'layout', type: 'Layout', initializer: "'torchvision'" },
    ],
    returnType: 'Weights',
    statements: `return ${call};`,
  });
}

/** A module beside the target runtime: `effnet/runtime/tfjs` → `effnet/runtime/<name>`, `…/runtime/wgsl.js` → `…/runtime/<name>.js`. */
export function siblingModule(runtimeModule: string, name: string): string {
  return runtimeModule.replace(/[^/]*?(\.[cm]?[jt]s)?$/, (_all, ext: string | undefined) => name + (ext ?? ''));
}

/**
 * What a target module offers around running the model, from the runtime beside its own
 * (`runtimeModule`): `preprocess(image)` for an RGB network (its input `[1, size, size, 3]`, NHWC),
 * `labels` (ImageNet's class names) for 1000 classes, `topK(logits)` for a classifier.
 * `atResolution`: the model takes only the variant's resolution (WGSL), so the crop is made at it.
 */
export function addImageExports(file: SourceFile, g: VariantGraph, runtimeModule: string, atResolution: boolean): void {
  const t = g.preprocess;
  const classifier = g.classes > 0 && g.features.length === 0;
  const imagenet = classifier && g.classes === 1000;
  if (!t && !classifier) return;
  file.addImportDeclaration({
    moduleSpecifier: siblingModule(runtimeModule, 'preprocess'),
    namedImports: [
      ...(t ? ['modelPreprocess'] : []),
      ...(classifier ? ['topClasses'] : []),
      ...[...(t ? ['PreprocessOptions', 'RgbImage'] : []), ...(classifier ? ['Prediction'] : [])].map((name) => ({ name, isTypeOnly: true })),
    ],
  });
  if (imagenet) file.addImportDeclaration({ moduleSpecifier: siblingModule(runtimeModule, 'labels'), namedImports: ['IMAGENET_CLASSES'] });
  if (t) {
    const size = atResolution ? g.resolution : t.crop;
    const moved = size === t.crop ? '' : ` (the transform crops ${t.crop}×${t.crop}; this model is planned for ${size}×${size}, so the crop is made at ${size} from the image resized by the same fraction, to ${Math.floor((t.resize * size) / t.crop)})`;
    file.addFunction({
      isExported: true,
      name: 'preprocess',
      docs: [
        `An RGB image (ImageData, or \`{ data, width, height }\` with RGBA or RGB bytes) as this model's input, as torchvision's ImageClassification transform makes it (antialiased): ` +
          `the shorter side resized to ${t.resize} (${t.interpolation}), the centre ${t.crop}×${t.crop} cut out, scaled to [0, 1] and normalised with mean ${JSON.stringify(t.mean)} and std ${JSON.stringify(t.std)}${moved}. ` +
          `A Float32Array \`[1, ${size}, ${size}, 3]\` (NHWC, what the model takes); \`options.layout: 'nchw'\` gives \`[1, 3, ${size}, ${size}]\`.`,
      ],
      parameters: [
        { name: 'image', type: 'RgbImage' },
        { name: 'options', type: 'PreprocessOptions', initializer: '{}' },
      ],
      returnType: 'Float32Array',
      statements: `return modelPreprocess(metadata, image, ${atResolution ? '{ size: metadata.resolution, ...options }' : 'options'});`,
    });
  }
  if (imagenet)
    file.addVariableStatement({
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: ["ImageNet-1k's class names by class index, as torchvision names them (`labels[281]` is `tabby`)."],
      declarations: [{ name: 'labels', type: 'readonly string[]', initializer: 'IMAGENET_CLASSES' }],
    });
  if (classifier)
    file.addFunction({
      isExported: true,
      name: 'topK',
      docs: [`The \`k\` most probable classes of image \`image\` in this model's logits \`[N, ${g.classes}]\`: softmax probabilities, highest first${imagenet ? ', with their names' : ''}.`],
      parameters: [
        { name: 'logits', type: 'ArrayLike<number>' },
        { name: 'k', initializer: '5' },
        { name: 'image', initializer: '0' },
      ],
      returnType: 'Prediction[]',
      statements: `return topClasses(logits, metadata.classes, { k, image${imagenet ? ', labels' : ''} });`,
    });
}
