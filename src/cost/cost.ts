import type { Block, BlockLayer, LinearLayer, Shape, VariantGraph } from '../graph/graph.js';
import { BYTES_PER_VALUE, shapeBytes } from '../graph/memory.js';

// Aggregates the layers' intrinsic figures per stage and per variant, and
// walks the graph once for activation memory.

export const MACS_DEFINITION =
  'MACs are multiply-accumulates for one image: conv out_elements·(in_channels/groups)·kh·kw, linear in·out; ' +
  'bias adds, BatchNorm, activations, pooling and element-wise ops are not counted. The EfficientNet paper\'s ' +
  '"FLOPS" and torchvision\'s "GFLOPS" are MACs. FLOPs = 2·MACs.';

export const PARAMS_DEFINITION =
  'Parameters are trainable weights (BatchNorm gamma and beta included); BatchNorm running mean and variance are ' +
  'buffers and are counted separately.';

export const MEMORY_DEFINITION =
  'Activation memory is float32 for one image: "total" sums the input and every layer output (what a training ' +
  'step keeps), "peak" is the most held at once by an inference that frees each tensor after its last use ' +
  '(residual inputs stay alive until their add; the add is in place).';

export interface LayerCost {
  name: string;
  type: 'conv' | 'se' | 'linear';
  role: string;
  /** features index (0 stem … N+1 head); classifier rows use N+2. */
  stage: number;
  block: number | null;
  inShape: Shape;
  outShape: Shape;
  /** A kernel size, or a mixed convolution's sizes joined by dots (`3.5.7`). */
  kernel: number | string | null;
  stride: number | null;
  groups: number | null;
  act: string;
  params: number;
  bnBuffers: number;
  macs: number;
}

export interface StageCost {
  index: number;
  role: 'stem' | 'stage' | 'head' | 'classifier';
  block: string;
  /** A kernel size, or a mixed convolution's sizes joined by dots (`3.5.7`). */
  kernel: number | string | null;
  /** The stride the stage takes (1 where `output_stride` turned it into dilation). */
  stride: number | null;
  /** Dilation of the stage's last block (`dilation`, `output_stride`): absent when 1. */
  dilation?: number;
  expand: number | null;
  channels: number;
  repeats: number;
  outShape: Shape;
  params: number;
  bnBuffers: number;
  macs: number;
}

/** A feature map a feature network hands out. */
export interface FeatureCost {
  name: string;
  stage: number;
  channels: number;
  /** Input pixels per feature pixel. */
  stride: number;
  outShape: Shape;
}

export interface VariantCost {
  name: string;
  resolution: number;
  inputChannels: number;
  /** `output_stride`, when the spec sets one. */
  outputStride: number | null;
  /** A feature network's outputs; empty for a classifier. */
  features: FeatureCost[];
  width: number;
  depth: number;
  phi: number | null;
  params: number;
  bnBuffers: number;
  macs: number;
  flops: number;
  /** Total activation bytes (see MEMORY_DEFINITION). */
  activationBytes: number;
  peakActivationBytes: number;
  stages: StageCost[];
  layers: LayerCost[];
}

const total = (xs: { params: number; bnBuffers: number; macs: number }[]) =>
  xs.reduce((a, x) => ({ params: a.params + x.params, bnBuffers: a.bnBuffers + x.bnBuffers, macs: a.macs + x.macs }), {
    params: 0,
    bnBuffers: 0,
    macs: 0,
  });

function layerCost(l: BlockLayer, stage: number, block: number | null): LayerCost {
  return {
    name: l.name,
    type: l.op,
    role: l.role,
    stage,
    block,
    inShape: l.inShape,
    outShape: l.outShape,
    kernel: l.op === 'conv' ? (l.splits ? kernelLabel(l.splits.map((p) => p.kernel)) : l.kernel) : null,
    stride: l.op === 'conv' ? l.stride : null,
    groups: l.op === 'conv' ? l.groups : null,
    act: l.act,
    params: l.params,
    bnBuffers: l.bnBuffers,
    macs: l.macs,
  };
}

function linearCost(l: LinearLayer, stage: number, role: string): LayerCost {
  return {
    name: l.name,
    type: 'linear',
    role,
    stage,
    block: null,
    inShape: [l.inFeatures, 1, 1],
    outShape: [l.outFeatures, 1, 1],
    kernel: null,
    stride: null,
    groups: null,
    act: l.act,
    params: l.params,
    bnBuffers: 0,
    macs: l.macs,
  };
}

/** Every layer in execution order. */
export function layerCosts(g: VariantGraph): LayerCost[] {
  const head = g.stages.length + 1;
  return [
    layerCost(g.stem, 0, null),
    ...g.stages.flatMap((s) => s.blocks.flatMap((b) => b.layers.map((l) => layerCost(l, s.index, b.index)))),
    ...(g.head ? [layerCost(g.head, head, null)] : []),
    ...(g.classifier?.hidden ? [linearCost(g.classifier.hidden, head + 1, 'hidden')] : []),
    ...(g.classifier?.linear ? [linearCost(g.classifier.linear, head + 1, 'classifier')] : []),
  ];
}

