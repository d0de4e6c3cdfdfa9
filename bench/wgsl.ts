import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileFile } from '../src/compile/compile.js';
import { tfjsRuntime, type Tf } from '../src/runtime/tfjs.js';
import { importTfjsModel } from '../src/tfjs/load.js';
import { dawnDevice } from '../src/wgsl/dawn.js';
import { classifierModule, importWgslModel } from '../src/wgsl/load.js';
import { stats } from './shared.js';

// The generated WGSL b0 @224, batch 1, against @tensorflow/tfjs-backend-webgpu
// running the generated tfjs inference on the same Dawn adapter (OpenGL ES on
// llvmpipe here), runs interleaved, same weights (the b0 fixture); and the same
// WGSL model with half-float weights (`weightPrecision: 'f16'`) against its float32 self.

export async function benchWgsl(runs: number) {
  const { device, gpu, label } = await dawnDevice('opengles');
  const g = compileFile(join('specs', 'efficientnet.effnet'), { variants: ['b0'] }).graphs[0]!;
  const bytes = readFileSync(join('test', 'fixtures', 'b0', 'weights.safetensors'));
  const wgsl = await importWgslModel(g, 'specs/efficientnet.effnet');
  const model = await classifierModule(wgsl).createModel(device, wgsl.loadWeights(bytes));
  const half = await classifierModule(wgsl).createModel(device, wgsl.loadWeights(bytes), { weightPrecision: 'f16' });
  const input = new Float32Array(224 * 224 * 3).map((_, i) => Math.sin(i));

  // tfjs-backend-webgpu finds WebGPU through navigator.gpu; the adapter must be the compatibility-level one.
  const compat: Pick<GPU, 'requestAdapter'> = { requestAdapter: (o) => gpu.requestAdapter({ ...o, featureLevel: 'compatibility' } as GPURequestAdapterOptions) };
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: compat, userAgent: 'node' }, configurable: true });
  const url = import.meta.resolve('@tensorflow/tfjs');
  const tf = (await import(url)) as Tf;
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs-backend-webgpu did not initialise on Dawn');
  await tf.ready();
  const tfjs = await importTfjsModel(g, 'specs/efficientnet.effnet', url);
  const infer = tfjs.createInference(tfjs.loadWeights(bytes));
  const x = tfjsRuntime(tf).fromNchw(new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i)), [1, 3, 224, 224]);

  const timeWgsl = async (m = model) => {
    const t0 = performance.now();
    await m.run(input, 1);
    return performance.now() - t0;
  };
  const timeTfjs = async () => {
    const t0 = performance.now();
    const y = infer(x);
    await y.data();
    y.dispose();
    return performance.now() - t0;
  };
  // Warm-up: pipelines compile on first use on both sides.
  await timeWgsl();
  await timeWgsl(half);
  await timeTfjs();
  const a: number[] = [];
  const b: number[] = [];
  const h: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await timeWgsl());
    h.push(await timeWgsl(half));
    b.push(await timeTfjs());
  }
  const w = stats(a);
  const t = stats(b);
  const w16 = stats(h);
  // Where the WGSL model's time goes: profile() per dispatch, summed by layer kind, slowest first.
  const profile = await model.profile();
  const byKind = new Map<string, { ms: number; dispatches: number }>();
  for (const p of profile) {
    const k = byKind.get(p.kind) ?? { ms: 0, dispatches: 0 };
    byKind.set(p.kind, { ms: k.ms + p.ms, dispatches: k.dispatches + 1 });
  }
  const profileByKind = [...byKind].sort((x, y) => y[1].ms - x[1].ms).map(([kind, k]) => ({ kind, dispatches: k.dispatches, ms: Number(k.ms.toFixed(3)) }));
  const result = {
    what: 'generated efficientnet b0 @224, batch 1: the WGSL model vs @tensorflow/tfjs-backend-webgpu running the generated tfjs inference, same Dawn adapter, interleaved runs, ms to logits on the host',
    adapter: `Dawn opengles (compatibility): ${label}`,
    runs,
    wgsl: w,
    tfjsWebgpu: t,
    ratio: Number((w.medianMs / t.medianMs).toFixed(3)),
    dispatchesPerInference: model.dispatches,
    intermediateBytes: model.arenaBytes,
    intermediateBytesOneBufferPerTensor: model.tensorBytes,
    weightBytes: model.weightBytes,
    f16Weights: { wgsl: w16, ratioToF32: Number((w16.medianMs / w.medianMs).toFixed(3)), weightBytes: half.weightBytes },
    profile: { timing: profile[0]?.timing, byKind: profileByKind },
  };
  model.dispose();
  half.dispose();
  infer.dispose();
  x.dispose();
  device.destroy();
  return result;
}
