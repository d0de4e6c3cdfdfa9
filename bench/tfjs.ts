import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileFile } from '../src/compile/compile.js';
import { createSession, loadOrt, type Ort } from '../src/onnx/ort.js';
import { tfjsRuntime, type Tf } from '../src/runtime/tfjs.js';
import { importTfjsModel } from '../src/tfjs/load.js';
import { B0_WEIGHTS, load, stats, torchvisionOnnx } from './shared.js';

// The generated tfjs b0 @224, batch 1, wasm backend: the plain-ops inference
// function and the tf.layers model's predict, against ONNX Runtime for Node
// (1 and 2 intra-op threads) on torchvision's b0 exported to ONNX, all run in
// interleaved rounds so each sees the same machine state. ORT's entries say
// why when they cannot run (no onnxruntime-node, no python torch, no export
// script): the bench never fails for them.

const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
const perRound = (xs: number[], ys: number[]) => stats(xs.map((x, i) => x / ys[i]!)).medianMs;

interface OrtRunner {
  run(): Promise<Float32Array>;
}

async function ortRunners(input: Float32Array): Promise<{ file: string; threads1: OrtRunner; threads2: OrtRunner } | { unavailable: string }> {
  let ort: Ort;
  try {
    ort = await loadOrt();
  } catch (e) {
    return { unavailable: (e as Error).message };
  }
  const model = torchvisionOnnx();
  if ('unavailable' in model) return model;
  const bytes = readFileSync(model.path);
  const open = async (threads: number): Promise<OrtRunner> => {
    const session = await createSession(ort, bytes, { threads });
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, 224, 224]) };
    const out = session.outputNames[0]!;
    return { run: async () => (await session.run(feeds))[out]!.data as Float32Array };
  };
  try {
    return { file: model.path, threads1: await open(1), threads2: await open(2) };
  } catch (e) {
    return { unavailable: `onnxruntime-node cannot open ${model.path}: ${(e as Error).message.split('\n')[0]}` };
  }
}

export async function benchTfjs(runs: number) {
  const url = import.meta.resolve('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-wasm');
  const tf = (await import(url)) as Tf;
  tf.enableProdMode();
  await tf.setBackend('wasm');
  await tf.ready();
  const g = compileFile(join('specs', 'efficientnet.effnet'), { variants: ['b0'] }).graphs[0]!;
  const model = await importTfjsModel(g, 'specs/efficientnet.effnet', url);
  const weights = model.loadWeights(readFileSync(B0_WEIGHTS));
  const infer = model.createInference(weights);
  const layers = model.createModel({ weights });
  // The fixture's own input: a random network's logits on off-distribution noise run into the
  // thousands, where the two engines' rounding differs visibly; on this input they agree to 1e-5.
  const bytes = readFileSync(join('test', 'fixtures', 'b0', 'input.f32'));
  const nchw = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const input = tfjsRuntime(tf).fromNchw(nchw, [1, 3, 224, 224]);
  const ort = await ortRunners(nchw);

  const time = (run: () => unknown) => {
    const t0 = performance.now();
    const y = run() as { dataSync(): unknown; dispose(): void };
    y.dataSync();
    y.dispose();
    return performance.now() - t0;
  };
  const timeAsync = async (run: () => Promise<unknown>) => {
    const t0 = performance.now();
    await run();
    return performance.now() - t0;
  };
  const a: number[] = [];
  const b: number[] = [];
  const o1: number[] = [];
  const o2: number[] = [];
  const round = async (keep: boolean) => {
    const ta = time(() => infer(input));
    const tb = time(() => layers.predict(input));
    const t1 = 'unavailable' in ort ? 0 : await timeAsync(() => ort.threads1.run());
    const t2 = 'unavailable' in ort ? 0 : await timeAsync(() => ort.threads2.run());
    if (keep) a.push(ta), b.push(tb), o1.push(t1), o2.push(t2);
  };
  const loadBefore = load();
  for (let i = 0; i < 3; i++) await round(false);
  for (let i = 0; i < runs; i++) await round(true);
  const inference = stats(a);
  const predict = stats(b);

  let onnxRuntime: Record<string, unknown>;
  if ('unavailable' in ort) onnxRuntime = { unavailable: ort.unavailable };
  else {
    // The same network and weights: the logits agree (a check on the comparison, not a test).
    const ours = infer(input);
    const theirs = await ort.threads1.run();
    const mine = ours.dataSync();
    ours.dispose();
    let maxAbsDiff = 0;
    for (let i = 0; i < mine.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(mine[i]! - theirs[i]!));
    const t1 = stats(o1);
    const t2 = stats(o2);
    onnxRuntime = {
      model: ort.file,
      logitsMaxAbsDiff: Number(maxAbsDiff.toPrecision(3)),
      threads1: t1,
      threads2: t2,
      createInferenceToOrt1: ratio(inference.medianMs, t1.medianMs),
      createInferenceToOrt2: ratio(inference.medianMs, t2.medianMs),
      createModelPredictToOrt1: ratio(predict.medianMs, t1.medianMs),
      // Each round's own ratio, then their median: steadier than the ratio of medians when other
      // processes load the machine, as both sides of a round see the same load.
      perRoundMedian: { createInferenceToOrt1: perRound(a, o1), createInferenceToOrt2: perRound(a, o2) },
    };
  }
  return {
    what: 'generated efficientnet b0 @224, batch 1, @tensorflow/tfjs wasm backend (SIMD, one thread: tfjs-backend-wasm 4.22 has no threads in Node): createInference (plain ops, BatchNorm folded, fused conv + bias + activation) vs createModel().predict vs onnxruntime-node (torchvision b0 exported to ONNX, intraOpNumThreads 1 and 2), the b0 fixture input and weights, interleaved rounds, ms including the read-back',
    runs,
    loadavg: { before: loadBefore, after: load() },
    createInference: inference,
    createModelPredict: predict,
    ratio: ratio(inference.medianMs, predict.medianMs),
    onnxRuntime,
  };
}
