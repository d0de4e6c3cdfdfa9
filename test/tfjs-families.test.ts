import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../src/compile/compile.js';
import { modelNetwork, modelSpec } from '../src/graph/model-spec.js';
import { executedKernelFloats, isDepthwise, layerSpecs, type Network } from '../src/runtime/spec.js';
import { randomCheckpoint } from '../src/weights/random.js';
import { graphOf, importGenerated, maxAbsDiff, root, tf, useBackend } from './support/tfjs.js';

// Every shipped variant as a generated tf.layers model: countParams() equals
// the report's parameters + BatchNorm buffers (built on the cpu backend, no
// forward pass: L2 has 480 M parameters). And one variant per family runs
// both paths on random weights, which must agree: fused MBConv, edge
// residual, hard-swish and hidden classifiers included.

/**
 * The zeros a tf.layers model holds beyond the spec's weights: a mixed or grouped convolution runs
 * as one convolution of its largest kernel (dense or depthwise) with zeros outside its splits and
 * groups (runtime/fold.ts), so its layer has the executed kernel's size. MixNet has them; the
 * other families none.
 */
function embeddingZeros(network: Network): number {
  let zeros = 0;
  for (const l of layerSpecs(network)) {
    if (l.kind !== 'conv') continue;
    const s = l.spec;
    const depthwise = isDepthwise(s);
    const written = s.splits
      ? s.splits.reduce((n, p) => n + p.out * (depthwise ? 1 : p.in) * p.kernel * p.kernel, 0)
      : (s.out * s.in * s.kernel * s.kernel) / s.groups;
    zeros += executedKernelFloats(s) - written;
  }
  return zeros;
}

const specs = readdirSync(join(root, 'specs')).filter((f) => f.endsWith('.effnet')).sort();
const shipped = specs.flatMap((f) => compileFile(join(root, 'specs', f)).graphs.map((g) => ({ spec: `specs/${f}`, variant: g.variant, family: g.family })));

describe('countParams() of every shipped variant', () => {
  it('covers all 49 variants', () => expect(shipped.length).toBe(49));
  for (const v of shipped) {
    it(`${v.family} ${v.variant}`, async () => {
      await useBackend('cpu');
      const g = graphOf(v.spec, v.variant);
      const mod = await importGenerated(g);
      const model = mod.createModel();
      expect(model.countParams()).toBe(mod.metadata.params + mod.metadata.bnBuffers + embeddingZeros(modelNetwork(modelSpec(g))));
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
      const infer = mod.createInference(weights);
      const model = mod.createModel({ weights });
      const a = infer(x);
      const b = model.predict(x) as tf.Tensor;
      const scale = Math.max(...Array.from(a.dataSync(), Math.abs));
      expect(scale).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(a.dataSync(), b.dataSync()) / scale).toBeLessThan(1e-4);
      tf.dispose([x, a, b]);
      infer.dispose();
      model.dispose();
    });
  }
});
