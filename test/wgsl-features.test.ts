/// <reference types="@webgpu/types" />
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelMetadata } from '../src/cost/metadata.js';
import type { VariantGraph } from '../src/graph/graph.js';
import { modelNetwork, modelSpec } from '../src/graph/model-spec.js';
import { bindCheckpoint, type Weights } from '../src/runtime/checkpoint.js';
import { parseSafetensors } from '../src/runtime/safetensors.js';
import { layerSpecs, shapesAt, type FeatureSpec, type ModelMetadata, type Network } from '../src/runtime/spec.js';
import { tfjsRuntime } from '../src/runtime/tfjs.js';
import { createWgslFeatureModel, createWgslModel, type WgslFeatureModel } from '../src/runtime/wgsl.js';
import { PlanError, planWgsl, type Step, type WgslPlan } from '../src/runtime/wgsl-plan.js';
import { dawnDevice } from '../src/wgsl/dawn.js';
import { emitWgsl } from '../src/wgsl/emit.js';
import { randomCheckpoint } from '../src/weights/random.js';
import { root, tf, useBackend, writeGenerated } from './support/tfjs.js';
import { strictProgram, typeErrors } from './support/typecheck.js';
import { graphOfText, inputFor, relativeError } from './support/w-differential.js';

// Feature networks (timm's features_only) and `classes 0` on the WGSL target: every
// feature map, read back after the last dispatch, and the pooled features must match
// the tfjs plain-ops inference within 1e-4 of the largest magnitude, with random
// weights, on a batch of two (the readback lays each output's batch out whole).

const TOLERANCE = 1e-4;

let dawn: Awaited<ReturnType<typeof dawnDevice>>;
beforeAll(async () => {
  await useBackend('wasm');
  dawn = await dawnDevice('opengles');
});
afterAll(() => dawn?.device.destroy());

const spec = (body: string, resolution = 48) => `family featnet {\n${body}\n  variant v { width 1.0 depth 1.0 resolution ${resolution} }\n}\n`;

// Stage 1 ends in an SE gate (the map handed out is the gated one), stage 2 in a fused
// residual add, stage 3 is not handed out, and the head and classifier are never reached.
const CLASSIFIER = graphOfText(
  spec(
    '  stem conv k3 s2 c8\n  stage fused_mbconv e1 k3 s2 c8 n1 se 0.25\n  stage mbconv e4 k3 s1 c8 n2 se 0.25\n  stage mbconv e4 k5 s2 c16 n1\n  stage fused_mbconv e4 k3 s2 c24 n1\n  head conv k1 c32',
  ),
);
const FEATURE_STAGES = [1, 2, 4];

/**
 * A network module that hands out `stages` of `g` and stops at the last, as the feature syntax
 * will generate it (written by hand until the language has it): the tests run it, and the
 * generated WGSL module imports and type-checks against it.
 */
function featureNetworkModule(g: VariantGraph, stages: number[]): string {
  const m = modelSpec(g);
  const features: FeatureSpec[] = stages.map((i) => {
    const [c, h] = g.stages.find((s) => s.index === i)!.outShape;
    return { name: `features.${i}`, channels: c, stride: g.resolution / h };
  });
  const kept = m.stages.filter((s) => s.index <= Math.max(...stages)).map((s) => ({ blocks: s.blocks, feature: features.find((f) => f.name === `features.${s.index}`) ?? null }));
  const metadata: ModelMetadata = { family: g.family, variant: g.variant, resolution: g.resolution, inputChannels: g.input[0], classes: 0, features, params: 0, bnBuffers: 0, macs: 0 };
  return `import type { BlockSpec, Builder, ConvSpec, FeatureSpec, ModelMetadata, SeSpec } from '../../src/runtime/spec.js';

export const metadata: ModelMetadata = ${JSON.stringify(metadata)};

const stem: ConvSpec = ${JSON.stringify(m.stem)};

const stages: { blocks: { spec: BlockSpec; layers: ({ kind: 'conv'; spec: ConvSpec } | { kind: 'se'; spec: SeSpec })[] }[]; feature: FeatureSpec | null }[] = ${JSON.stringify(kept)};

export function network<T>(x: T, b: Builder<T>): T {
  x = b.conv(x, stem);
  for (const s of stages) {
    for (const blk of s.blocks) x = b.block(x, blk.spec, (y) => blk.layers.reduce((z, l) => (l.kind === 'conv' ? b.conv(z, l.spec) : b.se(z, l.spec)), y));
    if (s.feature) x = b.feature(x, s.feature);
  }
  return x;
}
`;
}

interface FeatureModule {
  metadata: ModelMetadata;
  network: Network;
}

const networkPath = writeGenerated('featnet_v.network.ts', featureNetworkModule(CLASSIFIER, FEATURE_STAGES));
const { metadata: META, network: FEATURES } = (await import(networkPath)) as FeatureModule;

/** Random weights for every layer of `g`'s classifier: a feature network of it uses some of them. */
function randomWeights(g: VariantGraph, seed: number): Weights {
  return bindCheckpoint(parseSafetensors(randomCheckpoint(g, 'torchvision', seed)), layerSpecs(modelNetwork(modelSpec(g))), 'torchvision', `${g.family} ${g.variant}`);
}

