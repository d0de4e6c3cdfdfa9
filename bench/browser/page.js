// @ts-check
// The browser bench page (bundled by bench/browser/bundle.ts; driven by bench/browser.ts).
// `?engines=a,b&threads=n` loads those engines on the fixture b0 weights and exposes
// `window.bench.run(name)`: one inference, timed here, from the host's input to logits on
// the host. Plain JS: the project's TypeScript has no DOM types.
//   wgsl         effnet's generated WGSL model (its createModel)
//   ort-webgpu   ONNX Runtime Web, `webgpu` execution provider, on effnet's ONNX export
//   ort-wasm     ONNX Runtime Web, `wasm` execution provider (`threads` threads)
// A page with ort-webgpu loads ONNX Runtime Web's JSEP build (webgpu and wasm providers, a 30 MB
// .wasm); one without loads `onnxruntime-web/wasm` (15 MB), what a CPU-only page would ship.
//   tfjs-webgpu  the generated tfjs createInference on @tensorflow/tfjs-backend-webgpu
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { chooseBackend } from '@bench/fast-path';
import { tfjsRuntime } from '@bench/tfjs-runtime';
import * as tfjsModel from '@bench/tfjs-model';
import * as wgslModel from '@bench/wgsl-model';

const SIZE = 224;
/** ONNX Runtime Web as shipped, served by the bench next to its .wasm files. */
const ORT_WEBGPU_URL = '/ort/ort.min.mjs';
const ORT_WASM_URL = '/ort/ort.wasm.min.mjs';

const bytesOf = async (/** @type {string} */ url) => new Uint8Array(await (await fetch(url)).arrayBuffer());

/** NCHW [1, 3, H, W] as NHWC [1, H, W, 3], what the WGSL model takes. */
function toNhwc(/** @type {Float32Array} */ nchw) {
  const plane = SIZE * SIZE;
  const out = new Float32Array(nchw.length);
  for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) out[p * 3 + c] = nchw[c * plane + p];
  return out;
}

/** @typedef {{ run(): Promise<Float32Array> }} Engine */

/** The adapter's own account of itself. */
function describe(/** @type {GPUAdapter} */ adapter) {
  const i = /** @type {any} */ (adapter).info ?? {};
  return { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter };
}

async function requestAdapter() {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  return adapter;
}

/** @returns {Promise<Engine>} */
async function wgsl(/** @type {Uint8Array} */ weights, /** @type {Float32Array} */ nchw) {
  const adapter = await requestAdapter();
  const names = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension'];
  const device = await adapter.requestDevice({ requiredLimits: Object.fromEntries(names.map((n) => [n, /** @type {any} */ (adapter.limits)[n]])) });
  const model = await wgslModel.createModel(device, wgslModel.loadWeights(weights, 'torchvision'));
  const input = toNhwc(nchw);
  return { run: () => model.run(input, 1) };
}

/** @returns {Promise<any>} */
async function loadOrt(/** @type {string} */ url, /** @type {number} */ threads) {
  const ort = await import(url);
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = threads;
  return ort;
}

/** @returns {Promise<Engine>} */
async function ortEngine(/** @type {any} */ ort, /** @type {'webgpu' | 'wasm'} */ provider, /** @type {Uint8Array} */ onnx, /** @type {Float32Array} */ nchw) {
  // Its own adapter: an adapter hands out one device, and the WGSL engine has taken the first.
  if (provider === 'webgpu') ort.env.webgpu.adapter = await requestAdapter();
  const session = await ort.InferenceSession.create(onnx, { executionProviders: [provider], graphOptimizationLevel: 'all' });
  const input = new ort.Tensor('float32', nchw, [1, 3, SIZE, SIZE]);
  return {
    run: async () => {
      const out = await session.run({ input });
      return /** @type {Float32Array} */ (out.logits.data);
    },
  };
}

/** @returns {Promise<Engine>} */
async function tfjsWebgpu(/** @type {Uint8Array} */ weights, /** @type {Float32Array} */ nchw) {
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs-backend-webgpu did not initialise');
  await tf.ready();
  const infer = tfjsModel.createInference(tfjsModel.loadWeights(weights, 'torchvision'));
  const x = tfjsRuntime(/** @type {any} */ (tf)).fromNchw(nchw, [1, 3, SIZE, SIZE]);
  return {
    run: async () => {
      const y = infer(x);
      const data = /** @type {Float32Array} */ (await y.data());
      y.dispose();
      return data;
    },
  };
}

async function main() {
  const query = new URLSearchParams(location.search);
  const wanted = (query.get('engines') ?? '').split(',').filter(Boolean);
  const threads = Number(query.get('threads') ?? '1');
  const [weights, onnx, input] = await Promise.all([bytesOf('/weights.safetensors'), bytesOf('/b0.onnx'), bytesOf('/input.f32')]);
  const nchw = new Float32Array(input.buffer, input.byteOffset, input.byteLength / 4);
  const ort = wanted.some((e) => e.startsWith('ort-')) ? await loadOrt(wanted.includes('ort-webgpu') ? ORT_WEBGPU_URL : ORT_WASM_URL, threads) : undefined;
  /** @type {Record<string, Engine>} */
  const engines = {};
  /** @type {Record<string, number>} */
  const loadMs = {};
  for (const name of wanted) {
    const t0 = performance.now();
    if (name === 'wgsl') engines[name] = await wgsl(weights, nchw);
    else if (name === 'ort-webgpu') engines[name] = await ortEngine(ort, 'webgpu', onnx, nchw);
    else if (name === 'ort-wasm') engines[name] = await ortEngine(ort, 'wasm', onnx, nchw);
    else if (name === 'tfjs-webgpu') engines[name] = await tfjsWebgpu(weights, nchw);
    else throw new Error(`unknown engine ${name}`);
    loadMs[name] = Number((performance.now() - t0).toFixed(1));
  }
  const choice = await chooseBackend();
  const adapter = await navigator.gpu?.requestAdapter();
  /** @type {any} */ (window).bench = {
    adapter: adapter ? describe(adapter) : null,
    fastPath: { backend: choice.backend, reason: choice.reason },
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    threads,
    loadMs,
    /** One inference: its time in ms and, when asked, its logits. */
    async run(/** @type {string} */ name, /** @type {boolean} */ withLogits) {
      const engine = engines[name];
      if (!engine) throw new Error(`engine ${name} is not loaded`);
      const t0 = performance.now();
      const logits = await engine.run();
      const ms = performance.now() - t0;
      return withLogits ? { ms, logits: Array.from(logits) } : { ms };
    },
  };
}

main().then(
  () => Object.assign(window, { benchReady: true }),
  (e) => Object.assign(window, { benchError: String(e?.stack ?? e) }),
);
