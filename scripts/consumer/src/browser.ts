// A web page's script (bundled with the runtime into one file): the WGSL model
// effnet generated for efficientnet b0, on the page's WebGPU device, run on the
// checkpoint and NCHW float32 image the page's server hands out. The result (or
// the error) lands on `globalThis.effnetResult` / `effnetError`.
/// <reference lib="dom" />
import { createModel, loadWeights, metadata, topK } from './generated/efficientnet/b0/model.wgsl.js';

const LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension'] as const;

async function bytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** NCHW [C, H, W] planes as one NHWC image, what the model takes. */
function toNhwc(nchw: Float32Array, channels: number, size: number): Float32Array {
  const out = new Float32Array(nchw.length);
  for (let c = 0; c < channels; c++) for (let p = 0; p < size * size; p++) out[p * channels + c] = nchw[c * size * size + p]!;
  return out;
}

async function run(): Promise<{ logits: number[]; adapter: string; top: string | undefined }> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice({ requiredLimits: Object.fromEntries(LIMITS.map((n) => [n, adapter.limits[n]])) });
  const weights = loadWeights(await bytes('./weights.safetensors'), 'torchvision');
  const input = await bytes('./input.f32');
  const model = await createModel(device, weights);
  const logits = await model.run(toNhwc(new Float32Array(input.buffer, input.byteOffset, input.byteLength / 4), 3, metadata.resolution), 1);
  model.dispose();
  const info = adapter.info;
  return { logits: Array.from(logits), adapter: `${info.vendor} ${info.architecture} ${info.description}`, top: topK(logits, 1)[0]?.label };
}

const page = globalThis as typeof globalThis & { effnetResult?: unknown; effnetError?: string };
run().then(
  (result) => (page.effnetResult = result),
  (e: unknown) => (page.effnetError = e instanceof Error ? e.message : String(e)),
);
