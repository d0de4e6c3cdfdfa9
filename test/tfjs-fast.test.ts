import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { layerSpecs, type ConvSpec, type Network } from '../src/runtime/spec.js';
import { tfjsRuntime, type Tf } from '../src/runtime/tfjs.js';
import { kernelPadding } from '../src/runtime/tfjs-inference.js';
import { randomCheckpoint } from '../src/weights/random.js';
import { graphOf, importGenerated, maxAbsDiff, root, tf, useBackend } from './support/tfjs.js';

// The plain-ops inference path's speed work, checked for what it promises:
// padding folded into the kernel only where it is the same on all sides, the
// weights uploaded once at createInference and nothing kept or uploaded per
// call (logits themselves: tfjs.test.ts, infer.test.ts, family-logits.test.ts).

beforeAll(() => useBackend('wasm'));

const conv = (over: Partial<ConvSpec>): ConvSpec => ({ name: 'c', in: 8, out: 8, kernel: 5, stride: 2, groups: 8, padding: [2, 2, 2, 2], norm: null, act: 'silu', ...over });

describe('kernelPadding', () => {
  it("folds torchvision's k // 2 pad at stride 2 into the kernel as one number (SAME would pad 1 and 2 at 56)", () => {
    expect(kernelPadding(conv({}), 56, 56)).toBe(2);
    expect(kernelPadding(conv({ kernel: 3, padding: [1, 1, 1, 1] }), 112, 112)).toBe(1);
  });
  it("takes 'same' where TensorFlow SAME reproduces the pad, 'valid' for none", () => {
    expect(kernelPadding(conv({ stride: 1 }), 56, 56)).toBe('same');
    expect(kernelPadding(conv({ kernel: 1, stride: 1, padding: [0, 0, 0, 0] }), 7, 7)).toBe('valid');
    expect(kernelPadding(conv({ same: true, padding: [1, 2, 1, 2] }), 57, 57)).toBe('same');
  });
  it('keeps explicit pads only where the sides differ', () => {
    expect(kernelPadding(conv({ kernel: 3, padding: [0, 1, 0, 1] }), 57, 57)).toEqual([
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
    ]);
  });
  it("a number pad on wasm's depthwise kernel equals the explicit pad + 'valid' it replaces", () => {
    const x = tf.randomNormal([1, 56, 56, 24], 0, 1, 'float32', 7) as tf.Tensor4D;
    const filter = tf.randomNormal([5, 5, 24, 1], 0, 1, 'float32', 8) as tf.Tensor4D;
    const bias = tf.randomNormal([24], 0, 1, 'float32', 9) as tf.Tensor1D;
    const folded = tf.fused.depthwiseConv2d({ x, filter, bias, strides: 2, pad: 2 });
    const padded = tf.fused.depthwiseConv2d({ x: tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]]), filter, bias, strides: 2, pad: 'valid' });
    expect(folded.shape).toEqual([1, 28, 28, 24]);
    expect(maxAbsDiff(folded.dataSync(), padded.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, filter, bias, folded, padded]);
  });
});

/** The tf namespace with its tensor factories and transposes counted: what the runtime uploads and when. */
function counting(): { tf: Tf; uploads: () => number; transposes: () => number } {
  let uploads = 0;
  let transposes = 0;
  const ns = Object.create(tf) as Record<string, unknown>;
  for (const name of ['tensor', 'tensor1d', 'tensor2d', 'tensor3d', 'tensor4d'] as const) {
    const f = tf[name] as (...args: unknown[]) => unknown;
    ns[name] = (...args: unknown[]) => (uploads++, f(...args));
  }
  ns.transpose = (...args: unknown[]) => (transposes++, (tf.transpose as (...a: unknown[]) => unknown)(...args));
  return { tf: ns as unknown as Tf, uploads: () => uploads, transposes: () => transposes };
}

async function networkOf(spec: string, variant: string) {
  const g = graphOf(spec, variant);
  const mod = await importGenerated(g);
  const { network } = (await import(join(root, 'test/.generated', `${g.family}_${g.variant}.network.ts`))) as { network: Network };
  return { g, mod, network };
}

describe('createInference on wasm: weights uploaded once, nothing kept or uploaded per call', () => {
  it('narrow fixture: 2 tensors per conv and linear layer, 4 per squeeze-excitation, at createInference only', async () => {
    const { mod, network } = await networkOf('test/fixtures/narrow/narrow.effnet', 'narrow');
    const weights = mod.loadWeights(readFileSync(join(root, 'test/fixtures/narrow/weights.safetensors')));
    const c = counting();
    const before = tf.memory().numTensors;
    const infer = tfjsRuntime(c.tf).createInference(network, mod.metadata, weights);
    const kinds = layerSpecs(network).map((l) => l.kind);
    const count = (k: string) => kinds.filter((x) => x === k).length;
    // narrow: 31 convs (BatchNorm folded in), 10 squeeze-excitations, 1 linear: 104 tensors.
    expect([count('conv'), count('se'), count('linear')]).toEqual([31, 10, 1]);
    const expected = 2 * 31 + 4 * 10 + 2 * 1;
    expect(c.uploads()).toBe(expected);
    expect(tf.memory().numTensors - before).toBe(expected);
    const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const held = tf.memory();
    for (let i = 0; i < 2; i++) {
      const y = infer(x);
      expect(y.shape).toEqual([2, 1000]);
      y.dispose();
      expect(tf.memory().numTensors).toBe(held.numTensors);
      expect(tf.memory().numBytes).toBe(held.numBytes);
    }
    expect(c.uploads()).toBe(expected);
    expect(c.transposes()).toBe(0);
    infer.dispose();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a feature network hands out its maps and keeps nothing else', async () => {
    const { g, mod, network } = await networkOf('specs/efficientnet_features.effnet', 'b0');
    const weights = mod.loadWeights(randomCheckpoint(g));
    const infer = tfjsRuntime(tf).createFeatureInference(network, mod.metadata, weights);
    const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const held = tf.memory().numTensors;
    const maps = infer(x);
    expect(maps.map((m) => m.shape)).toEqual([
      [1, 32, 32, 16],
      [1, 16, 16, 24],
      [1, 8, 8, 40],
      [1, 4, 4, 112],
      [1, 2, 2, 320],
    ]);
    expect(tf.memory().numTensors).toBe(held + maps.length);
    tf.dispose(maps);
    expect(tf.memory().numTensors).toBe(held);
    infer.dispose();
    x.dispose();
  });
});
