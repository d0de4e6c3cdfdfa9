/// <reference types="@webgpu/types" />
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import { analyzeVariant } from '../src/cost/cost.js';
import { modelMetadata } from '../src/cost/metadata.js';
import type { VariantGraph } from '../src/graph/graph.js';
import { modelNetwork, modelSpec } from '../src/graph/model-spec.js';
import { bindCheckpoint } from '../src/runtime/checkpoint.js';
import { parseSafetensors } from '../src/runtime/safetensors.js';
import { layerSpecs, shapesAt } from '../src/runtime/spec.js';
import { tfjsRuntime } from '../src/runtime/tfjs.js';
import { createWgslFeatureModel, loadWgslWeights } from '../src/runtime/wgsl.js';
import { dawnDevice } from '../src/wgsl/dawn.js';
import { maxAbsDiff, readF32, root, tf, useBackend } from './support/tfjs.js';

// EfficientNet-B0 beyond its one size and its logits, against torchvision and timm with the same
// weights (test/fixtures/b0-sizes, scripts/fixtures/make_size_fixture.py): any input size, the
// feature maps of timm's features_only, and output_stride 16 and 8.

const dir = join(root, 'test/fixtures/b0-sizes');
const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as {
  outputStride: Record<'16' | '8', { params: number; bnBuffers: number; macs: number; stageShapes: number[][]; convDw: [string, number, number, number, number][]; featuresOnlyParams: number; featuresOnlyBnBuffers: number }>;
  featureInfo: { module: string; num_chs: number; reduction: number; torchvision: string }[];
  featureInfoOs16: { reduction: number }[];
  os16SameAs: Record<string, string>;
};
const bytes = readFileSync(join(root, 'test/fixtures/b0/weights.safetensors'));
const spec = readFileSync(join(root, 'specs/efficientnet.effnet'), 'utf8');
/** b0's variant line, whatever its alignment. */
const B0 = /variant b0 \{[^}\n]*\}/;
/** The values are computed in float64; a float32 forward lands within 1e-4 of them (meta.json). */
const TOLERANCE = 1e-4;

/** efficientnet#b0 with more statements in its variant block, at its resolution or another. */
function b0(extra: string, resolution?: number): VariantGraph {
  expect(spec).toMatch(B0);
  const c = compileSource(spec.replace(B0, (line) => line.replace(/ \}$/, ` ${extra} }`)), 'specs/efficientnet.effnet', { variants: ['b0'], ...(resolution ? { resolution } : {}) });
  expect(c.diagnostics).toEqual([]);
  return c.graphs[0]!;
}

const FEATURES = 'features 1 2 3 5 7';

beforeAll(() => useBackend('wasm'));

describe('output_stride: timm efficientnet_b0 figures', () => {
  for (const os of ['16', '8'] as const) {
    it(`output_stride ${os}: params, BatchNorm buffers, MACs, stage shapes and each depthwise conv's stride and dilation`, () => {
      const ref = meta.outputStride[os];
      const g = b0(`output_stride ${os}`);
      const cost = analyzeVariant(g);
      expect([cost.params, cost.bnBuffers, cost.macs]).toEqual([ref.params, ref.bnBuffers, ref.macs]);
      expect(g.stages.map((s) => s.outShape)).toEqual(ref.stageShapes);
      const dw = g.stages.flatMap((s) => s.blocks.map((b) => b.layers.find((l) => l.op === 'conv' && l.role === 'depthwise')!)).map((l) => l.op === 'conv' && [l.kernel, l.stride, l.dilation, l.padding[0]]);
      expect(dw).toEqual(ref.convDw.map(([, k, s, d, p]) => [k, s, d, p]));
      const f = analyzeVariant(b0(`output_stride ${os} ${FEATURES}`));
      expect([f.params, f.bnBuffers]).toEqual([ref.featuresOnlyParams, ref.featuresOnlyBnBuffers]);
    });
  }
});

