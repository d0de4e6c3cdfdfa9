import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import type { VariantGraph } from '../src/graph/graph.js';

// MobileNets scaled by width as torchvision 0.14.1 scales them. Figures from
// Debian's python3-torchvision: sum(p.numel() for p in net.parameters()) of
// mobilenet_v3_large(width_mult=0.75), mobilenet_v3_small(width_mult=0.75),
// mobilenet_v2(width_mult=0.5) and mobilenet_v2(width_mult=1.4).

const params = (g: VariantGraph) =>
  [g.stem, ...g.stages.flatMap((s) => s.blocks.flatMap((b) => b.layers)), g.head, g.classifier!.hidden, g.classifier!.linear].reduce((a, l) => a + (l?.params ?? 0), 0);

/** The shipped spec with extra variants appended to its family block. */
function withVariants(spec: string, variants: string): VariantGraph[] {
  const text = readFileSync(spec, 'utf8').replace(/\}\s*$/, `${variants}\n}\n`);
  const c = compileSource(text, spec);
  expect(c.diagnostics).toEqual([]);
  return c.graphs;
}

describe('width scaling of MobileNets matches torchvision', () => {
  it('MobileNetV3: the hidden classifier layer scales with width', () => {
    // Small's body with its width 1.0 turned into 0.75.
    const small = readFileSync('specs/mobilenet_v3.effnet', 'utf8').match(/variant small \{([\s\S]*?)\n  \}/)![1]!.replace('width 1.0', 'width 0.75');
    const graphs = withVariants('specs/mobilenet_v3.effnet', `variant large_075 { width 0.75 resolution 224 }\nvariant small_075 {${small}\n}`);
    const large = graphs.find((g) => g.variant === 'large_075')!;
    expect(large.classifier!.hidden!.outFeatures).toBe(960);
    expect(large.head!.outShape[0]).toBe(720);
    expect(params(large)).toBe(3_377_576);
    const s = graphs.find((g) => g.variant === 'small_075')!;
    expect(s.classifier!.hidden!.outFeatures).toBe(768);
    expect(params(s)).toBe(1_653_920);
  });

  it('MobileNetV2: the head grows with width above 1 but never shrinks', () => {
    const graphs = withVariants('specs/mobilenet_v2.effnet', 'variant w0_5 { width 0.5 resolution 224 }\nvariant w1_4 { width 1.4 resolution 224 }');
    const half = graphs.find((g) => g.variant === 'w0_5')!;
    expect(half.head!.outShape[0]).toBe(1280);
    expect(params(half)).toBe(1_968_680);
    const big = graphs.find((g) => g.variant === 'w1_4')!;
    expect(big.head!.outShape[0]).toBe(1792);
    expect(params(big)).toBe(6_108_776);
  });

  it('`classifier … fixed_width` keeps the hidden layer, `grow_only` is for the stem and head only', () => {
    const base = (extra: string, stage = '') =>
      compileSource(`family f {\n  stem conv k3 s2 c16\n  stage mbconv e4 k3 c16 ${stage}\n  head conv k1 c64\n  classifier hidden 1280 ${extra}\n  variant v { width 0.5 resolution 64 }\n}\n`, 'f.effnet');
    expect(base('fixed_width').graphs[0]!.classifier!.hidden!.outFeatures).toBe(1280);
    expect(base('').graphs[0]!.classifier!.hidden!.outFeatures).toBe(640);
    const misplaced = base('', 'grow_only');
    expect(misplaced.diagnostics.map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column}`)).toEqual(['E015 3:26']);
  });
});
