/// <reference types="@webgpu/types" />
import { bindCheckpoint, type Layout, type Weights } from './checkpoint.js';
import { foldedConv, slot, transpose } from './fold.js';
import { HALF_MAX, toHalf } from './half.js';
import { parseCheckpoint } from './pth.js';
import { InputSizeError, layerSpecs, type ModelMetadata, type Network } from './spec.js';
import { profileDispatches, type DispatchTime } from './wgsl-profile.js';
import { devicePipelines } from './wgsl-pipelines.js';
import { planWgsl, type InputSize, type Packing, type PlanOptions, type WgslPlan } from './wgsl-plan.js';
import { programShaders } from './wgsl-shaders.js';

// The WebGPU host generated `model.wgsl.ts` files share. At load it plans the
// network's dispatches for the input size asked (the variant's resolution by
// default), makes each distinct shader from the plan, packs BatchNorm-folded
// weights into a few buffers and compiles the pipelines (once per device and
// shader text); each run records one command encoder.

export type { Layout, Weights } from './checkpoint.js';
export type { Activation, BlockSpec, Builder, ClassifierSpec, ConvSpec, FeatureSpec, LinearSpec, ModelMetadata, Network, NormSpec, SeSpec } from './spec.js';
export { WeightsError } from './safetensors.js';
export { InputSizeError } from './spec.js';
export type { DispatchTime } from './wgsl-profile.js';
export type { InputSize, PlanOptions, PlanOutput, WgslPlan } from './wgsl-plan.js';

/**
 * How weights live on the device: float32, or IEEE half floats (round to nearest even), two per u32 and
 * unpacked to f32 as the kernels read them, so arithmetic and activations stay float32 and any adapter runs
 * them (no `shader-f16` needed). Half the weight memory and bandwidth; b0's logits move by 4.9e-3 of their largest magnitude.
 */
export type WeightPrecision = 'f32' | 'f16';

/** What a generated module's `createModel` takes: the input size (both or neither; default the variant's resolution, square) and how weights are stored (default 'f32'). */
export interface WgslLoadOptions {
  height?: number;
  width?: number;
  weightPrecision?: WeightPrecision;
}

/** WgslLoadOptions and the planner's limits (tests only). */
export interface WgslModelOptions extends WgslLoadOptions, PlanOptions {}

/** What classifier and feature models share. */
export interface WgslModelBase {
  /** Frees every buffer the model holds. */
  dispose(): void;
  /**
   * Times each dispatch (on the input last run): where the time goes. GPU timestamps when the device
   * has the `timestamp-query` feature (request it with the device), else host time, one submit each.
   */
  profile(): Promise<DispatchTime[]>;
  /** Compute dispatches per image. */
  readonly dispatches: number;
  /** One image as `run` takes it: [height, width, channels], NHWC. */
  readonly inputShape: readonly [number, number, number];
  /** The activation arena (all intermediate tensors, reused by liveness). */
  readonly arenaBytes: number;
  /** What one buffer per intermediate tensor would take. */
  readonly tensorBytes: number;
  /** Bytes of weights on the device: 4 per weight, 2 with `weightPrecision` 'f16'. */
  readonly weightBytes: number;
  readonly weightPrecision: WeightPrecision;
}

/** A classifier. */
export interface WgslModel extends WgslModelBase {
  /** Runs a batch: NHWC float32 `[batch, H, W, C]` in (`inputShape`: the size it was built for), logits `[batch, classes]` out (pooled features `[batch, channels]` for `classes 0`). */
  run(input: Float32Array, batch?: number): Promise<Float32Array>;
}

/** A feature network (`metadata.features` not empty). */
export interface WgslFeatureModel extends WgslModelBase {
  /** Runs a batch: NHWC float32 `[batch, H, W, C]` in (`inputShape`), one NHWC map `[batch, h, w, c]` per feature out, in the order of `features`. */
  run(input: Float32Array, batch?: number): Promise<Float32Array[]>;
  /** Each feature map's name and [h, w, c] for one image. */
  readonly features: readonly { name: string; shape: readonly [number, number, number] }[];
}

// GPUBufferUsage and GPUMapMode values, so this module needs no WebGPU globals to load.
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const UNIFORM = 0x40;
const STORAGE = 0x80;
/** Each dispatch's Params live at their own 256-byte-aligned offset (the uniform offset alignment). */
const PARAMS_STRIDE = 256;