/** Peak and total activation bytes over one inference (see MEMORY_DEFINITION). */
export function activationMemory(g: VariantGraph): { total: number; peak: number } {
  let x = shapeBytes(g.input);
  let sum = x;
  let peak = x;
  // A feature network's outputs stay alive to the end; `kept` counts those handed out before x.
  let kept = 0;
  let xKept = false;
  const step = (outBytes: number, held: number, extra = 0) => {
    peak = Math.max(peak, held + kept + (xKept ? 0 : x) + extra + outBytes);
    sum += outBytes;
    x = outBytes;
    xKept = false;
  };
  const tapped = new Set(g.features.map((f) => f.stage));
  const runBlock = (b: Block) => {
    const held = b.residual ? shapeBytes(b.inShape) : 0;
    for (const [i, l] of b.layers.entries()) {
      // The block input is x itself for the first layer: held only once.
      const h = i === 0 ? 0 : held;
      step(shapeBytes(l.outShape), h, l.op === 'se' ? (2 * l.inShape[0] + l.squeeze) * BYTES_PER_VALUE : 0);
    }
  };
  step(shapeBytes(g.stem.outShape), 0);
  for (const s of g.stages) {
    for (const b of s.blocks) runBlock(b);
    if (tapped.has(s.index)) {
      kept += x;
      xKept = true;
    }
  }
  if (g.head) step(shapeBytes(g.head.outShape), 0);
  const c = g.classifier;
  if (c) {
    step(c.poolShape[0] * BYTES_PER_VALUE, 0);
    if (c.hidden) step(c.hidden.outFeatures * BYTES_PER_VALUE, 0);
    if (c.linear) step(c.linear.outFeatures * BYTES_PER_VALUE, 0);
  }
  return { total: sum, peak };
}

/** One kernel size as a number; a mixed convolution's as `3.5.7`, as the spec writes them. */
export const kernelLabel = (kernels: readonly number[]): number | string => (kernels.length === 1 ? kernels[0]! : kernels.join('.'));

export function stageCosts(g: VariantGraph): StageCost[] {
  const stem = g.stem;
  const rows: StageCost[] = [
    { index: 0, role: 'stem', block: 'conv', kernel: stem.kernel, stride: stem.stride, expand: null, channels: stem.outShape[0], repeats: 1, outShape: stem.outShape, ...total([stem]) },
  ];
  for (const s of g.stages) {
    const c = s.config;
    const convs = (b: Block) => b.layers.flatMap((l) => (l.op === 'conv' ? [l] : []));
    const dilation = Math.max(...convs(s.blocks.at(-1)!).map((l) => l.dilation));
    rows.push({
      index: s.index,
      role: 'stage',
      block: c.block,
      kernel: kernelLabel(c.kernels),
      stride: Math.max(...convs(s.blocks[0]!).map((l) => l.stride)),
      ...(dilation > 1 ? { dilation } : {}),
      expand: c.mid === null ? c.expand : null,
      channels: c.channels,
      repeats: c.repeats,
      outShape: s.outShape,
      ...total(s.blocks.flatMap((b) => b.layers)),
    });
  }
  const headIndex = g.stages.length + 1;
  if (g.head)
    rows.push({ index: headIndex, role: 'head', block: 'conv', kernel: g.head.kernel, stride: g.head.stride, expand: null, channels: g.head.outShape[0], repeats: 1, outShape: g.head.outShape, ...total([g.head]) });
  const c = g.classifier;
  if (c) {
    const linears = [c.hidden, c.linear].filter((l): l is LinearLayer => l !== null);
    // `classes 0`: the pooled (hidden) features are the output.
    const out = linears.at(-1)?.outFeatures ?? c.poolShape[0];
    rows.push({ index: headIndex + 1, role: 'classifier', block: 'linear', kernel: null, stride: null, expand: null, channels: out, repeats: linears.length, outShape: [out, 1, 1], ...total(linears) });
  }
  return rows;
}

export function analyzeVariant(g: VariantGraph): VariantCost {
  const stages = stageCosts(g);
  const sums = total(stages);
  const memory = activationMemory(g);
  return {
    name: g.variant,
    resolution: g.resolution,
    inputChannels: g.input[0],
    outputStride: g.outputStride,
    features: g.features.map((f) => ({ name: f.name, stage: f.stage, channels: f.shape[0], stride: f.stride, outShape: f.shape })),
    width: g.width,
    depth: g.depth,
    phi: g.phi,
    params: sums.params,
    bnBuffers: sums.bnBuffers,
    macs: sums.macs,
    flops: 2 * sums.macs,
    activationBytes: memory.total,
    peakActivationBytes: memory.peak,
    stages,
    layers: layerCosts(g),
  };
}
