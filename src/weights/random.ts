import type { VariantGraph } from '../graph/graph.js';
import { writeSafetensors } from '../runtime/safetensors.js';
import { expectedTensors, type Layout } from './layout.js';

// A checkpoint of random, well-scaled weights for any variant (demos and
// tests without a trained model): He-uniform convolutions and linear layers,
// BatchNorm scales and variances near 1, small biases and means.
// Deterministic: a 32-bit LCG from `seed`.

export function randomCheckpoint(g: VariantGraph, layout: Layout = 'torchvision', seed = 1): Uint8Array {
  let state = seed >>> 0;
  const uniform = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return writeSafetensors(
    expectedTensors(g, layout).map((t) => {
      const n = t.shape.reduce((a, d) => a * d, 1);
      const fanIn = t.shape.length > 1 ? n / t.shape[0]! : 1;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const u = uniform() * 2 - 1;
        data[i] = t.slot === 'bn.var' || t.slot === 'bn.weight' ? 1 + u / 2 : t.slot.endsWith('bias') || t.slot === 'bn.mean' ? 0.1 * u : u * Math.sqrt(3 / fanIn);
      }
      return { name: t.name, shape: t.shape, data };
    }),
    { format: 'pt', source: `effnet random weights for ${g.family} ${g.variant}, seed ${seed}` },
  );
}
