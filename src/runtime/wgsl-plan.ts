import { isDepthwise, type Activation, type Builder, type ConvSpec, type LayerSpec, type Network } from './spec.js';

// A network as a sequence of WGSL dispatches for one image: which kernel,
// its baked constants, where its tensors lie in one activation arena (planned
// by liveness, so buffers are reused) and where its weights lie in a few
// packed weight chunks. The emitter turns the steps into shaders; the host
// runtime recomputes the same plan to pack weights and bind buffers.

export type StepKind = 'conv2d' | 'depthwise' | 'pointwise' | 'pool' | 'se' | 'dense';

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
  /** The layer it computes (a pool step names the layer it feeds). */
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
}

export interface WgslPlan {
  steps: Step[];
  arenaFloats: number;
  /** One image, NHWC. */
  input: { offset: number; floats: number };
  output: { offset: number; floats: number };
  /** Floats per weight chunk. */
  chunks: number[];
  packing: Packing[];
  /** Floats of every intermediate tensor added up: what one buffer per tensor would take. */
  tensorFloats: number;
}

/** WebGPU guarantees 128 MiB per storage binding; chunks stay within it so every device can bind them. */
export const CHUNK_BYTES = 128 * 2 ** 20;
/** WebGPU guarantees 65,535 workgroups per grid dimension. */
const MAX_GRID_X = 65535;
const INVOCATIONS_PER_WORKGROUP = 64;

export class PlanError extends Error {}

interface Tensor {
  id: number;
  floats: number;
  /** [height, width, channels]. */
  shape: [number, number, number];
  /** An SE gate the next 1×1 convolution applies to this tensor's channels. */
  gate?: Tensor;
}

interface Life {
  floats: number;
  start: number;
  end: number;
  offset: number;
}

const align4 = (n: number) => Math.ceil(n / 4) * 4;
const grid = (workgroups: number): [number, number] => [Math.min(workgroups, MAX_GRID_X), Math.ceil(workgroups / MAX_GRID_X)];

/** First-fit offsets: tensors whose lifetimes overlap never share floats. */
function allocate(lives: Life[]): number {
  let size = 0;
  const placed: Life[] = [];
  for (const t of [...lives].sort((a, b) => a.start - b.start || b.floats - a.floats)) {
    const busy = placed.filter((p) => p.start <= t.end && t.start <= p.end).sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const p of busy) {
      if (offset + t.floats <= p.offset) break;
      offset = Math.max(offset, p.offset + align4(p.floats));
    }
    t.offset = offset;
    placed.push(t);
    size = Math.max(size, offset + align4(t.floats));
  }
  return size;
}

function packedFloats(l: LayerSpec): { weights: number; bias: number } {
  if (l.kind === 'conv') return { weights: l.spec.kernel * l.spec.kernel * (l.spec.in / l.spec.groups) * l.spec.out, bias: l.spec.out };
  if (l.kind === 'se') return { weights: 2 * l.spec.channels * l.spec.squeeze + l.spec.squeeze, bias: l.spec.channels };
  return { weights: l.spec.in * l.spec.out, bias: l.spec.out };
}

