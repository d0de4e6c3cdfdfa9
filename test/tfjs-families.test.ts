import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../src/compile/compile.js';
import type { Inference } from '../src/runtime/tfjs.js';
import { randomCheckpoint } from '../src/weights/random.js';
import { graphOf, importGenerated, maxAbsDiff, root, tf, useBackend } from './support/tfjs.js';

// Every shipped variant as a generated tf.layers model: countParams() equals
// the report's parameters + BatchNorm buffers (built on the cpu backend, no
// forward pass: L2 has 480 M parameters). And one variant per family runs
// both paths on random weights, which must agree: fused MBConv, edge
// residual, hard-swish and hidden classifiers included.

const specs = readdirSync(join(root, 'specs')).filter((f) => f.endsWith('.effnet')).sort();
const shipped = specs.flatMap((f) => compileFile(join(root, 'specs', f)).graphs.map((g) => ({ spec: `specs/${f}`, variant: g.variant, family: g.family })));

describe('countParams() of every shipped variant', () => {
  it('covers all 51 variants', () => expect(shipped.length).toBe(51));
  for (const v of shipped) {
    it(`${v.family} ${v.variant}`, async () => {
      await useBackend('cpu');
      const g = graphOf(v.spec, v.variant);
      const mod = await importGenerated(g);
      const model = mod.createModel();
      // Mixed and grouped convolutions are one layer per split or group: no zeros beyond the spec's weights.
      expect(model.countParams()).toBe(mod.metadata.params + mod.metadata.bnBuffers);
      model.dispose();
    }, 300_000); // L2 initialises 480 M weights: ~40 s here
  }
});

const firstOfEach = specs.map((f) => shipped.find((v) => v.spec === `specs/${f}`)!);

describe('createInference and createModel agree on random weights', () => {
  for (const v of firstOfEach) {
    it(`${v.family} ${v.variant}`, async () => {
      await useBackend('wasm');
      const g = graphOf(v.spec, v.variant);
      const mod = await importGenerated(g);
      const weights = mod.loadWeights(randomCheckpoint(g));
      const x = tf.randomNormal([1, g.resolution, g.resolution, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      // A feature network gives one map per feature, from both paths.
      const infer = mod.createInference(weights) as Inference<tf.Tensor | tf.Tensor[]>;
      const model = mod.createModel({ weights });
      const a = [infer(x)].flat();
      const b = [model.predict(x) as tf.Tensor | tf.Tensor[]].flat();
      expect(b.length).toBe(Math.max(1, g.features.length));
      expect(a.map((t) => t.shape)).toEqual(b.map((t) => t.shape));
      a.forEach((t, i) => {
        const scale = Float32Array.from(t.dataSync()).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(scale).toBeGreaterThan(1e-3);
        expect(maxAbsDiff(t.dataSync(), b[i]!.dataSync()) / scale).toBeLessThan(1e-4);
      });
      tf.dispose([x, ...a, ...b]);
      infer.dispose();
      model.dispose();
    });
  }
});
