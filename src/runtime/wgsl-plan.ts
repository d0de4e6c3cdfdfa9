import { convGeometry, executedKernelFloats, inputChannels, InputSizeError, isDepthwise, type Activation, type Builder, type ConvSpec, type LayerSpec, type Network } from './spec.js';
import { pointwisePixels, TILES } from './wgsl-tiles.js';

// A network as a sequence of WGSL dispatches for one image of one size: which
// kernel, its baked constants, where its tensors lie in one activation arena
// (planned by liveness, so buffers are reused) and where its weights lie in a
// few packed weight chunks (those do not depend on the size). The runtime plans
// at load, for the size asked of it, and makes each step's shader from it
// (wgsl-shaders.ts); the compiler plans only to check that a variant fits.

export type StepKind = 'conv2d' | 'depthwise' | 'pointwise' | 'pool' | 'se' | 'dense' | 'scale';

/** Offsets in floats: arena tensors, and weights within the step's chunk. */
export interface StepParams {
  input: number;
  output: number;
  residual: number;
  gate: number;
  weights: number;
  bias: number;
}

export interface Step {
  kind: StepKind;
  /** The layer it computes (a pool step names the layer it feeds, a scale step the SE or block it completes). */
  layer: string;
  /** Shape constants baked into the shader. */
  consts: Record<string, number | boolean>;
  /** 4 output channels per invocation, or 1. */
  vec4: boolean;
  act: Activation;
  /** The SE gate's activation (se steps). */
  gate?: Activation;
  params: StepParams;
  /** Weight chunk bound to the step. */
  chunk: number;
  workgroups: [number, number];
}

/** Where one layer's packed weights go. */
export interface Packing {
  layer: LayerSpec;
  chunk: number;
  /** Offset of the weights, then of the bias, in floats within the chunk. */
  weights: number;
  bias: number;
  /** A linear layer too large for one binding is split by output columns: this slice's [start, end). */
  columns?: [number, number];
}

/** A tensor the network hands out, read back after the last step: NHWC, one image. */
export interface PlanOutput {
  /** The feature's name (`features.3`), or `classifier` for a classifier's logits or pooled features. */
  layer: string;
  offset: number;
  floats: number;
  /** [height, width, channels]; [1, 1, classes] for a classifier. */
  shape: [number, number, number];
}

export interface WgslPlan {
  steps: Step[];
  arenaFloats: number;
  /** One image, NHWC. */
  input: { offset: number; floats: number; height: number; width: number; channels: number };
  /** A classifier's one output (logits, or pooled features for `classes 0`), or a feature network's maps in the order it hands them out. */
  outputs: PlanOutput[];
  /** Whether the network hands out feature maps (`Builder.feature`) rather than a classifier's output. */
  features: boolean;
  /** Floats per weight chunk. */
  chunks: number[];
  packing: Packing[];
  /** Floats of every intermediate tensor added up: what one buffer per tensor would take. */
  tensorFloats: number;
}

/** WebGPU guarantees 128 MiB per storage binding; chunks stay within it so every device can bind them. */
export const CHUNK_BYTES = 128 * 2 ** 20;
/** WebGPU guarantees 16 KiB of workgroup memory: the SE kernel keeps its hidden layer there when it fits. */
export const WORKGROUP_BYTES = 16 * 2 ** 10;
/** WebGPU guarantees 65,535 workgroups per grid dimension. */
const MAX_GRID = 65535;

/** An input's height and width in pixels. */
export interface InputSize {
  height: number;
  width: number;
}

export interface PlanOptions {
  /** Bytes per weight binding (tests shrink it to exercise splitting). */
  chunkBytes?: number;
  /** Workgroup memory the SE kernel may use (tests shrink it to exercise the fallback). */
  workgroupBytes?: number;
}

/**
 * A layer the planner cannot run: `limit` when it is beyond what WebGPU guarantees,
 * `sequence` when no kernel sequence computes it. `checkWgsl` turns both into diagnostics.
 */
