import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileFile } from '../src/compile/compile.js';
import type { Shape, VariantGraph } from '../src/graph/graph.js';
import { modelNetwork, modelSpec } from '../src/graph/model-spec.js';
import { planWgsl } from '../src/runtime/wgsl-plan.js';

// The shipped specs against published figures:
// - every model in test/fixtures/torchvision-reference.json (made with
//   torchvision 0.14.1 by scripts/fixtures/reference_counts.py) must match
//   exactly: parameters, BatchNorm buffers, MACs, BatchNorm eps/momentum,
//   feature-map shapes, classifier and stochastic-depth schedule;
// - EfficientNet-EdgeTPU and -Lite, which torchvision lacks, must be within
//   1 % of timm's / TensorFlow's published parameter counts.

interface Reference {
  resolution: number;
  params: number;
  bnBuffers: number;
  macs: number;
  batchNorm: { eps: number; momentum: number }[];
  classifier: { type: string; p?: number; inFeatures?: number; outFeatures?: number }[];
  /** Output shape of each torchvision `features[i]`. */
  stageShapes: Shape[];
  stochasticDepth: number[] | null;
}

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/torchvision-reference.json', import.meta.url)), 'utf8')) as {
  models: Record<string, Reference>;
};

const specPath = (name: string) => fileURLToPath(new URL(`../specs/${name}.effnet`, import.meta.url));

/** Compile a spec once, with no diagnostics at all, and index its graphs by variant. */
const cache = new Map<string, Map<string, VariantGraph>>();
function graphsOf(spec: string): Map<string, VariantGraph> {
  let graphs = cache.get(spec);
  if (!graphs) {
    const c = compileFile(specPath(spec));
    expect(c.diagnostics, `${spec}.effnet diagnostics`).toEqual([]);
    graphs = new Map(c.graphs.map((g) => [g.variant, g]));
    cache.set(spec, graphs);
  }
  return graphs;
}
function graph(spec: string, variant: string): VariantGraph {
  const g = graphsOf(spec).get(variant);
  expect(g, `${spec}.effnet variant ${variant}`).toBeDefined();
  return g!;
}

function totals(g: VariantGraph): { params: number; bnBuffers: number; macs: number } {
  const layers = [g.stem, ...g.stages.flatMap((s) => s.blocks.flatMap((b) => b.layers)), g.head, g.classifier!.hidden, g.classifier!.linear];
  const t = { params: 0, bnBuffers: 0, macs: 0 };
  for (const l of layers) {
    if (!l) continue;
    t.params += l.params;
    t.bnBuffers += l.bnBuffers;
    t.macs += l.macs;
  }
  return t;
}

/**
 * How torchvision groups `model.features`:
 * - 'stage': EfficientNet and EfficientNetV2 put a whole stage in one
 *   Sequential, so features[0] is the stem, features[1..N] the N stages and
 *   features[N+1] the head. MobileNetV3 has one entry per block, and our spec
 *   writes one stage per block, so the same mapping holds.
 * - 'block': MobileNetV2 lists every inverted-residual block as its own
 *   entry: features[0] stem, features[1..17] the 17 blocks, features[18] the
 *   head, while our spec groups the blocks in the paper's 7 (t, c, n, s)
 *   stages. Block b (counted over the whole network, from 1) is features[b],
 *   and stage s ends at features[n1 + … + ns] (its last block).
 */
type Grouping = 'stage' | 'block';

const MODELS: { name: string; spec: string; variant: string; grouping: Grouping }[] = [
  ...['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7'].map((v) => ({ name: `efficientnet_${v}`, spec: 'efficientnet', variant: v, grouping: 'stage' as const })),
  ...['s', 'm', 'l'].map((v) => ({ name: `efficientnet_v2_${v}`, spec: 'efficientnet_v2', variant: v, grouping: 'stage' as const })),
  { name: 'mobilenet_v2', spec: 'mobilenet_v2', variant: 'w1_0', grouping: 'block' },
  { name: 'mobilenet_v3_small', spec: 'mobilenet_v3', variant: 'small', grouping: 'stage' },
  { name: 'mobilenet_v3_large', spec: 'mobilenet_v3', variant: 'large', grouping: 'stage' },
];