export class WgslLimitError extends Error {}

/** One layer's packed floats, in the layouts the kernels read. */
function packLayer(p: Packing, weights: Weights, into: Float32Array): void {
  const l = p.layer;
  if (l.kind === 'conv') {
    const { kernel, bias } = foldedConv(weights, l.spec);
    into.set(kernel, p.weights);
    into.set(bias, p.bias);
  } else if (l.kind === 'se') {
    const { name, channels: c, squeeze: s } = l.spec;
    into.set(transpose(slot(weights, name, 'fc1.weight', s * c), s, c), p.weights); // [C][S]
    into.set(slot(weights, name, 'fc1.bias', s), p.weights + c * s);
    into.set(transpose(slot(weights, name, 'fc2.weight', s * c), c, s), p.weights + c * s + s); // [S][C]
    into.set(slot(weights, name, 'fc2.bias', c), p.bias);
  } else {
    const { name, in: i, out: o } = l.spec;
    const [start, end] = p.columns ?? [0, o];
    // PyTorch's [OUT][IN] rows start..end are the slice's columns of [IN][OUT].
    const rows = slot(weights, name, 'linear.weight', i * o).subarray(start * i, end * i);
    into.set(transpose(rows, end - start, i), p.weights); // [IN][end - start]
    into.set(slot(weights, name, 'linear.bias', o).subarray(start, end), p.bias);
  }
}

/**
 * Each chunk's weights as the device holds them. Half floats: a folded weight beyond ±65504 (BatchNorm
 * folding can make one) is a WgslLimitError naming its layer rather than a silent Infinity or clamp.
 */
function packChunks(plan: WgslPlan, weights: Weights, precision: WeightPrecision, who: string): (Float32Array | Uint16Array)[] {
  const floats = plan.chunks.map((n) => new Float32Array(n));
  for (const p of plan.packing) packLayer(p, weights, floats[p.chunk]!);
  if (precision === 'f32') return floats;
  return floats.map((data, chunk) => {
    const half = new Uint16Array(data.length);
    const at = toHalf(data, half);
    if (at >= 0) {
      const layer = plan.packing.filter((p) => p.chunk === chunk && p.weights <= at).reduce((a, p) => (p.weights > a.weights ? p : a));
      throw new WgslLimitError(`${who}: layer \`${layer.layer.spec.name}\` has a folded weight of ${data[at]!.toPrecision(6)}, beyond half precision's ±${HALF_MAX}; load it with f32 weights`);
    }
    return half;
  });
}

function checkLimits(device: GPUDevice, plan: WgslPlan, weightSize: number, who: string): void {
  const limit = device.limits.maxStorageBufferBindingSize;
  const arena = plan.arenaFloats * 4;
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (arena > limit || arena > device.limits.maxBufferSize)
    throw new WgslLimitError(`${who} needs a ${mib(arena)} activation arena, but this device's maxStorageBufferBindingSize is ${mib(limit)} (maxBufferSize ${mib(device.limits.maxBufferSize)})`);
  for (const chunk of plan.chunks)
    if (chunk * weightSize > limit || chunk * weightSize > device.limits.maxBufferSize)
      throw new WgslLimitError(`${who} packs ${mib(chunk * weightSize)} of weights per binding, but this device's maxStorageBufferBindingSize is ${mib(limit)} (maxBufferSize ${mib(device.limits.maxBufferSize)})`);
  const maxX = device.limits.maxComputeWorkgroupsPerDimension;
  for (const s of plan.steps)
    if (s.workgroups[0] > maxX || s.workgroups[1] > maxX)
      throw new WgslLimitError(`${who}: layer \`${s.layer}\` needs ${s.workgroups.join(' × ')} workgroups; this device's maxComputeWorkgroupsPerDimension is ${maxX}`);
  if (device.limits.maxComputeInvocationsPerWorkgroup < 64) throw new WgslLimitError(`${who} uses 64 invocations per workgroup; this device's maxComputeInvocationsPerWorkgroup is ${device.limits.maxComputeInvocationsPerWorkgroup}`);
}