/** The dispatch plan of one image through `network` at `resolution`. */
export function planWgsl(network: Network, resolution: number): WgslPlan {
  const lives: Life[] = [];
  const steps: Step[] = [];
  const tensorOf = new Map<Step, { input: Tensor; output: Tensor; residual?: Tensor; gate?: Tensor }>();
  const packing: Packing[] = [];
  const chunks: number[] = [0];
  const chunkFloats = CHUNK_BYTES / 4;

  const tensor = (shape: [number, number, number]): Tensor => {
    const t = { id: lives.length, floats: shape[0] * shape[1] * shape[2], shape };
    lives.push({ floats: t.floats, start: steps.length, end: steps.length, offset: 0 });
    return t;
  };
  const use = (t: Tensor) => (lives[t.id]!.end = Math.max(lives[t.id]!.end, steps.length));
  const pack = (l: LayerSpec): { chunk: number; weights: number; bias: number } => {
    const f = packedFloats(l);
    const need = align4(f.weights) + align4(f.bias);
    if (need > chunkFloats) throw new PlanError(`layer \`${l.spec.name}\` has ${((need * 4) / 2 ** 20).toFixed(1)} MiB of weights; one storage binding holds at most 128 MiB`);
    if (chunks[chunks.length - 1]! + need > chunkFloats) chunks.push(0);
    const chunk = chunks.length - 1;
    const weights = chunks[chunk]!;
    chunks[chunk] = weights + need;
    const p = { layer: l, chunk, weights, bias: weights + align4(f.weights) };
    packing.push(p);
    return p;
  };
  const step = (s: Omit<Step, 'params' | 'chunk'>, io: { input: Tensor; output: Tensor; gate?: Tensor }, w?: { chunk: number; weights: number; bias: number }) => {
    use(io.input);
    if (io.gate) use(io.gate);
    const full: Step = { ...s, params: { input: 0, output: 0, residual: 0, gate: 0, weights: w?.weights ?? 0, bias: w?.bias ?? 0 }, chunk: w?.chunk ?? 0 };
    tensorOf.set(full, io);
    steps.push(full);
  };
  const invocations = (n: number) => grid(Math.ceil(n / INVOCATIONS_PER_WORKGROUP));

  const builder: Builder<Tensor> = {
    conv(x, s: ConvSpec) {
      const [h, w, c] = x.shape;
      const [pt, pb, pl, pr] = s.padding;
      const ho = Math.floor((h + pt + pb - s.kernel) / s.stride) + 1;
      const wo = Math.floor((w + pl + pr - s.kernel) / s.stride) + 1;
      if (c !== s.in) throw new PlanError(`layer \`${s.name}\` takes ${s.in} channels but gets ${c}`);
      const out = tensor([ho, wo, s.out]);
      const packed = pack({ kind: 'conv', spec: s });
      const pointwise = s.kernel === 1 && s.stride === 1 && s.groups === 1 && s.padding.every((p) => p === 0);
      if (x.gate && !pointwise) throw new PlanError(`layer \`${s.name}\`: an SE gate must feed a 1×1 convolution`);
      const base = { layer: s.name, act: s.act };
      if (pointwise) {
        // Each invocation: 16 pixels × 4 channels (RM in pointwise.wgsl).
        const tiles = Math.ceil((h * w) / 16) * Math.ceil(s.out / 4);
        step({ ...base, kind: 'pointwise', vec4: true, consts: { M: h * w, K: s.in, N: s.out, HAS_GATE: x.gate !== undefined, HAS_RESIDUAL: false }, workgroups: invocations(tiles) }, { input: x, output: out, gate: x.gate }, packed);
      } else if (isDepthwise(s)) {
        const vec4 = s.out % 4 === 0;
        const consts = { H: h, W: w, C: s.out, HO: ho, WO: wo, K: s.kernel, STRIDE: s.stride, PAD_T: pt, PAD_L: pl };
        // Each invocation: 4 adjacent output pixels of a row (TX in depthwise.wgsl).
        step({ ...base, kind: 'depthwise', vec4, consts, workgroups: invocations((ho * Math.ceil(wo / 4) * s.out) / (vec4 ? 4 : 1)) }, { input: x, output: out }, packed);
      } else if (s.groups === 1) {
        const vec4 = s.out % 4 === 0;
        const consts = { H: h, W: w, CIN: s.in, HO: ho, WO: wo, COUT: s.out, K: s.kernel, STRIDE: s.stride, PAD_T: pt, PAD_L: pl, HAS_RESIDUAL: false };
        step({ ...base, kind: 'conv2d', vec4, consts, workgroups: invocations((ho * wo * s.out) / (vec4 ? 4 : 1)) }, { input: x, output: out }, packed);
      } else throw new PlanError(`layer \`${s.name}\`: grouped convolutions (groups ${s.groups}) have no WGSL kernel`);
      return out;
    },
    se(x, s) {
      const pooled = tensor([1, 1, s.channels]);
      step({ kind: 'pool', layer: s.name, act: 'identity', vec4: false, consts: { HW: x.shape[0] * x.shape[1], C: s.channels }, workgroups: invocations(s.channels) }, { input: x, output: pooled });
      const gate = tensor([1, 1, s.channels]);
      const packed = pack({ kind: 'se', spec: s });
      step({ kind: 'se', layer: s.name, act: s.act, gate: s.gate, vec4: false, consts: { C: s.channels, S: s.squeeze }, workgroups: [1, 1] }, { input: pooled, output: gate }, packed);
      return { ...x, gate };
    },
    block(x, s, body) {
      const y = body(x);
      if (!s.residual) return y;
      const last = steps[steps.length - 1]!;
      const io = tensorOf.get(last)!;
      if (io.output !== y || (last.kind !== 'pointwise' && last.kind !== 'conv2d')) throw new PlanError(`block \`${s.name}\`: the residual add needs the block to end in a convolution`);
      last.consts.HAS_RESIDUAL = true;
      io.residual = x;
      lives[x.id]!.end = Math.max(lives[x.id]!.end, steps.length - 1);
      return y;
    },
    classifier(x, s) {
      const c = x.shape[2];
      let y = tensor([1, 1, c]);
      step({ kind: 'pool', layer: 'classifier', act: 'identity', vec4: false, consts: { HW: x.shape[0] * x.shape[1], C: c }, workgroups: invocations(c) }, { input: x, output: y });
      for (const l of s.hidden ? [s.hidden, s.linear] : [s.linear]) {
        const out = tensor([1, 1, l.out]);
        step({ kind: 'dense', layer: l.name, act: l.act, vec4: false, consts: { IN: l.in, OUT: l.out }, workgroups: invocations(l.out) }, { input: y, output: out }, pack({ kind: 'linear', spec: l }));
        y = out;
      }
      return y;
    },
  };

  const input = tensor([resolution, resolution, 3]);
  lives[input.id]!.start = -1;
  const output = network<Tensor>(input, builder);
  lives[output.id]!.end = steps.length;
  const arenaFloats = allocate(lives);
  for (const [s, io] of tensorOf) {
    s.params.input = lives[io.input.id]!.offset;
    s.params.output = lives[io.output.id]!.offset;
    if (io.residual) s.params.residual = lives[io.residual.id]!.offset;
    if (io.gate) s.params.gate = lives[io.gate.id]!.offset;
  }
  return {
    steps,
    arenaFloats,
    input: { offset: lives[input.id]!.offset, floats: input.floats },
    output: { offset: lives[output.id]!.offset, floats: output.floats },
    chunks,
    packing,
    tensorFloats: lives.reduce((a, l) => a + l.floats, 0),
  };
}