describe('feature maps (timm features_only)', () => {
  it('features 1 2 3 5 7 are timm’s five levels: names, channels, strides; no head or classifier', () => {
    const g = b0(FEATURES);
    expect(g.features.map((f) => [f.name, f.shape[0], f.stride])).toEqual(meta.featureInfo.map((i) => [i.torchvision, i.num_chs, i.reduction]));
    expect([g.head, g.classifier, g.classes]).toEqual([null, null, 0]);
    expect(modelMetadata(g).features.map((f) => f.stride)).toEqual([2, 4, 8, 16, 32]);
    expect(b0(`output_stride 16 ${FEATURES}`).features.map((f) => f.stride)).toEqual(meta.featureInfoOs16.map((i) => i.reduction));
  });

  it('a feature network loads a whole classifier checkpoint, skipping only the modules it leaves out', () => {
    const g = b0('features 1 2 3');
    const network = modelNetwork(modelSpec(g));
    const file = parseSafetensors(bytes);
    const who = 'efficientnet b0';
    // Stages 4–7, the head and the classifier: 7 + … tensors it does not have, skipped.
    expect(() => bindCheckpoint(file, layerSpecs(network), 'torchvision', who)).toThrow(/the weights hold \d+ tensors that efficientnet b0 \(torchvision layout\) does not have: `classifier\.1\.bias`/);
    expect(bindCheckpoint(file, layerSpecs(network), 'torchvision', who, { backbone: true }).layers.size).toBe(layerSpecs(network).length);
    // One more tensor on a module it keeps is still an error.
    const extra = new Map(file.tensors).set('features.3.0.block.0.0.bias', { name: 'features.3.0.block.0.0.bias', dtype: 'F32', shape: [240], data: new Float32Array(240) });
    expect(() => bindCheckpoint({ ...file, tensors: extra }, layerSpecs(network), 'torchvision', who, { backbone: true })).toThrow(/does not have: `features\.3\.0\.block\.0\.0\.bias`/);
  });

  it('fixture files hold what meta.json says', () => {
    expect(readF32(join(dir, 'features_224_4.f32')).length).toBe(320 * 7 * 7);
    expect(readF32(join(dir, 'features_256_0.f32')).length).toBe(16 * 128 * 128);
  });

  /** The maps of a torchvision NCHW file as tfjs gives them: NHWC. */
  const nhwc = (x: Float32Array, [c, h, w]: number[]) => {
    const out = new Float32Array(x.length);
    for (let k = 0; k < c!; k++) for (let p = 0; p < h! * w!; p++) out[p * c! + k] = x[k * h! * w! + p]!;
    return out;
  };
  const files = (size: number, os = '') => [0, 1, 2, 3, 4].map((i) => {
    const name = `features${os}_${size}_${i}.f32`;
    return join(dir, meta.os16SameAs[name] ?? name);
  });
  const input = (size: number) => readF32(size === 224 ? join(root, 'test/fixtures/b0/input.f32') : join(dir, `input_${size}.f32`));

  for (const [size, os] of [[224, ''], [256, ''], [224, '_os16']] as const) {
    it(`tfjs createFeatureInference at ${size}${os ? ', output_stride 16' : ''}: each map within ${TOLERANCE}`, () => {
      const g = b0(`${FEATURES}${os ? ' output_stride 16' : ''}`);
      const network = modelNetwork(modelSpec(g));
      const rt = tfjsRuntime(tf);
      const m = modelMetadata(g);
      const infer = rt.createFeatureInference(network, m, rt.loadWeights(network, m, bytes));
      const x = rt.fromNchw(input(size), [1, 3, size, size]);
      const maps = infer(x);
      const shapes = shapesAt(network, size, size).features;
      try {
        expect(maps.map((t) => t.shape.slice(1))).toEqual(shapes);
        files(size, os).forEach((file, i) => {
          const [h, w, c] = shapes[i]!;
          expect(maxAbsDiff(Float32Array.from(maps[i]!.dataSync()), nhwc(readF32(file), [c, h, w])), file).toBeLessThan(TOLERANCE);
        });
      } finally {
        tf.dispose([x, ...maps]);
        infer.dispose();
      }
    });
  }

  describe('on WGSL (Dawn, OpenGL ES on llvmpipe)', () => {
    let dawn: Awaited<ReturnType<typeof dawnDevice>>;
    beforeAll(async () => {
      dawn = await dawnDevice('opengles');
    });
    afterAll(() => dawn?.device.destroy());

    for (const size of [224, 256]) {
      it(`createWgslFeatureModel planned at ${size}: each map within ${TOLERANCE}`, async () => {
        const g = b0(FEATURES, size);
        expect(g.resolution).toBe(size);
        const network = modelNetwork(modelSpec(g));
        const m = modelMetadata(g);
        const model = await createWgslFeatureModel(dawn.device, network, m, loadWgslWeights(network, m, bytes), { height: size, width: size });
        try {
          const maps = await model.run(nhwc(input(size), [3, size, size]), 1);
          files(size).forEach((file, i) => {
            const [h, w, c] = model.features[i]!.shape;
            expect(maxAbsDiff(maps[i]!, nhwc(readF32(file), [c, h, w])), file).toBeLessThan(TOLERANCE);
          });
        } finally {
          model.dispose();
        }
      }, 120_000);
    }
  });
});

describe('any input size on tfjs', () => {
  it('b0 at 256×320 (H × W): torchvision’s logits within 1e-4', () => {
    const g = b0('');
    const network = modelNetwork(modelSpec(g));
    const rt = tfjsRuntime(tf);
    const m = modelMetadata(g);
    const infer = rt.createInference(network, m, rt.loadWeights(network, m, bytes));
    const x = rt.fromNchw(readF32(join(dir, 'input_256x320.f32')), [1, 3, 256, 320]);
    const logits = infer(x);
    try {
      expect(logits.shape).toEqual([1, 1000]);
      const expected = readF32(join(dir, 'logits_256x320.f32'));
      expect(Math.max(...expected.map(Math.abs))).toBeGreaterThan(0.5);
      expect(maxAbsDiff(Float32Array.from(logits.dataSync()), expected)).toBeLessThan(TOLERANCE);
    } finally {
      tf.dispose([x, logits]);
      infer.dispose();
    }
  });

  it('an input too small for the network is refused by name, before any op runs', () => {
    const g = b0('');
    const network = modelNetwork(modelSpec(g));
    const rt = tfjsRuntime(tf);
    const m = modelMetadata(g);
    const infer = rt.createInference(network, m, rt.loadWeights(network, m, bytes));
    const x = tf.zeros([1, 0, 5, 3]) as import('@tensorflow/tfjs').Tensor4D;
    try {
      expect(() => infer(x)).toThrow(/efficientnet b0 cannot take 0×5 images: layer `features\.0` gets 0×5 pixels/);
      expect(() => infer(tf.zeros([1, 32, 32, 4]) as import('@tensorflow/tfjs').Tensor4D)).toThrow(/takes an NHWC batch \[N, H, W, 3\], not \[1, 32, 32, 4\]/);
    } finally {
      x.dispose();
      infer.dispose();
    }
  });
});