/** Two images, NHWC. */
function batchOfTwo(g: VariantGraph): Float32Array {
  const [a, b] = [inputFor(g, 1), inputFor(g, 2)];
  const x = new Float32Array(a.length * 2);
  x.set(a);
  x.set(b, a.length);
  return x;
}

function tfjsFeatures(network: Network, meta: ModelMetadata, weights: Weights, input: Float32Array, [h, w] = [meta.resolution, meta.resolution]): Float32Array[] {
  const infer = tfjsRuntime(tf).createFeatureInference(network, meta, weights);
  try {
    const x = tf.tensor4d(input, [2, h, w, meta.inputChannels]);
    const maps = infer(x);
    const out = maps.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose([x, ...maps]);
    return out;
  } finally {
    infer.dispose();
  }
}

function tfjsOutput(network: Network, meta: ModelMetadata, weights: Weights, input: Float32Array): Float32Array {
  const infer = tfjsRuntime(tf).createInference(network, meta, weights);
  try {
    const x = tf.tensor4d(input, [2, meta.resolution, meta.resolution, meta.inputChannels]);
    const y = infer(x);
    const out = Float32Array.from(y.dataSync());
    tf.dispose([x, y]);
    return out;
  } finally {
    infer.dispose();
  }
}

/** [start, end) of the arena floats a step writes. */
function written(s: Step): [number, number] {
  const c = s.consts as Record<string, number>;
  const floats = { conv2d: c.HO! * c.WO! * c.COUT!, depthwise: c.HO! * c.WO! * c.C!, pointwise: c.M! * c.N!, pool: c.C!, se: c.C!, dense: c.OUT!, scale: c.HW! * c.C! }[s.kind];
  return [s.params.output, s.params.output + floats];
}

/** Per feature: the step that writes it (its stage's last) and every later step that writes any of its floats. */
function clobbered(plan: WgslPlan) {
  return plan.outputs.map((o) => {
    const producer = plan.steps.findLastIndex((s) => s.layer.startsWith(`${o.layer}.`));
    const later = plan.steps.slice(producer + 1).filter((s) => {
      const [a, b] = written(s);
      return a < o.offset + o.floats && o.offset < b;
    });
    return { layer: o.layer, writes: written(plan.steps[producer]!), later: later.map((s) => s.layer) };
  });
}

describe('the plan of a feature network (no device)', () => {
  const plan = planWgsl(FEATURES, META.resolution);

  it('hands out each feature map once, NHWC at its stage\'s shape', () => {
    expect(plan.features).toBe(true);
    expect(plan.outputs.map((o) => [o.layer, o.shape])).toEqual([
      ['features.1', [12, 12, 8]],
      ['features.2', [12, 12, 8]],
      ['features.4', [3, 3, 24]],
    ]);
    expect(plan.outputs.map((o) => o.shape)).toEqual(shapesAt(FEATURES, 48, 48).features);
    expect(plan.outputs.map((o) => o.floats)).toEqual([1152, 1152, 216]);
    // Nothing past the last feature is planned: no head, no pool, no dense.
    expect(plan.steps.some((s) => s.kind === 'dense' || s.layer === 'classifier' || s.layer === 'features.5')).toBe(false);
  });

  it('no step after a feature map writes any of its floats (it lives to the end), while the arena still reuses floats', () => {
    expect(clobbered(plan)).toEqual(plan.outputs.map((o) => ({ layer: o.layer, writes: [o.offset, o.offset + o.floats], later: [] })));
    // The gated map of stage 1 is a scale step's output, the residual one of stage 2 the fused 1×1 convolution's.
    expect(plan.steps.filter((s) => s.params.output === plan.outputs[0]!.offset && s.layer.startsWith('features.1.')).map((s) => s.kind)).toContain('scale');
    expect(plan.arenaFloats).toBeLessThan(plan.tensorFloats);
  });

  it('a network that goes on after its last feature is refused (E046 at check time)', () => {
    const onwards: Network = (x, b) => b.classifier(FEATURES(x, b), { hidden: null, dropout: 0, linear: null });
    expect(() => planWgsl(onwards, META.resolution)).toThrow(PlanError);
    expect(() => planWgsl(onwards, META.resolution)).toThrow('a feature network ends at its last feature, `features.4`; this one goes on after it');
  });
});