export class PlanError extends Error {
  constructor(
    message: string,
    readonly layer: string,
    readonly reason: 'limit' | 'sequence',
  ) {
    super(message);
  }
}

interface Tensor {
  id: number;
  floats: number;
  /** [height, width, channels]. */
  shape: [number, number, number];
  /** An SE gate on this tensor's channels, not yet applied: a following 1×1 convolution fuses it, anything else gets a scale step first. */
  gate?: { tensor: Tensor; layer: string };
}

interface Life {
  floats: number;
  start: number;
  end: number;
  offset: number;
}

interface StepTensors {
  input: Tensor;
  output: Tensor;
  residual?: Tensor;
  gate?: Tensor;
  /** Floats into `output` where the step writes (a slice of a split dense layer). */
  outputShift?: number;
}

const align4 = (n: number) => Math.ceil(n / 4) * 4;

/** First-fit offsets: tensors whose lifetimes overlap never share floats. */
function allocate(lives: Life[]): number {
  let size = 0;
  // The tensors still live, in order of offset (kept so, not re-sorted per tensor: `check` plans
  // every variant, and the copies were a tenth of what it allocates). Tensors come in order of
  // start, so one that ended before this start overlaps no later one.
  const active: Life[] = [];
  for (const t of [...lives].sort((a, b) => a.start - b.start || b.floats - a.floats)) {
    for (let i = active.length - 1; i >= 0; i--) if (active[i]!.end < t.start) active.splice(i, 1);
    let offset = 0;
    for (const p of active) {
      if (offset + t.floats <= p.offset) break;
      offset = Math.max(offset, p.offset + align4(p.floats));
    }
    t.offset = offset;
    // After any at the same offset, as a stable sort of the live tensors would place it.
    let at = active.length;
    while (at > 0 && active[at - 1]!.offset > offset) at--;
    active.splice(at, 0, t);
    size = Math.max(size, offset + align4(t.floats));
  }
  return size;
}

function packedFloats(l: LayerSpec): { weights: number; bias: number } {
  if (l.kind === 'conv') return { weights: executedKernelFloats(l.spec), bias: l.spec.out };
  if (l.kind === 'se') return { weights: 2 * l.spec.channels * l.spec.squeeze + l.spec.squeeze, bias: l.spec.channels };
  return { weights: l.spec.in * l.spec.out, bias: l.spec.out };
}

const mib = (floats: number) => `${((floats * 4) / 2 ** 20).toFixed(1)} MiB`;

/**
 * The dispatch plan of one image through `network`: `size` pixels high and wide (one number: a square
 * image). A size the network cannot take is an InputSizeError naming the first layer it starves.
 */