/** Binds a safetensors checkpoint to the network (torchvision or timm names). */
export function loadWgslWeights(network: Network, meta: ModelMetadata, bytes: Uint8Array, layout: Layout = 'torchvision'): Weights {
  return bindCheckpoint(parseCheckpoint(bytes), layerSpecs(network), layout, `${meta.family} ${meta.variant}`, { backbone: meta.features.length > 0 });
}

/** The plan at the size asked: a size the network cannot take is an InputSizeError naming the model and the layer. */
function planAt(network: Network, meta: ModelMetadata, options: WgslModelOptions, who: string): WgslPlan {
  const { height, width, weightPrecision: _, ...limits } = options;
  if ((height === undefined) !== (width === undefined)) throw new InputSizeError(`${who}: give both height and width, or neither (${meta.resolution}×${meta.resolution})`);
  const size = { height: height ?? meta.resolution, width: width ?? meta.resolution };
  try {
    return planWgsl(network, size, limits);
  } catch (e) {
    if (e instanceof InputSizeError) throw new InputSizeError(`${who} cannot take ${size.height}×${size.width} images: ${e.message}`);
    throw e;
  }
}

/** Buffers, pipelines and bind groups of one planned model, and a batch runner reading every output back in one submit. */
async function createRunner(device: GPUDevice, network: Network, meta: ModelMetadata, weights: Weights, options: WgslModelOptions, wants: 'classifier' | 'features') {
  const who = `${meta.family} ${meta.variant}`;
  // Metadata generated before feature networks existed has no `features`: a classifier's.
  const stated = meta.features ?? [];
  const isFeatureNetwork = stated.length > 0;
  if (wants === 'classifier' && isFeatureNetwork) throw new Error(`${who} is a feature network: use createWgslFeatureModel`);
  if (wants === 'features' && !isFeatureNetwork) throw new Error(`${who} is a classifier: use createWgslModel`);
  const plan = planAt(network, meta, options, who);
  const planned = plan.features ? plan.outputs.map((o) => `${o.layer} (${o.shape[2]} channels)`) : [];
  const named = stated.map((f) => `${f.name} (${f.channels} channels)`);
  if (planned.join() !== named.join())
    throw new Error(`${who}: the metadata names the features [${named.join(', ')}] but the network hands out [${planned.join(', ')}]; regenerate it with this effnet version`);
  const precision = options.weightPrecision ?? 'f32';
  if (precision !== 'f32' && precision !== 'f16') throw new Error(`${who}: weightPrecision is 'f32' or 'f16', not ${JSON.stringify(precision)}`);
  const weightSize = precision === 'f16' ? 2 : 4;
  checkLimits(device, plan, weightSize, who);
  const program = programShaders(plan.steps, precision);

  const buffers: GPUBuffer[] = [];
  const buffer = (size: number, usage: number, label: string) => {
    const b = device.createBuffer({ size: Math.max(4, Math.ceil(size / 4) * 4), usage, label });
    buffers.push(b);
    return b;
  };
  const arena = buffer(plan.arenaFloats * 4, STORAGE | COPY_SRC | COPY_DST, `${who} arena`);
  const chunkData = packChunks(plan, weights, precision, who);
  const chunks = chunkData.map((data, i) => {
    const b = buffer(data.byteLength, STORAGE | COPY_DST, `${who} weights ${i}`);
    device.queue.writeBuffer(b, 0, data);
    return b;
  });
  const params = buffer(plan.steps.length * PARAMS_STRIDE, UNIFORM | COPY_DST, `${who} params`);
  const paramData = new Uint32Array((plan.steps.length * PARAMS_STRIDE) / 4);
  plan.steps.forEach((s, i) => paramData.set([s.params.input, s.params.output, s.params.residual, s.params.gate, s.params.weights, s.params.bias], (i * PARAMS_STRIDE) / 4));
  device.queue.writeBuffer(params, 0, paramData);

  const { layout, acquire } = devicePipelines(device);
  let pipelines: GPUComputePipeline[];
  let release: () => void;
  try {
    ({ pipelines, release } = await acquire(program.shaders, who));
  } catch (e) {
    for (const b of buffers) b.destroy();
    throw e;
  }
  const groups = plan.steps.map((s, i) =>
    device.createBindGroup({
      layout,
      entries: [
        { binding: 0, resource: { buffer: arena } },
        { binding: 1, resource: { buffer: chunks[s.chunk]! } },
        { binding: 2, resource: { buffer: params, offset: i * PARAMS_STRIDE, size: 32 } },
      ],
    }),
  );

  const imageFloats = plan.input.floats;
  const base: WgslModelBase = {
    dispatches: plan.steps.length,
    inputShape: [plan.input.height, plan.input.width, plan.input.channels],
    arenaBytes: plan.arenaFloats * 4,
    tensorBytes: plan.tensorFloats * 4,
    weightBytes: plan.chunks.reduce((a, c) => a + c * weightSize, 0),
    weightPrecision: precision,
    profile() {
      return profileDispatches(
        device,
        plan.steps.map((s, i) => ({
          layer: s.layer,
          kind: s.kind,
          encode(pass: GPUComputePassEncoder) {
            pass.setPipeline(pipelines[program.stepShaders[i]!]!);
            pass.setBindGroup(0, groups[i]!);
            pass.dispatchWorkgroups(s.workgroups[0], s.workgroups[1]);
          },
        })),
      );
    },
    dispose() {
      for (const b of buffers) b.destroy();
      buffers.length = 0;
      release();
    },
  };

  /** Every output of every image, in one submit: output k's batch lies contiguous in the readback buffer. */
  async function run(input: Float32Array, batch = input.length / imageFloats): Promise<Float32Array[]> {
    if (!Number.isInteger(batch) || batch < 1 || input.length !== batch * imageFloats)
      throw new Error(`${who} takes NHWC float32 [batch, ${plan.input.height}, ${plan.input.width}, ${plan.input.channels}]: ${input.length} values are not ${batch} images of ${imageFloats}`);
    const starts: number[] = [];
    let total = 0;
    for (const o of plan.outputs) starts.push(total), (total += batch * o.floats);
    const staging = device.createBuffer({ size: input.byteLength, usage: COPY_SRC | COPY_DST });
    const readback = device.createBuffer({ size: total * 4, usage: MAP_READ | COPY_DST });
    try {
      device.queue.writeBuffer(staging, 0, input);
      const encoder = device.createCommandEncoder();
      for (let b = 0; b < batch; b++) {
        encoder.copyBufferToBuffer(staging, b * imageFloats * 4, arena, plan.input.offset * 4, imageFloats * 4);
        const pass = encoder.beginComputePass();
        plan.steps.forEach((s, i) => {
          pass.setPipeline(pipelines[program.stepShaders[i]!]!);
          pass.setBindGroup(0, groups[i]!);
          pass.dispatchWorkgroups(s.workgroups[0], s.workgroups[1]);
        });
        pass.end();
        plan.outputs.forEach((o, k) => encoder.copyBufferToBuffer(arena, o.offset * 4, readback, (starts[k]! + b * o.floats) * 4, o.floats * 4));
      }
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(1 /* GPUMapMode.READ */);
      const all = new Float32Array(readback.getMappedRange().slice(0));
      readback.unmap();
      return plan.outputs.map((o, k) => all.slice(starts[k]!, starts[k]! + batch * o.floats));
    } finally {
      readback.destroy();
      staging.destroy();
    }
  }
  return { base, run, plan };
}

/**
 * A classifier at the variant's resolution, or at `{ height, width }` (any size the network can take;
 * an InputSizeError names the layer it starves otherwise): plans the dispatches, makes the shaders,
 * creates buffers and pipelines once. Tint's validation errors (with line:col) and device limits
 * (WgslLimitError) surface here.
 */
export async function createWgslModel(device: GPUDevice, network: Network, meta: ModelMetadata, weights: Weights, options: WgslModelOptions = {}): Promise<WgslModel> {
  const { base, run } = await createRunner(device, network, meta, weights, options, 'classifier');
  return { ...base, run: async (input, batch) => (await run(input, batch))[0]! };
}

/** A feature network (`metadata.features` not empty), as `createWgslModel`: `run` resolves to one NHWC map per feature. */
export async function createWgslFeatureModel(device: GPUDevice, network: Network, meta: ModelMetadata, weights: Weights, options: WgslModelOptions = {}): Promise<WgslFeatureModel> {
  const { base, run, plan } = await createRunner(device, network, meta, weights, options, 'features');
  return { ...base, run, features: plan.outputs.map((o) => ({ name: o.layer, shape: o.shape })) };
}
