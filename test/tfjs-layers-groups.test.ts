import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileFile, compileSource } from '../src/compile/compile.js';
import { modelMetadata } from '../src/cost/metadata.js';
import { DiagnosticSink, hasErrors } from '../src/diagnostics/diagnostic.js';
import { buildVariant } from '../src/graph/build.js';
import type { VariantGraph } from '../src/graph/graph.js';
import { modelNetwork, modelSpec } from '../src/graph/model-spec.js';
import { layerSpecs, type ModelMetadata, type Network } from '../src/runtime/spec.js';
import { tfjsRuntime, type Weights } from '../src/runtime/tfjs.js';
import { randomCheckpoint } from '../src/weights/random.js';
import { maxAbsDiff, readF32, root, tf, useBackend } from './support/tfjs.js';

// The tf.layers model runs mixed and grouped convolutions as one convolution per channel
// split or group (runtime/tfjs-split.ts), so it holds exactly the checkpoint's weights:
// countParams() is the report's params + BatchNorm buffers, against timm's mixnet_s logits
// and against the plain-ops inference (which runs them as one zero-filled kernel, fold.ts).
// Also: a model that takes any input size, `classes 0`, and save/load with the split layer.

/** Grouped (`groups 2`, `groups 4`, dilated too), depth-multiplier (`group_size 1` on 16 → 32), mixed stride-2 and mixed dilated convolutions, split 1×1 convs. */
const GROUPED = `family grouped {
  input channels 3
  classes 10
  activation relu
  padding symmetric
  round channels divisor 8 min 8
  se squeeze from input gate sigmoid
  stem conv k3 s2 c16
  stage conv k3 s1 c32 n1 group_size 1
  stage fused_mbconv k3 s2 e2 c32 n2 groups 2
  stage conv k3 s1 c32 n1 groups 4 dilation 2
  stage mbconv k3.5.7 s2 e4 c48 n1 se 0.25 expand_split 2 project_split 2
  stage mbconv k3.5 s1 e4 c48 n2 expand_split 2 project_split 3 dilation 2
  stage ds_conv k3 s2 c64 n1 groups 4
  head conv k1 c96
  classifier dropout 0.1 hidden 40 act relu
  resolution 48
  variant v { width 1 depth 1 }
  variant same { padding same }
  variant pooled { classes 0 }
}`;

function grouped(variant: string): VariantGraph {
  const c = compileSource(GROUPED, 'grouped.effnet', { variants: [variant] });
  if (!c.graphs[0] || hasErrors(c.diagnostics)) throw new Error(c.diagnostics.map((d) => `${d.code} ${d.message}`).join('; '));
  return c.graphs[0];
}

/** The shipped variant built at `resolution` (the fixture's) instead of its own, as family-logits.test.ts does. */
function graphAt(spec: string, variant: string, resolution: number): VariantGraph {
  const c = compileFile(join(root, spec), { variants: [variant], irOnly: true });
  const v = c.family?.variants.find((x) => x.name === variant);
  if (!c.family || !v || hasErrors(c.diagnostics)) throw new Error(`${spec}#${variant} does not compile`);
  const sink = new DiagnosticSink(spec);
  const g = buildVariant(c.family, { ...v, resolution }, sink);
  if (!g || sink.hasErrors) throw new Error(`${spec}#${variant} at ${resolution} does not build`);
  return g;
}

const rt = () => tfjsRuntime(tf);

function setup(g: VariantGraph): { network: Network; metadata: ModelMetadata; weights: Weights } {
  const network = modelNetwork(modelSpec(g));
  const metadata = modelMetadata(g);
  return { network, metadata, weights: rt().loadWeights(network, metadata, randomCheckpoint(g)) };
}

/** max |a − b| over max |a|, and max |a| (which must not be ~0 for the first to mean anything). */
function relDiff(a: tf.Tensor, b: tf.Tensor): { rel: number; scale: number } {
  const x = a.dataSync();
  const scale = Math.max(...Array.from(x, Math.abs));
  return { rel: maxAbsDiff(x, b.dataSync()) / scale, scale };
}

