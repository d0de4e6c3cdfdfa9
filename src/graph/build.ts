import type { DiagnosticSink } from '../diagnostics/diagnostic.js';
import type { LayerMaker } from '../blocks/kind.js';
import { blockKind } from '../blocks/registry.js';
import type { FamilyIR, NetworkIR, StageIR, VariantIR } from '../ir/ir.js';
import { resolvePreprocess } from '../ir/preprocess.js';
import type { Block, BlockLayer, Classifier, ScaledStage, Shape, Stage, VariantGraph } from './graph.js';
import { convLayer, linearLayer, seLayer } from './layers.js';
import { activationBytes, BYTES_PER_VALUE, shapeBytes } from './memory.js';
import { makeDivisible, roundHalfEven, scaleRepeats } from './rounding.js';
import { checkTargets } from './targets.js';

export interface GraphLimits {
  /** Refuse variants with more trainable parameters than this. */
  maxParams: number;
  /** Refuse variants whose activations (float32, one image, all layer outputs) exceed this. */
  maxActivationBytes: number;
  /** Refuse variants with more blocks than this. */
  maxBlocks: number;
}

export const DEFAULT_LIMITS: GraphLimits = {
  maxParams: 2e9,
  maxActivationBytes: 64 * 2 ** 30,
  maxBlocks: 10_000,
};

function scaleChannels(c: number, net: NetworkIR, width: number, fixed: boolean, growOnly = false): number {
  if (fixed) return c;
  if (growOnly) width = Math.max(1, width);
  const { divisor, min, limit } = net.rounding.channels;
  return makeDivisible(c * width, divisor, min, limit);
}

/** Width and depth scaling of one stage; cheap, no layers built. */
export function scaleStage(s: StageIR, net: NetworkIR, v: Pick<VariantIR, 'width' | 'depth'>): ScaledStage {
  const ch = (c: number) => scaleChannels(c, net, v.width, s.fixedWidth);
  return {
    block: s.block,
    kernels: s.kernels,
    stride: s.stride,
    dilation: s.dilation,
    expand: s.expand,
    channels: ch(s.channels),
    repeats: s.fixedDepth ? s.repeats : scaleRepeats(s.repeats, v.depth, net.rounding.repeats),
    se: s.se,
    act: s.act ?? net.activation,
    skip: s.skip,
    mid: s.mid === null ? null : ch(s.mid),
    expandFrom: s.expandFrom === null ? null : ch(s.expandFrom),
    groups: s.groups,
    groupSize: s.groupSize,
    expandSplit: s.expandSplit,
    projectSplit: s.projectSplit,
    keepExpand: s.keepExpand,
    baseChannels: s.channels,
    baseRepeats: s.repeats,
  };
}

interface BlockArgs {
  stage: ScaledStage;
  /** The block's own stride and its spatial convolution's dilation (after `output_stride`). */
  stride: number;
  dilation: number;
  stageIndex: number;
  index: number;
  globalIndex: number;
  totalBlocks: number;
  inShape: Shape;
  net: NetworkIR;
}

/**
 * torchvision's MNASNet keeps everything in one Sequential, `layers`: the stem conv and norm
 * (0, 1), the first stage's depthwise separable convs inline (3, 4 and 6, 7), the other stages'
 * blocks as `layers.<stage + 6>.<i>.layers.{0,1 | 3,4 | 6,7}`, the head conv (stages + 7).
 */
function mnasnetNames(stageIndex: number, index: number, part: number): [string, string] {
  const at = 3 * part;
  return stageIndex === 1 ? [`layers.${at + 3}`, `layers.${at + 4}`] : [`layers.${stageIndex + 6}.${index}.layers.${at}`, `layers.${stageIndex + 6}.${index}.layers.${at + 1}`];
}

/** A block the stage's settings cannot make at these channel counts (groups that do not divide them). */
export class BlockError extends Error {}
/** A SAME-padded mixed convolution with a split kernel smaller than its stride. */
class MixedSameError extends BlockError {}

/** Expanded channels: explicit `mid`, or make_divisible(base · e) with base the input or `expand_from`. */
function midChannels(s: ScaledStage, inChannels: number, net: NetworkIR): number {
  if (!blockKind(s.block).expands) return inChannels;
  if (s.mid !== null) return s.mid;
  const base = s.expandFrom ?? inChannels;
  const { divisor, min, limit } = net.rounding.channels;
  return makeDivisible(base * s.expand, divisor, min, limit);
}

