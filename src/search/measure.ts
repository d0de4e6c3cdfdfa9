/// <reference types="@webgpu/types" />
import type * as tfjs from '@tensorflow/tfjs';
import { modelMetadata } from '../cost/metadata.js';
import type { VariantGraph } from '../graph/graph.js';
import { modelNetwork, modelSpec } from '../graph/model-spec.js';
import type { ModelMetadata, Network } from '../runtime/spec.js';
import { tfjsRuntime, type Tf } from '../runtime/tfjs.js';
import { createWgslFeatureModel, createWgslModel, loadWgslWeights, WgslLimitError } from '../runtime/wgsl.js';
import { randomCheckpoint } from '../weights/random.js';
import { dawnDevice, DawnError } from '../wgsl/dawn.js';

// Latency of a candidate network on a target runtime: the median of timed runs after warm-up,
// with random weights (latency does not depend on their values). Used by `effnet search --measure`.
// The network runs through the same runtimes generated models use (src/runtime/), built in memory:
// no files are written and nothing is transpiled.

export const MEASURE_TARGETS = ['tfjs-wasm', 'wgsl'] as const;
export type MeasureTarget = (typeof MEASURE_TARGETS)[number];

export interface MeasureOptions {
  target: MeasureTarget;
  /** Timed runs after warm-up (median reported). */
  runs: number;
  /** Untimed runs first. */
  warmup: number;
  /** Images per run. */
  batch: number;
  /** Seed of the random weights and input (default 1): the same candidate always runs the same numbers. */
  seed?: number;
  /** Loads an optional peer package by name (default: a dynamic import); tests pass one that fails. */
  importer?: (specifier: string) => Promise<unknown>;
}

export interface Latency {
  target: MeasureTarget;
  /** Median of the timed runs, milliseconds per run (a whole batch). */
  medianMs: number;
  minMs: number;
  maxMs: number;
  runs: number;
  batch: number;
  /** What ran it: backend name, adapter description. */
  runtime: string;
}

/** Thrown when the target cannot run here (a missing optional package, no adapter); message names the fix. */
export class MeasureError extends Error {}

/** One target, ready: `run` does one whole batch and waits for its output. */
interface Runner {
  runtime: string;
  run(): Promise<void>;
  dispose(): void;
}

interface Built {
  network: Network;
  meta: ModelMetadata;
  /** A safetensors checkpoint of random weights, torchvision names. */
  weights: Uint8Array;
  /** NHWC float32 `[batch, R, R, C]`. */
  input: Float32Array;
  batch: number;
}

const defaultImporter = (specifier: string): Promise<unknown> => import(specifier);

/** Loads the optional peers a target needs; a failure names the install command. */
async function peers(importer: (s: string) => Promise<unknown>, target: MeasureTarget, packages: string[]): Promise<unknown[]> {
  const loaded: unknown[] = [];
  for (const p of packages) {
    try {
      loaded.push(await importer(p));
    } catch (e) {
      const missing = ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'].includes((e as { code?: string }).code ?? '');
      const why = missing ? `${packages.join(' and ')}, which effnet does not install` : `${p}, which does not load (${(e as Error).message.split('\n')[0]})`;
      throw new MeasureError(`--measure ${target} needs ${why} (npm install ${packages.join(' ')})`);
    }
  }
  return loaded;
}

