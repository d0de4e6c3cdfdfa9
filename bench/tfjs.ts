import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileFile } from '../src/compile/compile.js';
import { tfjsRuntime, type Tf } from '../src/runtime/tfjs.js';
import { importTfjsModel } from '../src/tfjs/load.js';

// The generated tfjs b0 @224, batch 1, wasm backend: the plain-ops inference
// function against the tf.layers model's predict, with the same weights (the
// b0 fixture), runs interleaved so both see the same machine state.

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const r = (x: number) => Number(x.toFixed(3));
  return { medianMs: r(s[s.length >> 1]!), minMs: r(s[0]!), maxMs: r(s[s.length - 1]!) };
};

export async function benchTfjs(runs: number) {
  const url = import.meta.resolve('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  const tf = (await import(url)) as Tf;
  tf.enableProdMode();
  await tf.setBackend('wasm');
  await tf.ready();
  const g = compileFile(join('specs', 'efficientnet.effnet'), { variants: ['b0'] }).graphs[0]!;
  const model = await importTfjsModel(g, 'specs/efficientnet.effnet', url);
  const weights = model.loadWeights(readFileSync(join('test', 'fixtures', 'b0', 'weights.safetensors')));
  const infer = model.createInference(weights);
  const layers = model.createModel({ weights });
  const input = tfjsRuntime(tf).fromNchw(new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i)), [1, 3, 224, 224]);
  const time = (run: () => unknown) => {
    const t0 = performance.now();
    const y = run() as { dataSync(): unknown; dispose(): void };
    y.dataSync();
    y.dispose();
    return performance.now() - t0;
  };
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 3; i++) time(() => infer(input)), time(() => layers.predict(input));
  for (let i = 0; i < runs; i++) {
    a.push(time(() => infer(input)));
    b.push(time(() => layers.predict(input)));
  }
  const inference = stats(a);
  const predict = stats(b);
  return {
    what: 'generated efficientnet b0 @224, batch 1, @tensorflow/tfjs wasm backend (SIMD, no threads): createInference (plain ops, BatchNorm folded) vs createModel().predict, same weights, interleaved runs, ms including dataSync',
    runs,
    createInference: inference,
    createModelPredict: predict,
    ratio: Number((inference.medianMs / predict.medianMs).toFixed(3)),
  };
}