/** `expanded` squeezes from the channels the SE runs on (mid, or the output of a collapsed fused block). */
function squeezeChannels(s: ScaledStage, inChannels: number, seChannels: number, net: NetworkIR): number {
  const base = net.se.squeezeFrom === 'input' ? inChannels : seChannels;
  const raw = Math.floor(base * s.se!);
  return net.se.divisor === null ? Math.max(1, raw) : makeDivisible(raw, net.se.divisor);
}

/** The group count of a block's spatial convolution from the stage's `groups` / `group_size`. */
function spatialGroups(s: ScaledStage, inC: number, outC: number, depthwise: boolean): { depthwise: boolean; groups: number } {
  if (s.groupSize === null && s.groups === null) return { depthwise, groups: depthwise ? inC : 1 };
  const groups = s.groupSize !== null ? inC / s.groupSize : s.groups!;
  const what = s.groupSize !== null ? `group_size ${s.groupSize}` : `groups ${s.groups}`;
  if (!Number.isInteger(groups) || inC % groups !== 0 || outC % groups !== 0)
    throw new BlockError(`${what} does not divide the convolution's ${inC} input and ${outC} output channels`);
  return { depthwise: groups === inC && groups === outC, groups };
}

/**
 * The layers of one block, laid out by its kind (src/blocks/) and named as
 * torchvision names them (`naming`): EfficientNet nests blocks in stages,
 * `features.<stage>.<i>.block.<j>`; MobileNetV3 numbers blocks across the
 * network, `features.<n>.block.<j>`; MobileNetV2 too, `features.<n>.conv.<j>`,
 * its project conv and BatchNorm two parts. j counts the parts that exist.
 */
export function buildBlock(a: BlockArgs): Block {
  const { stage: s, net } = a;
  const name = net.naming === 'efficientnet' ? `features.${a.stageIndex}.${a.index}` : `features.${a.globalIndex + 1}`;
  const parts = net.naming === 'mobilenet_v2' ? 'conv' : 'block';
  const stride = a.stride;
  const inC = a.inShape[0];
  const mid = midChannels(s, inC, net);
  const layers: BlockLayer[] = [];
  let shape = a.inShape;
  const part = () => `${name}.${parts}.${layers.length}`;
  const make: LayerMaker = {
    conv(role, outChannels, r) {
      const splits = r.kernels.length > 1 ? r.kernels.length : (r.split ?? 1);
      const stride = r.stride ?? 1;
      // Each split of timm's SAME MixedConv2d pads for its own kernel; one smaller than the stride
      // gets none, which the one-kernel form (the largest, splits centred in it) cannot say.
      if (r.kernels.length > 1 && net.padding === 'same' && Math.min(...r.kernels) < stride)
        throw new MixedSameError(`the k${Math.min(...r.kernels)} split of a SAME-padded mixed convolution at stride ${stride} is not supported`);
      if (splits > 1 && Math.min(shape[0], outChannels) < splits)
        throw new BlockError(`${splits} channel splits need at least ${splits} channels, but the ${role} convolution has ${shape[0]} in and ${outChannels} out`);
      const grouping = r.spatial ? spatialGroups(s, shape[0], outChannels, r.depthwise === true) : { depthwise: r.depthwise === true, groups: r.depthwise ? shape[0] : 1 };
      const l = convLayer({
        name: part(),
        role,
        inShape: shape,
        outChannels,
        kernel: r.kernels,
        stride,
        dilation: r.spatial ? a.dilation : 1,
        depthwise: grouping.depthwise,
        groups: grouping.groups,
        split: r.split ?? 1,
        padding: net.padding,
        norm: net.norm,
        act: r.act,
      });
      // MobileNetV2's project is a bare Conv2d and a BatchNorm2d, side by side: two parts.
      if (net.naming === 'mobilenet_v2' && role === 'project') l.checkpoint = [l.name, `${name}.${parts}.${layers.length + 1}`];
      if (net.naming === 'mnasnet') l.checkpoint = mnasnetNames(a.stageIndex, a.index, layers.length);
      layers.push(l);
      shape = l.outShape;
    },
    se() {
      if (s.se === null) return;
      layers.push(seLayer(part(), shape, squeezeChannels(s, inC, shape[0], net), net.se.act ?? s.act, net.se.gate));
    },
  };
  blockKind(s.block).layers({ config: s, in: inC, mid, stride }, make);
  const possible = stride === 1 && inC === s.channels;
  return {
    name,
    type: s.block,
    index: a.index,
    globalIndex: a.globalIndex,
    inShape: a.inShape,
    outShape: shape,
    mid,
    layers,
    residual: s.skip !== 'off' && possible,
    dropPath: (net.dropPath * a.globalIndex) / a.totalBlocks,
  };
}

