import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeVariant } from '../src/cost/cost.js';
import { compileFile } from '../src/compile/compile.js';
import { modelLayers, modelSpec } from '../src/graph/model-spec.js';
import type { VariantGraph } from '../src/graph/graph.js';
import { checkpointTensors, type Layout } from '../src/runtime/checkpoint.js';

// The nine families the block registry added, against timm and torchvision: test/fixtures/
// timm-reference.json, made by scripts/fixtures/timm_reference.py with timm's source and
// Debian's torch 1.13 / torchvision 0.14.1 (CI needs neither). Parameters, BatchNorm buffers,
// MACs, input size, every stage's output shape, and for one model of each layout every
// checkpoint tensor's name and shape, in order.

interface Reference {
  source: 'timm' | 'torchvision';
  resolution: number;
  params: number;
  bnBuffers: number;
  macs: number;
  stageShapes: { stem: number[]; stages: number[][]; head: number[] | null };
  stateDict?: [string, number[]][];
}

const reference = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/timm-reference.json', import.meta.url)), 'utf8')) as {
  timmCommit: string;
  models: Record<string, Reference>;
};

/** spec file → variant → reference model. */
const FAMILIES: Record<string, Record<string, string>> = {
  mixnet: { s: 'mixnet_s', m: 'mixnet_m', l: 'mixnet_l', tf_s: 'tf_mixnet_s' },
  mnasnet: { w0_5: 'mnasnet0_5', w0_75: 'mnasnet0_75', w1_0: 'mnasnet1_0', w1_3: 'mnasnet1_3', a1: 'semnasnet_100' },
  mobilenet_v1: { w1_0: 'mobilenetv1_100' },
  tinynet: { a: 'tinynet_a', b: 'tinynet_b', c: 'tinynet_c', d: 'tinynet_d', e: 'tinynet_e' },
  fbnet: { c: 'fbnetc_100' },
  lcnet: { w1_0: 'lcnet_100' },
  efficientnet_tf: Object.fromEntries([0, 1, 2, 3, 4, 5, 6, 7].map((i) => [`b${i}`, `tf_efficientnet_b${i}`])),
};

const graphs = new Map<string, VariantGraph>();
for (const family of Object.keys(FAMILIES)) {
  const c = compileFile(fileURLToPath(new URL(`../specs/${family}.effnet`, import.meta.url)));
  for (const g of c.graphs) graphs.set(`${family}#${g.variant}`, g);
}

const shapeOf = (s: readonly number[]) => s.join('×');

describe('the nine families match timm and torchvision exactly', () => {
  for (const [family, variants] of Object.entries(FAMILIES)) {
    for (const [variant, model] of Object.entries(variants)) {
      it(`${family}#${variant} = ${model}: params, BatchNorm buffers, MACs, input size, stage shapes`, () => {
        const g = graphs.get(`${family}#${variant}`)!;
        const ref = reference.models[model]!;
        expect(g, `${family}#${variant} compiles`).toBeDefined();
        const cost = analyzeVariant(g);
        expect({ resolution: g.resolution, params: cost.params, bnBuffers: cost.bnBuffers, macs: cost.macs }).toEqual({
          resolution: ref.resolution,
          params: ref.params,
          bnBuffers: ref.bnBuffers,
          macs: ref.macs,
        });
        expect(shapeOf(g.stem.outShape)).toBe(shapeOf(ref.stageShapes.stem));
        // torchvision's MNASNet keeps its first (depthwise separable) stage inline: its stage list starts after it.
        const stages = ref.source === 'torchvision' ? g.stages.slice(1) : g.stages;
        expect(stages.map((s) => shapeOf(s.outShape))).toEqual(ref.stageShapes.stages.map(shapeOf));
        if (g.head && ref.stageShapes.head) expect(shapeOf(g.head.outShape)).toBe(shapeOf(ref.stageShapes.head));
      });
    }
  }

  const layouts: [string, string, Layout][] = [
    ['mixnet#s', 'mixnet_s', 'timm'],
    ['mnasnet#a1', 'semnasnet_100', 'timm'],
    ['mobilenet_v1#w1_0', 'mobilenetv1_100', 'timm'],
    ['tinynet#a', 'tinynet_a', 'timm'],
    ['fbnet#c', 'fbnetc_100', 'timm'],
    ['lcnet#w1_0', 'lcnet_100', 'timm'],
    ['efficientnet_tf#b0', 'tf_efficientnet_b0', 'timm'],
    ['mnasnet#w1_0', 'mnasnet1_0', 'torchvision'],
  ];
  for (const [name, model, layout] of layouts) {
    it(`${name}: every checkpoint tensor of ${model} (${layout} layout), by name and shape`, () => {
      const expected = checkpointTensors(modelLayers(modelSpec(graphs.get(name)!)), layout).map((t) => [t.name, t.shape]);
      const actual = reference.models[model]!.stateDict!.filter(([n]) => !n.endsWith('num_batches_tracked'));
      expect(new Map(expected as [string, number[]][])).toEqual(new Map(actual));
      expect(expected.length).toBe(actual.length);
    });
  }
});