/** Both paths on the same input: the model's output over the inference's. */
function agree(model: tf.LayersModel, infer: (x: tf.Tensor4D) => tf.Tensor, shape: [number, number, number, number], seed: number): number {
  const x = tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor4D;
  const a = infer(x);
  const b = model.predict(x) as tf.Tensor;
  expect(b.shape).toEqual(a.shape);
  const { rel, scale } = relDiff(a, b);
  expect(scale).toBeGreaterThan(1e-3);
  tf.dispose([x, a, b]);
  return rel;
}

beforeAll(() => useBackend('wasm'));

describe('mixnet_s (timm, random weights): one convolution per split', () => {
  const dir = join(root, 'test/fixtures/families/mixnet_s');
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { spec: string; variant: string; resolution: number; params: number; input: { shape: [number, number, number, number] } };

  it('countParams() = params + BatchNorm buffers, and the logits match timm within 1e-4', () => {
    const g = graphAt(meta.spec, meta.variant, meta.resolution);
    const network = modelNetwork(modelSpec(g));
    const metadata = modelMetadata(g);
    expect(metadata.params).toBe(4_134_606);
    expect(meta.params).toBe(4_134_606);
    const model = rt().createModel(network, metadata, { weights: rt().loadWeights(network, metadata, readFileSync(join(dir, 'weights.safetensors')), 'timm') });
    expect(model.countParams()).toBe(metadata.params + metadata.bnBuffers);
    // timm's blocks.2.0.conv_dw.{0,1,2}: 3×3, 5×5 and 7×7 depthwise kernels of 48 channels each.
    const dw = 'features.3.0.block.1';
    expect([0, 1, 2].map((i) => model.getLayer(`${dw}/conv.${i}`).getWeights()[0]!.shape)).toEqual([
      [3, 3, 48, 1],
      [5, 5, 48, 1],
      [7, 7, 48, 1],
    ]);
    // timm's blocks.1.0.conv_pw.{0,1}: a 1×1 conv split in two, 8 → 48 channels each.
    expect(model.getLayer('features.2.0.block.0/conv.1').getWeights()[0]!.shape).toEqual([1, 1, 8, 48]);
    const x = rt().fromNchw(readF32(join(dir, 'input.f32')), meta.input.shape);
    const logits = model.predict(x) as tf.Tensor;
    expect(logits.shape).toEqual([1, 1000]);
    expect(maxAbsDiff(logits.dataSync(), readF32(join(dir, 'logits.f32')))).toBeLessThan(1e-4);
    tf.dispose([x, logits]);
    model.dispose();
  });
});

