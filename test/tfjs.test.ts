import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tfjsRuntime, WeightsError } from '../src/runtime/tfjs.js';
import { graphOf, importGenerated, maxAbsDiff, readF32, root, tf, useBackend } from './support/tfjs.js';

// Generated tfjs modules on @tensorflow/tfjs with the wasm backend against
// torchvision's logits (fixtures made by scripts/fixtures/make_fixture.py):
// both the plain-ops inference function and the tf.layers model.

interface Meta {
  input: { shape: [number, number, number, number] };
  logits: { shape: number[] };
}

const fixtures = [
  { name: 'narrow', spec: 'test/fixtures/narrow/narrow.effnet', variant: 'narrow' },
  { name: 'b0', spec: 'specs/efficientnet.effnet', variant: 'b0' },
];

beforeAll(() => useBackend('wasm'));

for (const f of fixtures) {
  describe(`${f.name} fixture (torchvision layout)`, () => {
    const dir = join(root, 'test/fixtures', f.name);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
    const expected = readF32(join(dir, 'logits.f32'));
    const load = async () => {
      const mod = await importGenerated(graphOf(f.spec, f.variant));
      const weights = mod.loadWeights(readFileSync(join(dir, 'weights.safetensors')), 'torchvision');
      const input = tfjsRuntime(tf).fromNchw(readF32(join(dir, 'input.f32')), meta.input.shape);
      return { mod, weights, input };
    };

    it('createInference matches the logits within 1e-4 and leaks no tensor', async () => {
      const { mod, weights, input } = await load();
      const before = tf.memory().numTensors;
      const infer = mod.createInference(weights);
      const prepared = tf.memory().numTensors;
      const logits = infer(input);
      expect(logits.shape).toEqual(meta.logits.shape);
      expect(maxAbsDiff(logits.dataSync(), expected)).toBeLessThan(1e-4);
      // Only the result survives the call; dispose() frees the folded weights.
      expect(tf.memory().numTensors).toBe(prepared + 1);
      logits.dispose();
      infer.dispose();
      input.dispose();
      expect(tf.memory().numTensors).toBe(before - 1);
    });

    it('createModel with the same weights matches within 1e-4; countParams = params + BatchNorm buffers', async () => {
      const { mod, weights, input } = await load();
      const model = mod.createModel({ weights });
      expect(model.countParams()).toBe(mod.metadata.params + mod.metadata.bnBuffers);
      expect(model.inputs[0]!.shape).toEqual([null, mod.metadata.resolution, mod.metadata.resolution, 3]);
      const logits = model.predict(input) as tf.Tensor;
      expect(maxAbsDiff(logits.dataSync(), expected)).toBeLessThan(1e-4);
      tf.dispose([logits, input]);
      model.dispose();
    });
  });
}

describe('the tf.layers model', () => {
  it('names layers after torchvision modules and keeps stochastic depth and dropout out of predict', async () => {
    const mod = await importGenerated(graphOf('test/fixtures/narrow/narrow.effnet', 'narrow'));
    const model = mod.createModel();
    const names = model.layers.map((l) => l.name);
    expect(names).toEqual(expect.arrayContaining(['features.0/conv', 'features.0/bn', 'features.1.0/add', 'features.4.1/drop_path', 'features.4.1/add', 'classifier/dropout', 'classifier.1']));
    // The schedule: 0.2·i/N over the network's 10 blocks; block 0 (rate 0) gets no layer.
    expect(names).not.toContain('features.1.0/drop_path');
    const drop = model.getLayer('features.4.1/drop_path').getConfig() as { rate: number };
    expect(drop.rate).toBeCloseTo((0.2 * 4) / 10, 12);
    const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const a = model.predict(x) as tf.Tensor;
    const b = model.predict(x) as tf.Tensor;
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBe(0);
    // In training (model.apply with training) the random parts act: outputs differ.
    const t1 = model.apply(x, { training: true }) as tf.Tensor;
    const t2 = model.apply(x, { training: true }) as tf.Tensor;
    expect(maxAbsDiff(t1.dataSync(), t2.dataSync())).toBeGreaterThan(0);
    tf.dispose([x, a, b, t1, t2]);
    model.dispose();
  });

  it('fine-tunes (cpu backend: wasm has no gradients), and model.save() round-trips through the registered custom layers', async () => {
    await useBackend('cpu');
    const mod = await importGenerated(graphOf('test/fixtures/narrow/narrow.effnet', 'narrow'));
    const model = mod.createModel({ weights: mod.loadWeights(readFileSync(join(root, 'test/fixtures/narrow/weights.safetensors'))) });
    model.compile({ optimizer: tf.train.sgd(0.01), loss: 'sparseCategoricalCrossentropy' });
    const x = tf.randomNormal([4, 64, 64, 3], 0, 1, 'float32', 2);
    const y = tf.tensor1d([1, 2, 3, 4], 'float32');
    const h = await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    expect(h.history.loss![1]).not.toBe(h.history.loss![0]);
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.countParams()).toBe(model.countParams());
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, y, a, b]);
    await useBackend('wasm');
  });
});

describe('weight import errors name the problem', () => {
  const weights = readFileSync(join(root, 'test/fixtures/narrow/weights.safetensors'));
  const narrow = () => importGenerated(graphOf('test/fixtures/narrow/narrow.effnet', 'narrow'));

  it('a truncated file', async () => {
    const mod = await narrow();
    expect(() => mod.loadWeights(weights.subarray(0, weights.length - 100))).toThrow(/truncated/);
    expect(() => mod.loadWeights(weights.subarray(0, 4))).toThrow(/too short/);
  });

  it('a corrupted header', async () => {
    const mod = await narrow();
    const bad = Uint8Array.from(weights);
    bad[12] = 0xff;
    expect(() => mod.loadWeights(bad)).toThrow(WeightsError);
    expect(() => mod.loadWeights(bad)).toThrow(/not valid JSON/);
  });

  it('weights of another variant: the first missing and mis-shaped tensors by name', async () => {
    const b0 = await importGenerated(graphOf('specs/efficientnet.effnet', 'b0'));
    expect(() => b0.loadWeights(weights)).toThrow(/lack \d+ tensors of efficientnet b0 \(torchvision layout\): `features\.\d/);
  });

  it('the timm layout asked of a torchvision checkpoint', async () => {
    const mod = await narrow();
    expect(() => mod.loadWeights(weights, 'timm')).toThrow(/lack 197 tensors .*`conv_stem\.weight`/);
  });

  it('weights bound for another model are refused by createInference and createModel', async () => {
    const mod = await narrow();
    const b1 = await importGenerated(graphOf('specs/efficientnet.effnet', 'b1'));
    const w = mod.loadWeights(weights);
    expect(() => b1.createInference(w)).toThrow(/layer `features\.0` holds 216 values, not 864/);
    expect(() => b1.createModel({ weights: w })).toThrow(WeightsError);
  });
});