async function tfjsRunner(b: Built, importer: (s: string) => Promise<unknown>): Promise<Runner> {
  const [tf, wasm] = (await peers(importer, 'tfjs-wasm', ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'])) as [Tf, { getThreadsCount?: () => number }];
  tf.enableProdMode();
  if (!(await tf.setBackend('wasm'))) throw new MeasureError('--measure tfjs-wasm: the TensorFlow.js wasm backend did not initialise');
  await tf.ready();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threads = wasm.getThreadsCount?.() ?? 1;
  const rt = tfjsRuntime(tf);
  const weights = rt.loadWeights(b.network, b.meta, b.weights);
  const features = b.meta.features.length > 0;
  const infer = features ? rt.createFeatureInference(b.network, b.meta, weights) : rt.createInference(b.network, b.meta, weights);
  const r = b.meta.resolution;
  const x = tf.tensor4d(b.input, [b.batch, r, r, b.meta.inputChannels]);
  return {
    runtime: `tfjs wasm (${simd ? 'simd' : 'no simd'}, ${threads} thread${threads === 1 ? '' : 's'})`,
    async run() {
      const y = infer(x) as tfjs.Tensor | tfjs.Tensor[];
      // Reading the outputs back is part of a run, as it is for the WGSL model.
      for (const t of Array.isArray(y) ? y : [y]) t.dataSync();
      tf.dispose(y);
    },
    dispose() {
      x.dispose();
      infer.dispose();
    },
  };
}

/** One Dawn device per process: a Dawn instance is never freed (src/wgsl/dawn.ts), so candidates share it. */
let dawn: ReturnType<typeof dawnDevice> | undefined;

async function wgslRunner(b: Built, importer: (s: string) => Promise<unknown>): Promise<Runner> {
  await peers(importer, 'wgsl', ['webgpu']);
  let device: GPUDevice;
  let label: string;
  try {
    ({ device, label } = await (dawn ??= dawnDevice('opengles')));
  } catch (e) {
    dawn = undefined;
    if (e instanceof DawnError) throw new MeasureError(`--measure wgsl: ${e.message}`);
    throw e;
  }
  const weights = loadWgslWeights(b.network, b.meta, b.weights);
  let model;
  try {
    // The runtime plans the dispatches and makes the shaders, as a generated model's does.
    model = b.meta.features.length > 0 ? await createWgslFeatureModel(device, b.network, b.meta, weights) : await createWgslModel(device, b.network, b.meta, weights);
  } catch (e) {
    if (e instanceof WgslLimitError) throw new MeasureError(`--measure wgsl: ${e.message}`);
    throw e;
  }
  const m = model;
  return {
    runtime: `webgpu (Dawn opengles: ${label})`,
    async run() {
      await m.run(b.input, b.batch);
    },
    dispose: () => m.dispose(),
  };
}

/** Uniform floats in [-1, 1) from a 32-bit LCG: a deterministic input batch. */
function randomInput(n: number, seed: number): Float32Array {
  let state = (seed ^ 0x9e3779b9) >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return out;
}

const median = (sorted: number[]): number => {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
};

export async function measureLatency(graph: VariantGraph, options: MeasureOptions): Promise<Latency> {
  const { target, runs, warmup, batch, seed = 1, importer = defaultImporter } = options;
  if (!MEASURE_TARGETS.includes(target)) throw new MeasureError(`unknown --measure target \`${String(target)}\` (one of ${MEASURE_TARGETS.join(', ')})`);
  for (const [name, value, least] of [['runs', runs, 1], ['warmup', warmup, 0], ['batch', batch, 1]] as const)
    if (!Number.isSafeInteger(value) || value < least) throw new MeasureError(`--measure needs ${name} to be a whole number ≥ ${least}, not ${value}`);
  const meta = modelMetadata(graph);
  const built: Built = {
    network: modelNetwork(modelSpec(graph)),
    meta,
    weights: randomCheckpoint(graph, 'torchvision', seed),
    input: randomInput(batch * meta.resolution * meta.resolution * meta.inputChannels, seed),
    batch,
  };
  const runner = target === 'tfjs-wasm' ? await tfjsRunner(built, importer) : await wgslRunner(built, importer);
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup; i++) await runner.run();
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await runner.run();
      times.push(performance.now() - t0);
    }
  } finally {
    runner.dispose();
  }
  times.sort((a, b) => a - b);
  return { target, medianMs: median(times), minMs: times[0]!, maxMs: times[times.length - 1]!, runs, batch, runtime: runner.runtime };
}