describe('torchvision reference models', () => {
  it('the fixture holds exactly the models tested here', () => {
    expect(Object.keys(fixture.models).sort()).toEqual(MODELS.map((m) => m.name).sort());
  });

  for (const m of MODELS) {
    describe(`${m.name} (${m.spec}.effnet, variant ${m.variant})`, () => {
      const ref = fixture.models[m.name]!;

      it('has the reference resolution', () => {
        expect(graph(m.spec, m.variant).resolution).toBe(ref.resolution);
      });

      it('has exactly torchvision’s parameters, BatchNorm buffers and MACs', () => {
        expect(totals(graph(m.spec, m.variant))).toEqual({ params: ref.params, bnBuffers: ref.bnBuffers, macs: ref.macs });
      });

      it('has torchvision’s BatchNorm eps and momentum', () => {
        expect(ref.batchNorm).toHaveLength(1);
        expect(graph(m.spec, m.variant).norm).toEqual(ref.batchNorm[0]);
      });

      it('has torchvision’s feature-map shapes', () => {
        const g = graph(m.spec, m.variant);
        const shapes = ref.stageShapes;
        expect(g.head).not.toBeNull();
        expect(g.stem.outShape).toEqual(shapes[0]);
        expect(g.head!.outShape).toEqual(shapes[shapes.length - 1]);
        if (m.grouping === 'stage') {
          expect([g.stem.outShape, ...g.stages.map((s) => s.outShape), g.head!.outShape]).toEqual(shapes);
        } else {
          // One features entry per block; each stage ends at its last block's entry.
          const blocks = g.stages.flatMap((s) => s.blocks);
          expect([g.stem.outShape, ...blocks.map((b) => b.outShape), g.head!.outShape]).toEqual(shapes);
          let end = 0;
          for (const s of g.stages) {
            end += s.blocks.length;
            expect(s.outShape, `stage ${s.index} = features[${end}]`).toEqual(shapes[end]);
          }
        }
      });

      it('has torchvision’s classifier', () => {
        const c = graph(m.spec, m.variant).classifier!;
        const linears = ref.classifier.filter((l) => l.type === 'Linear');
        const dropout = ref.classifier.find((l) => l.type === 'Dropout');
        expect(c.dropout).toBe(dropout?.p ?? 0);
        const ours = [c.hidden, c.linear].filter((l) => l !== null).map((l) => [l.inFeatures, l.outFeatures]);
        expect(ours).toEqual(linears.map((l) => [l.inFeatures, l.outFeatures]));
        if (c.hidden) expect(c.hidden.act).toBe(ref.classifier[1]!.type.toLowerCase());
      });

      if (ref.stochasticDepth && ref.stochasticDepth.length > 0) {
        it('has torchvision’s stochastic-depth schedule', () => {
          const rates = graph(m.spec, m.variant).stages.flatMap((s) => s.blocks.map((b) => b.dropPath));
          expect(rates).toHaveLength(ref.stochasticDepth!.length);
          rates.forEach((r, i) => expect(r).toBeCloseTo(ref.stochasticDepth![i]!, 12));
        });
      }
    });
  }
});

describe('published parameter counts (within 1 %)', () => {
  const PUBLISHED: { spec: string; variant: string; params: number }[] = [
    // timm efficientnet_es / em / el
    { spec: 'efficientnet_edgetpu', variant: 's', params: 5.44e6 },
    { spec: 'efficientnet_edgetpu', variant: 'm', params: 6.9e6 },
    { spec: 'efficientnet_edgetpu', variant: 'l', params: 10.59e6 },
    // timm / TensorFlow efficientnet_lite0–4
    { spec: 'efficientnet_lite', variant: 'lite0', params: 4.65e6 },
    { spec: 'efficientnet_lite', variant: 'lite1', params: 5.42e6 },
    { spec: 'efficientnet_lite', variant: 'lite2', params: 6.09e6 },
    { spec: 'efficientnet_lite', variant: 'lite3', params: 8.2e6 },
    { spec: 'efficientnet_lite', variant: 'lite4', params: 13.0e6 },
  ];
  for (const p of PUBLISHED) {
    it(`${p.spec} ${p.variant} ≈ ${(p.params / 1e6).toFixed(2)} M`, () => {
      const got = totals(graph(p.spec, p.variant)).params;
      expect(Math.abs(got - p.params) / p.params).toBeLessThan(0.01);
    });
  }
});

describe('the layer specs `check` plans from (modelSpec without checkpoint names)', () => {
  it('plan every shipped variant as the named specs do, and hold no checkpoint name', () => {
    const names = /"(timm|torchvision)"/;
    let variants = 0;
    for (const f of readdirSync(fileURLToPath(new URL('../specs/', import.meta.url))).filter((f) => f.endsWith('.effnet'))) {
      const c = compileFile(fileURLToPath(new URL(`../specs/${f}`, import.meta.url)));
      for (const g of c.graphs) {
        const bare = modelSpec(g, { checkpointNames: false });
        const named = modelSpec(g);
        expect(JSON.stringify(bare), `${f} ${g.variant}`).not.toMatch(names);
        // The packing holds each layer's spec itself: compared by name.
        const plan = (m: typeof bare) => {
          const p = planWgsl(modelNetwork(m), g.resolution);
          return { ...p, packing: p.packing.map((k) => ({ ...k, layer: k.layer.spec.name })) };
        };
        expect(plan(bare), `${f} ${g.variant}`).toEqual(plan(named));
        variants++;
      }
    }
    expect(variants).toBeGreaterThan(50);
    // The named specs do carry them (EfficientNet's timm names).
    expect(JSON.stringify(modelSpec(compileFile(fileURLToPath(new URL('../specs/efficientnet.effnet', import.meta.url))).graphs[0]!))).toMatch(/"timm":\["conv_stem","bn1"\]/);
  });
});
