import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import { analyzeVariant } from '../src/cost/cost.js';
import type { VariantGraph } from '../src/graph/graph.js';
import { measureLatency, MeasureError, type Latency, type MeasureTarget } from '../src/search/measure.js';
import { root } from './support/tfjs.js';

// `effnet search --measure`: a candidate's latency on each target, from its graph alone (random
// weights, nothing written). Timings are not asserted against each other (they vary with the
// machine's load): only that every figure is a real, finite, ordered measurement of the runs asked.

const source = readFileSync(join(root, 'examples/fashion-mnist/fashion.effnet'), 'utf8').replace(
  /\n\}\n$/,
  '\n  variant wide { width 2.0 depth 2.0 resolution 56 }\n  variant feat { resolution 28 features 2 3 4 }\n}\n',
);
const graphs = compileSource(source, 'fashion.effnet', { variants: ['base', 'wide', 'feat'] }).graphs;
const [small, wide, feat] = graphs as [VariantGraph, VariantGraph, VariantGraph];

function expectMeasured(l: Latency, target: MeasureTarget, runs: number, batch: number): void {
  expect(l).toMatchObject({ target, runs, batch });
  for (const v of [l.minMs, l.medianMs, l.maxMs]) {
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(0);
  }
  expect(l.minMs).toBeLessThanOrEqual(l.medianMs);
  expect(l.medianMs).toBeLessThanOrEqual(l.maxMs);
}

describe('measureLatency', () => {
  it('the two networks differ: the wide one has far more MACs', () => {
    expect(analyzeVariant(wide).macs).toBeGreaterThan(10 * analyzeVariant(small).macs);
  });

  it('tfjs-wasm: the median of the timed runs, on the wasm backend with SIMD', async () => {
    const l = await measureLatency(small, { target: 'tfjs-wasm', runs: 5, warmup: 2, batch: 2 });
    expectMeasured(l, 'tfjs-wasm', 5, 2);
    expect(l.runtime).toMatch(/^tfjs wasm \(simd, 1 thread\)$/);
    expectMeasured(await measureLatency(wide, { target: 'tfjs-wasm', runs: 3, warmup: 1, batch: 1 }), 'tfjs-wasm', 3, 1);
  });

  it('wgsl: Dawn on this machine’s adapter (llvmpipe without a GPU; its shaders compile first, seconds on llvmpipe)', async () => {
    const l = await measureLatency(small, { target: 'wgsl', runs: 4, warmup: 1, batch: 2 });
    expectMeasured(l, 'wgsl', 4, 2);
    expect(l.runtime).toMatch(/^webgpu \(Dawn opengles: .+\)$/);
  });

  it('a feature network (several maps out) is measured on both targets', async () => {
    expect(feat.features.length).toBe(3);
    expectMeasured(await measureLatency(feat, { target: 'tfjs-wasm', runs: 3, warmup: 1, batch: 1 }), 'tfjs-wasm', 3, 1);
    expectMeasured(await measureLatency(feat, { target: 'wgsl', runs: 3, warmup: 1, batch: 1 }), 'wgsl', 3, 1);
  });

  it('an even number of runs gives the mean of the middle two', async () => {
    const l = await measureLatency(small, { target: 'tfjs-wasm', runs: 2, warmup: 0, batch: 1 });
    expect(l.medianMs).toBeCloseTo((l.minMs + l.maxMs) / 2, 9);
  });

  const missing = (specifier: string) => Promise.reject(Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' }));

  it('a missing peer package is a MeasureError naming the install command', async () => {
    await expect(measureLatency(small, { target: 'tfjs-wasm', runs: 1, warmup: 0, batch: 1, importer: missing })).rejects.toThrow(
      new MeasureError('--measure tfjs-wasm needs @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm, which effnet does not install (npm install @tensorflow/tfjs @tensorflow/tfjs-backend-wasm)'),
    );
    await expect(measureLatency(small, { target: 'wgsl', runs: 1, warmup: 0, batch: 1, importer: missing })).rejects.toThrow(
      new MeasureError('--measure wgsl needs webgpu, which effnet does not install (npm install webgpu)'),
    );
    // Only the wasm backend missing: still both named, as one install fixes it.
    const noWasm = (s: string) => (s === '@tensorflow/tfjs-backend-wasm' ? missing(s) : import(s));
    await expect(measureLatency(small, { target: 'tfjs-wasm', runs: 1, warmup: 0, batch: 1, importer: noWasm })).rejects.toBeInstanceOf(MeasureError);
  });

  it('a package that is there but fails to load says so', async () => {
    const broken = () => Promise.reject(new Error('bad ELF header\nat dlopen'));
    await expect(measureLatency(small, { target: 'wgsl', runs: 1, warmup: 0, batch: 1, importer: broken })).rejects.toThrow(
      new MeasureError('--measure wgsl needs webgpu, which does not load (bad ELF header) (npm install webgpu)'),
    );
  });

  it('refuses an unknown target and counts that are not whole numbers', async () => {
    await expect(measureLatency(small, { target: 'onnx' as MeasureTarget, runs: 1, warmup: 0, batch: 1 })).rejects.toThrow(/unknown --measure target `onnx` \(one of tfjs-wasm, wgsl\)/);
    await expect(measureLatency(small, { target: 'wgsl', runs: 0, warmup: 0, batch: 1 })).rejects.toThrow(/runs to be a whole number ≥ 1, not 0/);
    await expect(measureLatency(small, { target: 'wgsl', runs: 1, warmup: -1, batch: 1 })).rejects.toThrow(/warmup to be a whole number ≥ 0, not -1/);
    await expect(measureLatency(small, { target: 'wgsl', runs: 1, warmup: 0, batch: 1.5 })).rejects.toThrow(MeasureError);
  });
});
