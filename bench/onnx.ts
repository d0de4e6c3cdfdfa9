import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileFile } from '../src/compile/compile.js';
import { bindVariantWeights } from '../src/onnx/bind.js';
import { exportOnnx } from '../src/onnx/export.js';
import { createSession, loadOrt, type Ort } from '../src/onnx/ort.js';
import { B0_WEIGHTS, load, maxAbsDiff, stats, torchvisionOnnx } from './shared.js';

// effnet's ONNX export of b0 @224 against torchvision's own export of the same weights (the b0
// fixture), both on onnxruntime-node's CPU provider with graph optimisation 'all', batch 1, on 1
// and 2 intra-op threads; rounds interleaved so both see the same machine state. torchvision's
// model is made by scripts/fixtures/make_onnx_reference.py (Debian's torch) into a cache folder;
// without torch the entry says why it is unavailable. Goal: effnet ≤ 1.05× torchvision.

const GOAL = 1.05;

async function timeBoth(ort: Ort, effnet: Uint8Array, torchvision: Uint8Array, threads: number, runs: number, input: Float32Array) {
  const [a, b] = await Promise.all([createSession(ort, effnet, { threads }), createSession(ort, torchvision, { threads })]);
  const x = new ort.Tensor('float32', input, [1, 3, 224, 224]);
  const once = async (s: typeof a) => {
    const t0 = performance.now();
    await s.run({ input: x });
    return performance.now() - t0;
  };
  for (let i = 0; i < 5; i++) (await once(a), await once(b));
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so neither always runs on a cache the other warmed.
    if (i % 2 === 0) (ta.push(await once(a)), tb.push(await once(b)));
    else (tb.push(await once(b)), ta.push(await once(a)));
  }
  await Promise.all([a.release(), b.release()]);
  const effnetStats = stats(ta);
  const torchvisionStats = stats(tb);
  const ratio = Number((effnetStats.medianMs / torchvisionStats.medianMs).toFixed(3));
  return { threads, effnet: effnetStats, torchvision: torchvisionStats, ratio, goal: GOAL, meetsGoal: ratio <= GOAL };
}

export async function benchOnnx(runs: number) {
  const what = `efficientnet b0 @224, batch 1, onnxruntime-node CPU, graphOptimizationLevel all: effnet export vs torchvision's torch.onnx.export of the same weights (b0 fixture), interleaved runs, ms; goal ratio ≤ ${GOAL}`;
  let ort: Ort;
  try {
    ort = await loadOrt();
  } catch (e) {
    return { what, unavailable: (e as Error).message };
  }
  const g = compileFile(join('specs', 'efficientnet.effnet'), { variants: ['b0'] }).graphs[0]!;
  const t0 = performance.now();
  const model = exportOnnx(g, bindVariantWeights(g, readFileSync(B0_WEIGHTS)));
  const exportMs = Number((performance.now() - t0).toFixed(1));
  const reference = torchvisionOnnx();
  const effnet = { bytes: model.bytes.byteLength, nodes: model.nodes, exportMs };
  if ('unavailable' in reference) return { what, effnet, torchvision: { unavailable: reference.unavailable } };
  const tv = readFileSync(reference.path);
  const f32 = (p: string) => {
    const b = readFileSync(p);
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const input = f32(join('test', 'fixtures', 'b0', 'input.f32'));
  const expected = f32(join('test', 'fixtures', 'b0', 'logits.f32'));
  const logits = async (bytes: Uint8Array) => {
    const s = await createSession(ort, bytes, { threads: 1 });
    const y = (await s.run({ input: new ort.Tensor('float32', input, [1, 3, 224, 224]) })).logits!.data as Float32Array;
    await s.release();
    return y;
  };
  const [ye, yt] = [await logits(model.bytes), await logits(tv)];
  const loadBefore = load();
  const byThreads = [];
  for (const threads of [1, 2]) byThreads.push(await timeBoth(ort, model.bytes, tv, threads, runs, input));
  return {
    what,
    runs,
    loadAverage: { before: loadBefore, after: load() },
    onnxruntime: ort.env.versions.common,
    effnet,
    torchvision: { bytes: tv.byteLength },
    maxAbsLogitDiff: { effnetVsTorchvisionOnnx: maxAbsDiff(ye, yt), effnetVsFixture: maxAbsDiff(ye, expected), torchvisionOnnxVsFixture: maxAbsDiff(yt, expected) },
    threads: byThreads,
  };
}
