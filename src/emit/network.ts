import { modelMetadata } from '../cost/metadata.js';
import type { Shape, Stage, VariantGraph } from '../graph/graph.js';
import { modelSpec, type BlockModel } from '../graph/model-spec.js';
import type { ConvSpec, ModelMetadata, NormSpec } from '../runtime/spec.js';
import { tsBanner, tsString } from './escape.js';
import { callStatement, flat, layout, NotCanonical, PRINT_WIDTH } from './layout.js';
import { Code, generatedModule, literal, sourceFile, tidyNumber, VariableDeclarationKind, type CodeWriter, type TsFile } from './typescript.js';

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

/** A statement of a layer function: `lead callee(args)` or, with `body`, `lead callee(args, (x) => { body })`. */
interface Call {
  lead: 'x = ' | 'return ';
  callee: string;
  args: unknown[];
  body?: Statement[];
}
type Statement = Call | string;

interface LayerFunction {
  name: string;
  doc: string;
  exported: boolean;
  body: Statement[];
}

/** `network.ts` as data: laid out by prettier's rules directly (printNetwork), or through prettier (rawNetwork). */
interface NetworkModule {
  runtimeModule: string;
  imports: string[];
  metadataDoc: string;
  metadata: ModelMetadata;
  norms: { name: string; norm: NormSpec }[];
  functions: LayerFunction[];
}

const X = new Code('x');

function networkModule(g: VariantGraph, runtimeModule: string): NetworkModule {
  const m = modelSpec(g);
  const blocks = m.stages.flatMap((s) => s.blocks);
  const convs = [m.stem, ...blocks.flatMap((b) => b.layers.flatMap((l) => (l.kind === 'conv' ? [l.spec] : []))), ...(m.head ? [m.head] : [])];
  const norms = normNames(convs);
  const convValue = (c: ConvSpec) => ({ ...c, norm: c.norm ? new Code(norms.get(`${c.norm.eps}/${c.norm.momentum}`)!.name) : null });
  const layerCall = (l: BlockModel['layers'][number], lead: Call['lead']): Call =>
    l.kind === 'conv' ? { lead, callee: 'b.conv', args: [X, convValue(l.spec)] } : { lead, callee: 'b.se', args: [X, l.spec] };
  const blockCall = (b: BlockModel): Call => ({
    lead: 'x = ',
    callee: 'b.block',
    // dropPath is a product of decimals: 0.0375, not 0.037500000000000006.
    args: [X, { ...b.spec, dropPath: tidyNumber(b.spec.dropPath) }],
    body: b.layers.map((l, i) => layerCall(l, i === b.layers.length - 1 ? 'return ' : 'x = ')),
  });

  const input = `${g.resolution}×${g.resolution} ${g.input[0] === 3 ? 'RGB' : `${g.input[0]}-channel`} in`;
  const out = g.features.length > 0 ? `feature maps ${g.features.map((f) => `${f.name} (${shape(f.shape)}, stride ${f.stride})`).join(', ')} out` : g.classes > 0 ? `${g.classes} classes out` : `pooled features out`;
  const t = g.preprocess;
  const transform = t ? ` \`preprocess\`: an image's shorter side resized to ${t.resize} (${t.interpolation}), its centre ${t.crop}×${t.crop} cut out and normalised.` : '';

  const functions: LayerFunction[] = [];
  const fn = (name: string, doc: string, body: Statement[], exported = false) => functions.push({ name, doc, exported, body });
  fn('stem', `features.0: ${shape(g.stem.inShape)} → ${shape(g.stem.outShape)}.`, [{ lead: 'return ', callee: 'b.conv', args: [X, convValue(m.stem)] }]);
  g.stages.forEach((s, i) => fn(`stage${s.index}`, stageDoc(s), [...m.stages[i]!.blocks.map(blockCall), 'return x;']));
  const classifier = m.classifier;
  if (classifier)
    fn('head', `${g.head ? `features.${g.stages.length + 1}: ${shape(g.head.inShape)} → ${shape(g.head.outShape)}, then ` : ''}global average pool and classifier.`, [
      ...(m.head ? [{ lead: 'x = ', callee: 'b.conv', args: [X, convValue(m.head)] } satisfies Call] : []),
      { lead: 'return ', callee: 'b.classifier', args: [X, { ...classifier, dropout: tidyNumber(classifier.dropout) }] },
    ]);
  const doc = classifier ? "The whole forward pass, against any builder: the variant's tfjs and WGSL modules run it." : 'The backbone up to its last feature map, handing out each feature map (`b.feature`): the variant\'s tfjs and WGSL modules run it.';
  fn(
    'network',
    doc,
    [
      'x = stem(x, b);',
      ...g.stages.flatMap((s, i): Statement[] => {
        const feature = m.stages[i]!.feature;
        return [`x = stage${s.index}(x, b);`, ...(feature ? [{ lead: 'x = ', callee: 'b.feature', args: [X, feature] } satisfies Call] : [])];
      }),
      classifier ? 'return head(x, b);' : 'return x;',
    ],
    true,
  );
  return {
    runtimeModule,
    // Types only: the module has no run-time imports.
    imports: ['Builder', ...(convs.some((c) => c.norm) ? ['NormSpec'] : [])],
    metadataDoc:
      `${g.family} ${g.variant}: ${input}, ${out}. ` +
      `\`params\` counts trainable parameters (PyTorch's count), \`bnBuffers\` the BatchNorm running statistics, \`macs\` multiply-accumulates per image.` +
      transform,
    metadata: modelMetadata(g),
    norms: [...norms.values()],
    functions,
  };
}