describe('feature maps on Dawn agree with tfjs', () => {
  const weights = randomWeights(CLASSIFIER, 7);
  const input = batchOfTwo(CLASSIFIER);

  it('every map of a batch of two, within 1e-4', async () => {
    const reference = tfjsFeatures(FEATURES, META, weights, input);
    const model = await createWgslFeatureModel(dawn.device, FEATURES, META, weights);
    try {
      expect(model.features).toEqual([
        { name: 'features.1', shape: [12, 12, 8] },
        { name: 'features.2', shape: [12, 12, 8] },
        { name: 'features.4', shape: [3, 3, 24] },
      ]);
      const maps = await model.run(input, 2);
      expect(maps.map((m) => m.length)).toEqual([2 * 1152, 2 * 1152, 2 * 216]);
      const errors = maps.map((m, i) => relativeError(m, reference[i]!));
      for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
      // The second image's maps are its own, not the first one's again.
      expect(relativeError(maps[2]!.subarray(216), reference[2]!.subarray(0, 216))).toBeGreaterThan(0.01);
    } finally {
      model.dispose();
    }
  });

  it('the wrong create function says which one to use', async () => {
    await expect(createWgslModel(dawn.device, FEATURES, META, weights)).rejects.toThrow('featnet v is a feature network: use createWgslFeatureModel');
    const classifier = modelNetwork(modelSpec(CLASSIFIER));
    await expect(createWgslFeatureModel(dawn.device, classifier, modelMetadata(CLASSIFIER), weights)).rejects.toThrow('featnet v is a classifier: use createWgslModel');
  });

  it('the generated module exports createFeatureModel, type-checks under strict, and runs at its resolution and at another size', async () => {
    const source = await emitWgsl(CLASSIFIER, { spec: 'featnet.effnet', runtimeModule: '../../src/runtime/wgsl.js', networkModule: './featnet_v.network.js' }, FEATURES);
    expect(source.replace(/\s+/g, ' ')).toContain(
      'export async function createFeatureModel( device: GPUDevice, weights: Weights, options: WgslLoadOptions = {}, ): Promise<WgslFeatureModel>',
    );
    expect(source).toContain('`features.1` `[batch, 12, 12, 8]`, `features.2` `[batch, 12, 12, 8]`, `features.4` `[batch, 3, 3, 24]`');
    expect(source).not.toContain('createModel(');
    const path = writeGenerated('featnet_v.wgsl.ts', source);

    // The generated module and the network module it imports (the runtime sources have their own check).
    const diagnostics = typeErrors(strictProgram([path]), [path, join(root, 'test/.generated/featnet_v.network.ts')]);
    expect(diagnostics).toEqual([]);

    const generated = (await import(path)) as { createFeatureModel(device: GPUDevice, weights: Weights, size?: { height: number; width: number }): Promise<WgslFeatureModel> };
    const model = await generated.createFeatureModel(dawn.device, weights);
    // Taller than wide, and not a multiple of the network's stride.
    const other = await generated.createFeatureModel(dawn.device, weights, { height: 61, width: 36 });
    try {
      const reference = tfjsFeatures(FEATURES, META, weights, input);
      const maps = await model.run(input);
      for (const [i, m] of maps.entries()) expect(relativeError(m, reference[i]!)).toBeLessThan(TOLERANCE);
      const x = new Float32Array(2 * 61 * 36 * 3).map((_, i) => Math.sin(i * 0.37));
      expect(other.features.map((f) => f.shape)).toEqual(shapesAt(FEATURES, 61, 36).features);
      const otherReference = tfjsFeatures(FEATURES, META, weights, x, [61, 36]);
      const otherMaps = await other.run(x);
      for (const [i, m] of otherMaps.entries()) expect(relativeError(m, otherReference[i]!)).toBeLessThan(TOLERANCE);
    } finally {
      model.dispose();
      other.dispose();
    }
  });
});

describe('classes 0: the pooled features are the output', () => {
  for (const c of [
    { name: 'after the head', body: '  classes 0\n  stem conv k3 s2 c8\n  stage mbconv e4 k3 s2 c8 n1 se 0.25\n  head conv k1 c16', channels: 16 },
    { name: 'after a hidden layer and its activation', body: '  classes 0\n  stem conv k3 s2 c8\n  stage mbconv e4 k3 s2 c8 n1 se 0.25\n  head conv k1 c16\n  classifier hidden 20 act hardswish', channels: 24 },
  ]) {
    it(`${c.name}: ${c.channels} values per image, as tfjs's`, async () => {
      const g = graphOfText(spec(c.body, 32));
      const network = modelNetwork(modelSpec(g));
      const meta = modelMetadata(g);
      const plan = planWgsl(network, g.resolution);
      expect(plan.features).toBe(false);
      expect(plan.outputs.map((o) => [o.layer, o.shape])).toEqual([['classifier', [1, 1, c.channels]]]);
      // The pool step (or the hidden layer's dense step) writes the output.
      const last = plan.steps[plan.steps.length - 1]!;
      expect([last.kind, last.params.output]).toEqual([c.channels === 16 ? 'pool' : 'dense', plan.outputs[0]!.offset]);
      await expect(emitWgsl(g, { spec: 'featnet.effnet' })).resolves.toContain(`resolves to pooled features \`[batch, ${c.channels}]\``);

      const weights = randomWeights(g, 11);
      const input = batchOfTwo(g);
      const reference = tfjsOutput(network, meta, weights, input);
      const model = await createWgslModel(dawn.device, network, meta, weights);
      try {
        const pooled = await model.run(input, 2);
        expect(pooled.length).toBe(2 * c.channels);
        expect(relativeError(pooled, reference)).toBeLessThan(TOLERANCE);
      } finally {
        model.dispose();
      }
    });
  }
});