/** Stride and dilation of one stage line's first block and of the rest. */
interface LineStrides {
  stride: number;
  firstDilation: number;
  restDilation: number;
  /** Input pixels per pixel after the line. */
  reduction: number;
}

/**
 * timm's `output_stride`: once the reduction would pass it, a stride becomes 1 and the blocks
 * after (not the one that lost its stride) dilate by it instead. The stage's own dilation multiplies.
 */
function lineStrides(lines: ScaledStage[], continues: boolean[], stemStride: number, outputStride: number | null): LineStrides[] {
  let reduction = stemStride;
  let dilation = 1;
  return lines.map((s, i) => {
    // Only a stage's first block strides (a `then` line continues at stride 1), as in timm's builder.
    let stride = continues[i] ? 1 : s.stride;
    let next = dilation;
    if (stride > 1 && outputStride !== null && reduction * stride > outputStride) {
      next = dilation * stride;
      stride = 1;
    }
    reduction *= stride;
    const line = { stride, firstDilation: dilation * s.dilation, restDilation: next * s.dilation, reduction };
    dilation = next;
    return line;
  });
}

/** Stage lines grouped into stages: a `then` line joins the stage before it. */
function segmentedStages(stages: readonly StageIR[]): number[][] {
  const groups: number[][] = [];
  for (const [i, s] of stages.entries()) {
    if (s.continues && groups.length > 0) groups.at(-1)!.push(i);
    else groups.push([i]);
  }
  return groups;
}

/**
 * Depth scaling of a stage written in several lines, as timm's `_scale_stage_depth` does: the
 * stage's total repeats are scaled, then handed back to its lines from the last one, each
 * its share (Python's round) and at least 1. One line keeps its own scaled repeats.
 */