const SIGNATURE = '<T>(x: T, b: Builder<T>): T';
const NORM_DOC = 'BatchNorm ε and (PyTorch) momentum.';

function docLine(doc: string): string {
  // A doc that would end its comment early or span lines: left to prettier.
  if (doc.includes('\n') || doc.includes('*/')) throw new NotCanonical('a doc comment');
  return `/** ${doc} */`;
}

/** Statements as prettier prints them at `indent`. */
function printStatements(body: readonly Statement[], indent: number): string[] {
  const pad = ' '.repeat(indent);
  return body.flatMap((s): string[] => {
    if (typeof s === 'string') return [`${pad}${s}`];
    if (!s.body) return [callStatement(indent, s.lead, s.callee, s.args, ';')];
    // The arrow function is hugged: the other arguments on the first line, flat.
    const firsts = s.args.map(flat);
    const opening = `${pad}${s.lead}${s.callee}(${firsts.join(', ')}, (x) => {`;
    if (firsts.some((a) => a === undefined) || opening.length > PRINT_WIDTH) throw new NotCanonical(`a long call of ${s.callee}`);
    return [opening, ...printStatements(s.body, indent + 2), `${pad}});`];
  });
}

/** The module laid out as prettier lays it out; NotCanonical where that layout is not modelled. */
function printNetwork(n: NetworkModule): string {
  const importLine = `import type { ${n.imports.join(', ')} } from ${tsString(n.runtimeModule)};`;
  if (n.runtimeModule.includes("'") || !/^[\x20-\x7e]*$/.test(importLine) || importLine.length > PRINT_WIDTH) throw new NotCanonical('an import');
  const metadataLead = 'export const metadata = ';
  const lines = [importLine, '', docLine(n.metadataDoc), `${metadataLead}${layout(n.metadata, metadataLead.length, 0, ' as const;'.length)} as const;`];
  for (const { name, norm } of n.norms) {
    const lead = `const ${name}: NormSpec = `;
    lines.push(docLine(NORM_DOC), `${lead}${layout(norm, lead.length, 0, 1)};`);
  }
  for (const f of n.functions) lines.push('', docLine(f.doc), `${f.exported ? 'export ' : ''}function ${f.name}${SIGNATURE} {`, ...printStatements(f.body, 2), '}');
  return `${lines.join('\n')}\n`;
}

/** The module as plain code for prettier to lay out. */
function rawNetwork(n: NetworkModule): string {
  const file = sourceFile('network.ts');
  file.addImportDeclaration({ isTypeOnly: true, moduleSpecifier: n.runtimeModule, namedImports: n.imports });
  file.addVariableStatement({ isExported: true, docs: [n.metadataDoc], declarations: [{ name: 'metadata', initializer: `${literal(n.metadata)} as const` }] });
  for (const { name, norm } of n.norms) file.addVariableStatement({ docs: [NORM_DOC], declarations: [{ name, type: 'NormSpec', initializer: literal(norm) }] });
  const call = (s: Call) => `${s.lead}${s.callee}(${s.args.map(literal).join(', ')}`;
  const write = (w: CodeWriter, body: readonly Statement[]): void => {
    for (const s of body) {
      if (typeof s === 'string') w.writeLine(s);
      else if (!s.body) w.writeLine(`${call(s)});`);
      else {
        w.write(`${call(s)}, (x) => `).block(() => write(w, s.body!));
        w.write(');').newLine();
      }
    }
  };
  for (const f of n.functions)
    file.addFunction({
      isExported: f.exported,
      name: f.name,
      docs: [f.doc],
      typeParameters: ['T'],
      parameters: [
        { name: 'x', type: 'T' },
        { name: 'b', type: 'Builder<T>' },
      ],
      returnType: 'T',
      statements: (w) => write(w, f.body),
    });
  return file.getFullText();
}

/** A variant's `network.ts` laid out without prettier, or undefined where its layout is not modelled (emitNetwork then uses prettier). */
export function networkLaidOut(g: VariantGraph, options: { spec: string; runtimeModule?: string }): string | undefined {
  try {
    return `${tsBanner(options.spec)}\n\n${printNetwork(networkModule(g, options.runtimeModule ?? SPEC_RUNTIME_MODULE))}`;
  } catch (e) {
    if (e instanceof NotCanonical) return undefined;
    throw e;
  }
}

/**
 * Emits a variant's `network.ts`, formatted; `runtimeModule` is where the spec types come from.
 * It is most of generate's bytes and prettier's slowest file, so it is laid out directly when
 * every part of it has a known layout (networkLaidOut), else formatted by prettier
 * (`viaPrettier` forces that); both give the same text (test/generate-fast.test.ts).
 */
export async function emitNetwork(g: VariantGraph, options: { spec: string; runtimeModule?: string; viaPrettier?: boolean }): Promise<string> {
  const direct = options.viaPrettier === true ? undefined : networkLaidOut(g, options);
  return direct ?? generatedModule(options.spec, rawNetwork(networkModule(g, options.runtimeModule ?? SPEC_RUNTIME_MODULE)));
}

/** A target module's `import { metadata, network } from './network.js'` and its re-export of `metadata`. */
export function importNetwork(file: TsFile, networkModule = NETWORK_MODULE): void {
  file.addImportDeclaration({ moduleSpecifier: networkModule, namedImports: ['metadata', 'network'] });
  file.addExportDeclaration({ moduleSpecifier: networkModule, namedExports: ['metadata'] });
}

/** `export function loadWeights(bytes, layout = 'torchvision')`, calling the target runtime's binder. */
export function addLoadWeights(file: TsFile, call: string): void {
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
export function addImageExports(file: TsFile, g: VariantGraph, runtimeModule: string, atResolution: boolean): void {
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