describe('grouped, depth-multiplier, mixed and dilated mixed convolutions', () => {
  it('countParams() = params + BatchNorm buffers; createModel and createInference agree within 1e-5', () => {
    const g = grouped('v');
    const { network, metadata, weights } = setup(g);
    const model = rt().createModel(network, metadata, { weights });
    expect(model.countParams()).toBe(metadata.params + metadata.bnBuffers);
    const cls = (name: string) => model.getLayer(name).getClassName();
    // group_size 1 on 16 → 32 channels: one depthwise layer, two outputs per input channel.
    expect(cls('features.1.0.block.0/conv')).toBe('DepthwiseConv2D');
    expect(model.getLayer('features.1.0.block.0/conv').getWeights()[0]!.shape).toEqual([3, 3, 16, 2]);
    // groups 2 on 32 → 64: two 16 → 32 convolutions.
    expect(['split', 'conv.0', 'conv.1', 'concat'].map((n) => cls(`features.2.0.block.0/${n}`))).toEqual(['EffnetSplit', 'Conv2D', 'Conv2D', 'Concatenate']);
    expect(model.getLayer('features.2.0.block.0/conv.1').getWeights()[0]!.shape).toEqual([3, 3, 16, 32]);
    // The stride-2 mixed conv pads each split for its own kernel: 1, 2 and 3 pixels.
    expect([0, 1, 2].map((i) => (model.getLayer(`features.4.0.block.1/pad.${i}`).getConfig() as { padding: number[][] }).padding)).toEqual([
      [[1, 1], [1, 1]],
      [[2, 2], [2, 2]],
      [[3, 3], [3, 3]],
    ]);
    const infer = rt().createInference(network, metadata, weights);
    expect(agree(model, infer, [2, 48, 48, 3], 5)).toBeLessThan(1e-5);
    infer.dispose();
    model.dispose();
  });

  it('a model of any input size (height, width null) agrees with createInference at 64×64, 80×96 and 45×51', () => {
    for (const variant of ['v', 'same']) {
      const g = grouped(variant);
      const { network, metadata, weights } = setup(g);
      if (variant === 'same') expect(layerSpecs(network).some((l) => l.kind === 'conv' && l.spec.same)).toBe(true);
      const model = rt().createModel(network, metadata, { weights, height: null, width: null });
      expect(model.inputs[0]!.shape).toEqual([null, null, null, 3]);
      expect(model.countParams()).toBe(metadata.params + metadata.bnBuffers);
      const infer = rt().createInference(network, metadata, weights);
      for (const [h, w] of [
        [64, 64],
        [80, 96],
        [45, 51],
      ] as const)
        expect(agree(model, infer, [1, h, w, 3], h + w), `${variant} at ${h}×${w}`).toBeLessThan(1e-5);
      infer.dispose();
      model.dispose();
    }
  });

  it('a fixed size other than the resolution (TensorFlow SAME padding) agrees with createInference', () => {
    const { network, metadata, weights } = setup(grouped('same'));
    const model = rt().createModel(network, metadata, { weights, height: 80, width: 96 });
    expect(model.inputs[0]!.shape).toEqual([null, 80, 96, 3]);
    const infer = rt().createInference(network, metadata, weights);
    expect(agree(model, infer, [1, 80, 96, 3], 7)).toBeLessThan(1e-5);
    infer.dispose();
    model.dispose();
  });

  it('classes 0: the pooled features after the hidden layer, as createInference gives them', () => {
    const { network, metadata, weights } = setup(grouped('pooled'));
    expect(metadata.classes).toBe(0);
    const model = rt().createModel(network, metadata, { weights });
    expect(model.outputs[0]!.shape).toEqual([null, 40]);
    expect(model.countParams()).toBe(metadata.params + metadata.bnBuffers);
    expect(model.layers.map((l) => l.name)).not.toContain('classifier/dropout');
    const infer = rt().createInference(network, metadata, weights);
    expect(agree(model, infer, [2, 48, 48, 3], 9)).toBeLessThan(1e-5);
    infer.dispose();
    model.dispose();
  });

  it('save and load round-trip through the registered split layer, any input size kept', async () => {
    const { network, metadata, weights } = setup(grouped('v'));
    const model = rt().createModel(network, metadata, { weights, height: null, width: null });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const topology = JSON.stringify(saved!.modelTopology);
    expect(topology).toContain('"class_name":"EffnetSplit"');
    expect(topology).toContain('"class_name":"EffnetDilatedConv2D"');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.countParams()).toBe(model.countParams());
    expect(loaded.inputs[0]!.shape).toEqual([null, null, null, 3]);
    const x = tf.randomNormal([1, 80, 96, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
    const a = model.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBe(0);
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('trains (cpu backend: wasm has no gradients): every split, group and dilated kernel gets a gradient', async () => {
    await useBackend('cpu');
    try {
      const { network, metadata, weights } = setup(grouped('v'));
      const model = rt().createModel(network, metadata, { weights, height: 32, width: 32 });
      const before = model.trainableWeights.map((w) => w.read().dataSync().slice());
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 13);
      const y = tf.randomNormal([2, 10], 0, 1, 'float32', 14);
      const h = await model.fit(x, y, { epochs: 1, batchSize: 2, verbose: 0 });
      // Dropout acts in training, so the losses vary from run to run: finite, not a fixed descent.
      expect(h.history.loss!.every((l) => Number.isFinite(l))).toBe(true);
      const unchanged = model.trainableWeights.filter((w, i) => maxAbsDiff(w.read().dataSync(), before[i]!) === 0).map((w) => w.name);
      expect(unchanged).toEqual([]);
      // Among them: a group, a dilated group, a split of a mixed conv and of a dilated mixed conv.
      expect(model.layers.filter((l) => l.trainableWeights.length > 0).map((l) => l.name)).toEqual(
        expect.arrayContaining(['features.2.0.block.0/conv.1', 'features.3.0.block.0/conv.3', 'features.4.0.block.1/conv.2', 'features.5.1.block.1/conv.1']),
      );
      tf.dispose([x, y]);
      model.dispose();
    } finally {
      await useBackend('wasm');
    }
  });
});
