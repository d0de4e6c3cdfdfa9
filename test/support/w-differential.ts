/// <reference types="@webgpu/types" />
import { compileSource } from '../../src/compile/compile.js';
import { modelMetadata } from '../../src/cost/metadata.js';
import { hasErrors } from '../../src/diagnostics/diagnostic.js';
import type { VariantGraph } from '../../src/graph/graph.js';
import { modelNetwork, modelSpec } from '../../src/graph/model-spec.js';
import { bindCheckpoint } from '../../src/runtime/checkpoint.js';
import { parseSafetensors } from '../../src/runtime/safetensors.js';
import { layerSpecs, type ModelMetadata, type Network } from '../../src/runtime/spec.js';
import { tfjsRuntime } from '../../src/runtime/tfjs.js';
import { createWgslFeatureModel, createWgslModel } from '../../src/runtime/wgsl.js';
import type { PlanOptions } from '../../src/runtime/wgsl-plan.js';
import { randomCheckpoint } from '../../src/weights/random.js';
import { tf } from './tfjs.js';

// One variant through both runtimes with the same random weights and input: the tfjs
// plain-ops inference (the reference: its SE is a plain multiply) and the WGSL plan on a
// Dawn device. Both run the network as generated code does (`modelNetwork`).

/** The single variant of `text`; throws with the diagnostics when it does not compile. */
export function graphOfText(text: string, file = 'case.effnet'): VariantGraph {
  const c = compileSource(text, file);
  if (hasErrors(c.diagnostics) || c.graphs.length !== 1)
    throw new Error(`the spec does not compile:\n${c.diagnostics.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column} ${d.message}`).join('\n')}\n${text}`);
  return c.graphs[0]!;
}

export interface Outputs {
  tfjs: Float32Array;
  wgsl: Float32Array;
  /** max |wgsl − tfjs| / max(1e-3, max |tfjs|): the differential test's measure. */
  error: number;
}

/** A deterministic NHWC input in [-1, 1]. */
export function inputFor(g: VariantGraph, seed = 1): Float32Array {
  const [c, h, w] = g.input;
  let state = seed >>> 0;
  return new Float32Array(c * h * w).map(() => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

/** max |a − b| relative to the reference's largest magnitude (floored at 1e-3, so all-but-zero logits compare absolutely). */
export function relativeError(a: Float32Array, reference: Float32Array): number {
  let diff = 0;
  let scale = 1e-3;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - reference[i]!));
    scale = Math.max(scale, Math.abs(reference[i]!));
  }
  return a.length === reference.length && a.every(Number.isFinite) ? diff / scale : Infinity;
}

const metadata = (g: VariantGraph): ModelMetadata => modelMetadata(g);

/** Outputs one after another: logits, pooled features, or a feature network's NHWC maps. */
const concat = (parts: ArrayLike<number>[]): Float32Array => {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

export function tfjsLogits(network: Network, g: VariantGraph, bytes: Uint8Array, input: Float32Array): Float32Array {
  const rt = tfjsRuntime(tf);
  const meta = metadata(g);
  const weights = rt.loadWeights(network, meta, bytes);
  const infer = meta.features.length > 0 ? rt.createFeatureInference(network, meta, weights) : rt.createInference(network, meta, weights);
  try {
    const [c, h, w] = g.input;
    const x = tf.tensor4d(input, [1, h, w, c]);
    const y = [infer(x)].flat();
    const out = concat(y.map((t) => t.dataSync()));
    tf.dispose([x, ...y]);
    return out;
  } finally {
    infer.dispose();
  }
}

export async function wgslLogits(device: GPUDevice, network: Network, g: VariantGraph, bytes: Uint8Array, input: Float32Array, options: PlanOptions = {}): Promise<Float32Array> {
  const meta = metadata(g);
  const weights = bindCheckpoint(parseSafetensors(bytes), layerSpecs(network), 'torchvision', `${g.family} ${g.variant}`);
  const model = meta.features.length > 0 ? await createWgslFeatureModel(device, network, meta, weights, options) : await createWgslModel(device, network, meta, weights, options);
  try {
    return concat([await model.run(input)].flat());
  } finally {
    model.dispose();
  }
}

/** Both runtimes on one variant, random weights from `seed`. */
export async function runBoth(device: GPUDevice, g: VariantGraph, seed = 1, options: PlanOptions = {}): Promise<Outputs> {
  const network = modelNetwork(modelSpec(g));
  const bytes = randomCheckpoint(g, 'torchvision', seed);
  const input = inputFor(g, seed);
  const reference = tfjsLogits(network, g, bytes, input);
  const wgsl = await wgslLogits(device, network, g, bytes, input, options);
  return { tfjs: reference, wgsl, error: relativeError(wgsl, reference) };
}