export function planWgsl(network: Network, size: number | InputSize, options: PlanOptions = {}): WgslPlan {
  const { height, width } = typeof size === 'number' ? { height: size, width: size } : size;
  if (![height, width].every((n) => Number.isSafeInteger(n) && n >= 0)) throw new InputSizeError(`an image is a whole number of pixels high and wide, not ${height}×${width}`);
  const lives: Life[] = [];
  const steps: Step[] = [];
  const tensorOf = new Map<Step, StepTensors>();
  const packing: Packing[] = [];
  const chunks: number[] = [0];
  const chunkFloats = Math.floor((options.chunkBytes ?? CHUNK_BYTES) / 16) * 4;
  const workgroupFloats = Math.floor((options.workgroupBytes ?? WORKGROUP_BYTES) / 4);

  const tensor = (shape: [number, number, number]): Tensor => {
    const t = { id: lives.length, floats: shape[0] * shape[1] * shape[2], shape };
    lives.push({ floats: t.floats, start: steps.length, end: steps.length, offset: 0 });
    return t;
  };
  const use = (t: Tensor) => (lives[t.id]!.end = Math.max(lives[t.id]!.end, steps.length));
  const place = (floats: number): { chunk: number; offset: number } => {
    if (chunks[chunks.length - 1]! + floats > chunkFloats) chunks.push(0);
    const chunk = chunks.length - 1;
    const offset = chunks[chunk]!;
    chunks[chunk] = offset + floats;
    return { chunk, offset };
  };
  const pack = (l: LayerSpec, columns?: [number, number]): { chunk: number; weights: number; bias: number } => {
    const f = packedFloats(l);
    const { weights, bias } = columns && l.kind === 'linear' ? { weights: l.spec.in * (columns[1] - columns[0]), bias: columns[1] - columns[0] } : f;
    const need = align4(weights) + align4(bias);
    // Every chunk fits the binding size WebGPU guarantees (linear layers are split to fit before they get here).
    if (need > chunkFloats)
      throw new PlanError(`layer \`${l.spec.name}\` has ${mib(need)} of weights; one storage binding holds ${mib(chunkFloats)} on every WebGPU device`, l.spec.name, 'limit');
    const { chunk, offset } = place(need);
    const p: Packing = { layer: l, chunk, weights: offset, bias: offset + align4(weights), ...(columns ? { columns } : {}) };
    packing.push(p);
    return p;
  };
  const grid = (workgroups: number, layer: string): [number, number] => {
    const rows = Math.ceil(workgroups / MAX_GRID);
    if (rows > MAX_GRID) throw new PlanError(`layer \`${layer}\` needs ${workgroups} workgroups, more than WebGPU's guaranteed ${MAX_GRID} × ${MAX_GRID}`, layer, 'limit');
    return [Math.min(workgroups, MAX_GRID), rows];
  };
  const invocations = (n: number, layer: string, perWorkgroup: number = TILES.workgroup) => grid(Math.ceil(n / perWorkgroup), layer);
  const step = (s: Omit<Step, 'params' | 'chunk'>, io: StepTensors, w?: { chunk: number; weights: number; bias: number }) => {
    use(io.input);
    if (io.gate) use(io.gate);
    if (io.residual) use(io.residual);
    // `s` is each call's own literal: completed in place (`check` plans every variant of a family).
    const full = s as Step;
    full.params = { input: 0, output: 0, residual: 0, gate: 0, weights: w?.weights ?? 0, bias: w?.bias ?? 0 };
    full.chunk = w?.chunk ?? 0;
    tensorOf.set(full, io);
    steps.push(full);
  };
  /** x·gate (+ residual) over a whole tensor: what no neighbouring kernel can fuse. */
  const scale = (x: Tensor, layer: string, residual?: Tensor): Tensor => {
    const out = tensor(x.shape);
    const [h, w, c] = x.shape;
    const consts = { HW: h * w, C: c, HAS_GATE: x.gate !== undefined, HAS_RESIDUAL: residual !== undefined };
    step({ kind: 'scale', layer, act: 'identity', vec4: false, consts, workgroups: invocations(h * w * c, layer) }, { input: x, output: out, gate: x.gate?.tensor, residual });
    return out;
  };
  const applied = new Map<Tensor, Tensor>();
  /** Feature maps in the order the network hands them out. */
  const features: { tensor: Tensor; layer: string }[] = [];
  const handedOut = new Set<Tensor>();
  /** The tensor with its pending SE gate applied (once, however many consumers need it). */
  const plain = (x: Tensor): Tensor => {
    if (!x.gate) return x;
    let y = applied.get(x);
    if (!y) applied.set(x, (y = scale(x, x.gate.layer)));
    return y;
  };
  const dense = (x: Tensor, out: Tensor, layer: string, act: Activation, n: { in: number; out: number }, w: { chunk: number; weights: number; bias: number }, outputShift = 0) =>
    step({ kind: 'dense', layer, act, vec4: false, consts: { IN: n.in, OUT: n.out }, workgroups: invocations(n.out, layer) }, { input: x, output: out, outputShift }, w);

  const builder: Builder<Tensor> = {
    conv(x, s: ConvSpec) {
      const [h, w, c] = x.shape;
      // An image too small for the layer is an InputSizeError naming it (as runtimes' shapesAt words it).
      const { pad, height: ho, width: wo } = convGeometry(s, h, w);
      const [pt, pb, pl, pr] = pad;
      const pointwise = s.kernel === 1 && s.stride === 1 && !isDepthwise(s) && pt + pb + pl + pr === 0;
      // Only the 1×1 kernel scales its input channels as it reads them (a gate leaves the shape as it is).
      if (!pointwise) x = plain(x);
      if (c !== s.in) throw new PlanError(`layer \`${s.name}\` takes ${s.in} channels but gets ${c}`, s.name, 'sequence');
      // A grouped or mixed convolution runs as the dense (or depthwise) kernel fold.ts lays out.
      const out = tensor([ho, wo, s.out]);
      const packed = pack({ kind: 'conv', spec: s });
      if (pointwise) {
        const rows = pointwisePixels(h * w);
        const tiles = Math.ceil((h * w) / rows) * Math.ceil(s.out / TILES.pointwise.channels);
        const consts = { M: h * w, K: s.in, N: s.out, RM: rows, HAS_GATE: x.gate !== undefined, HAS_RESIDUAL: false };
        step({ layer: s.name, act: s.act, kind: 'pointwise', vec4: true, consts, workgroups: invocations(tiles, s.name, TILES.pointwise.workgroup) }, { input: x, output: out, gate: x.gate?.tensor }, packed);
      } else if (isDepthwise(s)) {
        const vec4 = s.out % TILES.vector === 0;
        const consts = { H: h, W: w, C: s.out, HO: ho, WO: wo, K: s.kernel, STRIDE: s.stride, DIL: s.dilation ?? 1, PAD_T: pt, PAD_L: pl };
        step({ layer: s.name, act: s.act, kind: 'depthwise', vec4, consts, workgroups: invocations((ho * Math.ceil(wo / TILES.depthwise.pixels) * s.out) / (vec4 ? TILES.vector : 1), s.name) }, { input: x, output: out }, packed);
      } else {
        const vec4 = s.out % TILES.vector === 0;
        const consts = { H: h, W: w, CIN: s.in, HO: ho, WO: wo, COUT: s.out, K: s.kernel, STRIDE: s.stride, DIL: s.dilation ?? 1, PAD_T: pt, PAD_L: pl, HAS_RESIDUAL: false };
        step({ layer: s.name, act: s.act, kind: 'conv2d', vec4, consts, workgroups: invocations(Math.ceil((ho * wo) / TILES.conv2d.pixels) * Math.ceil(s.out / ((vec4 ? TILES.vector : 1) * TILES.conv2d.vectors)), s.name) }, { input: x, output: out }, packed);
      }
      return out;
    },
    se(x, s) {
      x = plain(x);
      const pooled = tensor([1, 1, s.channels]);
      step({ kind: 'pool', layer: s.name, act: 'identity', vec4: false, consts: { HW: x.shape[0] * x.shape[1], C: s.channels }, workgroups: invocations(s.channels, s.name) }, { input: x, output: pooled });
      const gate = tensor([1, 1, s.channels]);
      const packed = pack({ kind: 'se', spec: s });
      const { channels: c, squeeze: q } = s;
      if (q <= workgroupFloats) {
        step({ kind: 'se', layer: s.name, act: s.act, gate: s.gate, vec4: false, consts: { C: c, S: q }, workgroups: [1, 1] }, { input: pooled, output: gate }, packed);
      } else {
        // The hidden layer does not fit in workgroup memory: two dense steps through the arena,
        // reading the se packing ([C][S] fc1, its bias [S], [S][C] fc2; fc2's bias apart).
        const hidden = tensor([1, 1, q]);
        dense(pooled, hidden, s.name, s.act, { in: c, out: q }, { chunk: packed.chunk, weights: packed.weights, bias: packed.weights + c * q });
        dense(hidden, gate, s.name, s.gate, { in: q, out: c }, { chunk: packed.chunk, weights: packed.weights + c * q + q, bias: packed.bias });
      }
      return { ...x, gate: { tensor: gate, layer: s.name } };
    },
    block(x, s, body) {
      if (!s.residual) return body(x);
      // The skip path needs the gated values themselves.
      x = plain(x);
      const y = body(x);
      const last = steps[steps.length - 1]!;
      const io = tensorOf.get(last)!;
      // A feature map handed out inside the body is the value before the skip add: it keeps its own tensor.
      if (!y.gate && io.output === y && !io.residual && !handedOut.has(y) && (last.kind === 'pointwise' || last.kind === 'conv2d')) {
        last.consts.HAS_RESIDUAL = true;
        io.residual = x;
        lives[x.id]!.end = Math.max(lives[x.id]!.end, steps.length - 1);
        return y;
      }
      // A block that ends in its SE (a single-conv fused block), or in a kernel without a residual input.
      return scale(y, s.name, x);
    },
    feature(x, s) {
      // The map handed out holds the gated values.
      x = plain(x);
      if (x.shape[2] !== s.channels) throw new PlanError(`feature \`${s.name}\` has ${s.channels} channels but gets ${x.shape[2]}`, s.name, 'sequence');
      features.push({ tensor: x, layer: s.name });
      handedOut.add(x);
      return x;
    },
    classifier(x, s) {
      x = plain(x);
      const c = x.shape[2];
      let y = tensor([1, 1, c]);
      step({ kind: 'pool', layer: 'classifier', act: 'identity', vec4: false, consts: { HW: x.shape[0] * x.shape[1], C: c }, workgroups: invocations(c, 'classifier') }, { input: x, output: y });
      // Without a final linear layer (`classes 0`) the pooled features, or the hidden layer's, are the output.
      for (const l of [s.hidden, s.linear].filter((l) => l !== null)) {
        const out = tensor([1, 1, l.out]);
        const whole = align4(l.in * l.out) + align4(l.out);
        // Columns per slice when the layer is larger than a binding (the ImageNet-21k head of a wide network).
        const perSlice = whole <= chunkFloats ? l.out : Math.floor((chunkFloats - 8) / (l.in + 1) / 4) * 4;
        if (perSlice < 1) throw new PlanError(`layer \`${l.name}\`: one output column has ${mib(l.in + 1)} of weights; one storage binding holds ${mib(chunkFloats)} on every WebGPU device`, l.name, 'limit');
        for (let start = 0; start < l.out; start += perSlice) {
          const end = Math.min(l.out, start + perSlice);
          const columns: [number, number] | undefined = perSlice === l.out ? undefined : [start, end];
          dense(y, out, l.name, l.act, { in: l.in, out: end - start }, pack({ kind: 'linear', spec: l }, columns), start);
        }
        y = out;
      }
      return y;
    },
  };

  const channels = inputChannels(network);
  const input = tensor([height, width, channels]);
  lives[input.id]!.start = -1;
  const result = network<Tensor>(input, builder);
  const last = features[features.length - 1];
  // `plain`: the network may return the gated tensor it handed out (`feature` returned it applied).
  if (last && plain(result) !== last.tensor) throw new PlanError(`a feature network ends at its last feature, \`${last.layer}\`; this one goes on after it`, last.layer, 'sequence');
  const outputs = features.length > 0 ? features : [{ tensor: plain(result), layer: 'classifier' }];
  // Outputs are read back after the last step: no later tensor may take their floats.
  for (const o of outputs) lives[o.tensor.id]!.end = steps.length;
  const arenaFloats = allocate(lives);
  for (const [s, io] of tensorOf) {
    s.params.input = lives[io.input.id]!.offset;
    s.params.output = lives[io.output.id]!.offset + (io.outputShift ?? 0);
    if (io.residual) s.params.residual = lives[io.residual.id]!.offset;
    if (io.gate) s.params.gate = lives[io.gate.id]!.offset;
  }
  return {
    steps,
    arenaFloats,
    input: { offset: lives[input.id]!.offset, floats: input.floats, height, width, channels },
    outputs: outputs.map(({ tensor: t, layer }) => ({ layer, offset: lives[t.id]!.offset, floats: t.floats, shape: t.shape })),
    features: features.length > 0,
    chunks,
    packing,
    tensorFloats: lives.reduce((a, l) => a + l.floats, 0),
  };
}
