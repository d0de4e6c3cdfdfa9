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
  stride: number | null;
  expand: number | null;
  channels: number;
  repeats: number;
  outShape: Shape;
  params: number;
  bnBuffers: number;
  macs: number;
}

export interface VariantCost {
  name: string;
  resolution: number;
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
    ...(g.classifier.hidden ? [linearCost(g.classifier.hidden, head + 1, 'hidden')] : []),
    linearCost(g.classifier.linear, head + 1, 'classifier'),
  ];
}

/** Peak and total activation bytes over one inference (see MEMORY_DEFINITION). */
export function activationMemory(g: VariantGraph): { total: number; peak: number } {
  let x = shapeBytes(g.input);
  let sum = x;
  let peak = x;
  const step = (outBytes: number, held: number, extra = 0) => {
    peak = Math.max(peak, held + x + extra + outBytes);
    sum += outBytes;
    x = outBytes;
  };
  const runBlock = (b: Block) => {
    const held = b.residual ? shapeBytes(b.inShape) : 0;
    for (const [i, l] of b.layers.entries()) {
      // The block input is x itself for the first layer: held only once.
      const h = i === 0 ? 0 : held;
      step(shapeBytes(l.outShape), h, l.op === 'se' ? (2 * l.inShape[0] + l.squeeze) * BYTES_PER_VALUE : 0);
    }
  };
  step(shapeBytes(g.stem.outShape), 0);
  for (const s of g.stages) for (const b of s.blocks) runBlock(b);
  if (g.head) step(shapeBytes(g.head.outShape), 0);
  step(g.classifier.poolShape[0] * BYTES_PER_VALUE, 0);
  if (g.classifier.hidden) step(g.classifier.hidden.outFeatures * BYTES_PER_VALUE, 0);
  step(g.classifier.linear.outFeatures * BYTES_PER_VALUE, 0);
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
    rows.push({
      index: s.index,
      role: 'stage',
      block: c.block,
      kernel: kernelLabel(c.kernels),
      stride: c.stride,
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
  const linears = [g.classifier.hidden, g.classifier.linear].filter((l): l is LinearLayer => l !== null);
  rows.push({ index: headIndex + 1, role: 'classifier', block: 'linear', kernel: null, stride: null, expand: null, channels: g.classes, repeats: linears.length, outShape: [g.classes, 1, 1], ...total(linears) });
  return rows;
}

export function analyzeVariant(g: VariantGraph): VariantCost {
  const stages = stageCosts(g);
  const sums = total(stages);
  const memory = activationMemory(g);
  return {
    name: g.variant,
    resolution: g.resolution,
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