function distributeRepeats(segments: ScaledStage[], lines: StageIR[], depth: number, net: NetworkIR): void {
  if (segments.length < 2 || lines.every((l) => l.fixedDepth)) return;
  let left = lines.reduce((a, l) => a + l.repeats, 0);
  let scaled = scaleRepeats(left, depth, net.rounding.repeats);
  for (let j = segments.length - 1; j >= 0; j--) {
    const r = lines[j]!.repeats;
    const share = Math.max(1, roundHalfEven((r / left) * scaled));
    segments[j]!.repeats = share;
    left -= r;
    scaled -= share;
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Pooled features, hidden features and logits. */
export function classifierBytes(c: Classifier): number {
  return (c.poolShape[0] + (c.hidden?.outFeatures ?? 0) + (c.linear?.outFeatures ?? 0)) * BYTES_PER_VALUE;
}

/** Global pool, the optional hidden layer and the final linear layer (none for `classes 0`). */
function classifierOf(features: number, net: NetworkIR, width: number): Classifier {
  const cls = net.classifier;
  const hidden = cls.hidden === null ? null : linearLayer('classifier.0', features, scaleChannels(cls.hidden, net, width, cls.hiddenFixedWidth), cls.act ?? net.activation);
  const linear = net.classes === 0 ? null : linearLayer(hidden ? 'classifier.3' : 'classifier.1', hidden?.outFeatures ?? features, net.classes, 'identity');
  return { poolShape: [features, 1, 1], hidden, dropout: cls.dropout, linear };
}

/**
 * Scale one variant into its layer graph. Sizes are checked on two blocks per
 * stage (the rest repeat the second) before any other layer is built.
 */
export function buildVariant(family: FamilyIR, v: VariantIR, sink: DiagnosticSink, limits: GraphLimits = DEFAULT_LIMITS): VariantGraph | undefined {
  const net = v.network;
  const at = v.range;
  const who = `variant \`${v.name}\``;
  const stemIR = net.stem!;
  const stemChannels = scaleChannels(stemIR.channels, net, v.width, stemIR.fixedWidth, stemIR.growOnly);
  const scaled = net.stages.map((s) => scaleStage(s, net, v));
  // Stage number (1-based) and block offset of each stage line: `then` lines continue a stage.
  const grouped = segmentedStages(net.stages);
  // Stage number (1-based) and first block index of each stage line.
  const stageOf: number[] = [];
  const offsetOf: number[] = [];
  for (const [g, lines] of grouped.entries()) {
    distributeRepeats(lines.map((i) => scaled[i]!), lines.map((i) => net.stages[i]!), v.depth, net);
    let offset = 0;
    for (const i of lines) {
      stageOf[i] = g + 1;
      offsetOf[i] = offset;
      offset += scaled[i]!.repeats;
    }
  }
  const stageCount = grouped.length;
  // A feature network ends at its last tapped stage.
  const tapped = net.features?.stages ?? [];
  if (tapped.length > 0 && tapped.at(-1)! > stageCount) {
    const beyond = tapped.findIndex((n) => n > stageCount);
    const stages = stageCount === 1 ? 'one stage' : `${stageCount} stages`;
    sink.error('E049', net.features!.ranges[beyond]!, `${who}: feature stage ${tapped[beyond]} is beyond the network's ${stages}`, `tap stages 1 to ${stageCount}; the report numbers them`);
    return undefined;
  }
  const lastStage = tapped.at(-1) ?? stageCount;
  const strides = lineStrides(scaled, offsetOf.map((o) => o > 0), stemIR.stride, net.outputStride);

  const totalStride = stemIR.stride * scaled.reduce((p, s) => p * s.stride, 1) * (net.head?.stride ?? 1);
  if (v.resolution < totalStride) {
    sink.error('E040', at, `${who}: resolution ${v.resolution} is smaller than the network's total stride ${totalStride}`, `use a resolution of at least ${totalStride}`);
    return undefined;
  }
  const totalBlocks = sum(scaled.map((s) => s.repeats));
  if (totalBlocks > limits.maxBlocks) {
    sink.error('E043', at, `${who} has ${totalBlocks} blocks, more than the limit of ${limits.maxBlocks}`, 'check the depth multiplier and the repeats');
    return undefined;
  }

  const preprocess = resolvePreprocess(net.preprocess, v.resolution, net.inputChannels, who, sink);
  if (preprocess === undefined) return undefined;

  const input: Shape = [net.inputChannels, v.resolution, v.resolution];
  const stem = convLayer({ name: 'features.0', role: 'stem', inShape: input, outChannels: stemChannels, kernel: stemIR.kernel, stride: stemIR.stride, padding: net.padding, norm: net.norm, act: stemIR.act ?? net.activation });
  if (net.naming === 'mnasnet') stem.checkpoint = ['layers.0', 'layers.1'];

  // Pre-flight: first and second block of each stage stand for all of them.
  let shape = stem.outShape;
  let params = stem.params;
  let bytes = shapeBytes(input) + activationBytes([stem]);
  let globalIndex = 0;
  const samples: Block[][] = [];
  for (const [i, s] of scaled.entries()) {
    if (stageOf[i]! > lastStage) break;
    const args = { stage: s, stageIndex: stageOf[i]!, totalBlocks, net };
    const at0 = offsetOf[i]!;
    const line = strides[i]!;
    let first: Block;
    let rest: Block | undefined;
    try {
      first = buildBlock({ ...args, stride: line.stride, dilation: line.firstDilation, index: at0, globalIndex, inShape: shape });
      rest = s.repeats > 1 ? buildBlock({ ...args, stride: 1, dilation: line.restDilation, index: at0 + 1, globalIndex: globalIndex + 1, inShape: first.outShape }) : undefined;
    } catch (e) {
      if (!(e instanceof BlockError)) throw e;
      if (e instanceof MixedSameError) {
        sink.error('E050', net.stages[i]!.range, `${who}, stage ${stageOf[i]}: ${e.message}`, 'make every kernel of the list at least the stride (`k3.5.7`), or use `padding symmetric`');
        return undefined;
      }
      sink.error('E047', net.stages[i]!.range, `${who}, stage ${stageOf[i]}: ${e.message}`, 'channel counts after width scaling must be divisible by the group count and at least the number of splits; `group_size` follows the width');
      return undefined;
    }
    const figures = (b: Block) => ({ params: sum(b.layers.map((l) => l.params)), bytes: activationBytes(b.layers) });
    const f1 = figures(first);
    const f2 = rest ? figures(rest) : { params: 0, bytes: 0 };
    params += f1.params + (s.repeats - 1) * f2.params;
    bytes += f1.bytes + (s.repeats - 1) * f2.bytes;
    samples.push(rest ? [first, rest] : [first]);
    shape = (rest ?? first).outShape;
    globalIndex += s.repeats;
    const stageIR = net.stages[i]!;
    if (stageIR.skip === 'on' && [first, rest].some((b) => b !== undefined && !b.residual)) {
      sink.error('E044', stageIR.range, `${who}: \`skip on\` needs stride 1 and equal input and output channels`, `stage ${stageOf[i]} goes from ${first.inShape[0]} to ${s.channels} channels with stride ${s.stride}; use \`skip auto\``);
      return undefined;
    }
  }
  const headIR = tapped.length > 0 ? null : net.head;
  const head = headIR
    ? convLayer({ name: `features.${net.naming === 'efficientnet' ? stageCount + 1 : totalBlocks + 1}`, role: 'head', inShape: shape, outChannels: scaleChannels(headIR.channels, net, v.width, headIR.fixedWidth, headIR.growOnly), kernel: headIR.kernel, stride: headIR.stride, padding: net.padding, norm: net.norm, act: headIR.act ?? net.activation })
    : null;
  if (head && net.naming === 'mnasnet') head.checkpoint = [`layers.${stageCount + 7}`, `layers.${stageCount + 8}`];
  const classifier = tapped.length > 0 ? null : classifierOf((head?.outShape ?? shape)[0], net, v.width);
  for (const l of [head, classifier?.hidden, classifier?.linear]) params += l?.params ?? 0;
  bytes += (head ? shapeBytes(head.outShape) : 0) + (classifier ? classifierBytes(classifier) : 0);
  if (params > limits.maxParams) {
    sink.error('E041', at, `${who} would have ${Math.round(params).toLocaleString('en-US')} parameters, more than the limit of ${limits.maxParams.toLocaleString('en-US')}`, 'check the width multiplier and the channel counts');
    return undefined;
  }
  if (bytes > limits.maxActivationBytes) {
    // MiB, the unit of --max-activation-mib.
    const mib = (x: number) => Math.ceil(x / 2 ** 20).toLocaleString('en-US');
    sink.error('E042', at, `${who} would need ${mib(bytes)} MiB of activations for one image (float32), more than the limit of ${mib(limits.maxActivationBytes)} MiB`, 'check the resolution; the limit is set with --max-activation-mib');
    return undefined;
  }

  // Materialise every block.
  const stages: Stage[] = [];
  shape = stem.outShape;
  globalIndex = 0;
  for (const [i, s] of scaled.entries()) {
    if (stageOf[i]! > lastStage) break;
    const continued = stageOf[i] === stages.at(-1)?.index;
    const stage: Stage = continued ? stages.at(-1)! : { index: stageOf[i]!, config: s, segments: [], inShape: shape, outShape: shape, blocks: [] };
    if (!continued) stages.push(stage);
    stage.segments.push(s);
    for (let b = 0; b < s.repeats; b++) {
      const block = samples[i]![b] ?? buildBlock({ stage: s, stride: 1, dilation: strides[i]!.restDilation, stageIndex: stageOf[i]!, index: offsetOf[i]! + b, globalIndex, totalBlocks, inShape: shape, net });
      block.line = i;
      stage.blocks.push(block);
      shape = block.outShape;
      globalIndex++;
    }
    stage.outShape = shape;
  }

  const graph: VariantGraph = {
    family: family.name,
    variant: v.name,
    phi: v.phi,
    width: v.width,
    depth: v.depth,
    resolution: v.resolution,
    input,
    classes: classifier?.linear?.outFeatures ?? 0,
    padding: net.padding,
    naming: net.naming,
    norm: net.norm,
    dropPath: net.dropPath,
    stem,
    stages,
    head,
    classifier,
    features: tapped.map((n) => {
      const stage = stages[n - 1]!;
      return { stage: n, name: `features.${n}`, shape: stage.outShape, stride: strides[stage.blocks.at(-1)!.line!]!.reduction };
    }),
    outputStride: net.outputStride,
    preprocess,
  };
  return checkTargets(graph, net, at, sink) ? graph : undefined;
}

/** Every variant's graph; a variant that fails its checks is left out with a diagnostic. */
export function buildFamily(family: FamilyIR, sink: DiagnosticSink, limits: GraphLimits = DEFAULT_LIMITS): VariantGraph[] {
  return family.variants.flatMap((v) => buildVariant(family, v, sink, limits) ?? []);
}
