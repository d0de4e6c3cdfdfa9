import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../src/compile/compile.js';
import { makeDivisible, roundHalfEven, scaleRepeats } from '../src/graph/rounding.js';
import type { VariantGraph } from '../src/graph/graph.js';
import { compileFile } from '../src/compile/compile.js';
import { specFiles } from '../src/generate/generate.js';

/** torchvision's `_make_divisible`, transcribed with integer arithmetic as Python evaluates it. */
function referenceMakeDivisible(v: number, divisor: number, minValue?: number): number {
  const min = minValue ?? divisor;
  const truncated = Math.trunc(v + divisor / 2); // int(v + divisor / 2)
  let newV = Math.max(min, truncated - (truncated % divisor)); // // divisor * divisor
  if (newV < 0.9 * v) newV += divisor;
  return newV;
}

describe('channel rounding', () => {
  it('agrees with torchvision _make_divisible over random inputs', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 1e6, noNaN: true }), fc.constantFrom(1, 2, 4, 8, 16, 32), (v, d) => {
        expect(makeDivisible(v, d)).toBe(referenceMakeDivisible(v, d));
      }),
      { numRuns: 2000 },
    );
  });

  it('is a multiple of the divisor, at least the minimum, and within 10 % of the value above the minimum', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4096 }), fc.double({ min: 0.1, max: 8, noNaN: true }), fc.constantFrom(4, 8, 16), (c, w, d) => {
        const r = makeDivisible(c * w, d);
        expect(r % d).toBe(0);
        expect(r).toBeGreaterThanOrEqual(d);
        if (c * w >= d) expect(r).toBeGreaterThanOrEqual(0.9 * c * w);
      }),
    );
  });

  it('reproduces the channel counts of the published variants', () => {
    expect(makeDivisible(32 * 1.1)).toBe(32); // b2 stem
    expect(makeDivisible(24 * 1.1)).toBe(24);
    expect(makeDivisible(40 * 1.2)).toBe(48); // b3
    expect(makeDivisible(16 * 1.4)).toBe(24); // b4
    expect(makeDivisible(320 * 4.3)).toBe(1376); // l2
  });
});

describe('repeat rounding', () => {
  it('ceil, floor and round bracket n·d and never go below 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.double({ min: 0.05, max: 10, noNaN: true }), (n, d) => {
        const x = n * d;
        const ceil = scaleRepeats(n, d, 'ceil');
        expect(ceil).toBe(Math.max(1, Math.ceil(x)));
        expect(ceil).toBeGreaterThanOrEqual(x);
        expect(scaleRepeats(n, d, 'floor')).toBe(Math.max(1, Math.floor(x)));
        const round = scaleRepeats(n, d, 'round');
        expect(Math.abs(round - x)).toBeLessThanOrEqual(Math.max(0.5, 1 - x));
      }),
    );
  });

  it("rounds halves to even, as Python's round()", () => {
    expect([0.5, 1.5, 2.5, 3.5, -2.5].map(roundHalfEven)).toEqual([0, 2, 2, 4, -2]);
    expect(scaleRepeats(5, 0.5, 'round')).toBe(2); // round(2.5) == 2
    expect(scaleRepeats(3, 0.5, 'round')).toBe(2); // round(1.5) == 2
  });

  it('depth multipliers of b1–b7 give the torchvision repeat counts (float products included)', () => {
    // 3 · 1.1 = 3.3000000000000003 → 4 in Python and here alike.
    expect(scaleRepeats(3, 1.1, 'ceil')).toBe(4);
    expect(scaleRepeats(4, 3.1, 'ceil')).toBe(13);
    expect(scaleRepeats(1, 1.8, 'ceil')).toBe(2);
  });
});

function assertShapeConsistent(g: VariantGraph): void {
  let shape = g.stem.outShape;
  expect(g.stem.inShape).toEqual(g.input);
  for (const s of g.stages) {
    expect(s.inShape).toEqual(shape);
    for (const b of s.blocks) {
      expect(b.inShape).toEqual(shape);
      let x = b.inShape;
      for (const l of b.layers) {
        expect(l.inShape, l.name).toEqual(x);
        x = l.outShape;
      }
      expect(b.outShape).toEqual(x);
      if (b.residual) expect(b.outShape).toEqual(b.inShape);
      shape = b.outShape;
    }
    expect(s.outShape).toEqual(shape);
    expect(s.blocks.length).toBe(s.segments.reduce((n, c) => n + c.repeats, 0));
  }
  if (g.head) {
    expect(g.head.inShape).toEqual(shape);
    shape = g.head.outShape;
  }
  // A feature network hands out stage outputs and has no classifier.
  for (const f of g.features) expect(f.shape).toEqual(g.stages[f.stage - 1]!.outShape);
  if (g.features.length > 0) return expect(g.classifier).toBeNull();
  expect(g.classifier!.poolShape[0]).toBe(shape[0]);
  expect((g.classifier!.hidden ?? g.classifier!.linear)!.inFeatures).toBe(shape[0]);
}

describe('variant graphs', () => {
  for (const spec of specFiles('specs')) {
    it(`every variant of ${spec} is shape-consistent`, () => {
      const c = compileFile(spec);
      expect(c.diagnostics).toEqual([]);
      expect(c.graphs.length).toBe(c.family!.variants.length);
      for (const g of c.graphs) assertShapeConsistent(g);
    });
  }

  it('random widths, depths and resolutions give shape-consistent graphs', () => {
    const base = (w: number, d: number, r: number, pad: string) => `family f {
      padding ${pad}
      stem conv k3 s2 c32
      stage mbconv e1 k3 s1 c16 n1 se 0.25
      stage fused_mbconv e4 k3 s2 c24 n2
      stage edge_residual e8 k5 s2 c40 n2 expand_from 24
      stage mbconv e6 k5 s2 c80 n3 se 0.25
      stage ds_conv k3 s1 c80 n1
      stage conv k3 s2 c96 n1
      head conv k1 c1280
      classifier hidden 256 act hardswish dropout 0.2
      variant v { width ${w} depth ${d} resolution ${r} }
    }`;
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        fc.integer({ min: 32, max: 700 }),
        fc.constantFrom('symmetric', 'same'),
        (w, d, r, pad) => {
          const c = compileSource(base(w, d, r, pad), 'random.effnet');
          expect(c.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
          assertShapeConsistent(c.graphs[0]!);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('phi variants derive d = α^φ, w = β^φ, r = base·γ^φ', () => {
    const c = compileSource(
      `family f {
        stem conv k3 s2 c32
        stage mbconv e6 k3 s2 c24 n2 se 0.25
        head conv k1 c1280
        compound alpha 1.2 beta 1.1 gamma 1.15
        resolution 224
        variant p0 { phi 0 }
        variant p1 { phi 1 }
        variant p3 { phi 3 }
      }`,
      'phi.effnet',
    );
    expect(c.diagnostics).toEqual([]);
    const [p0, p1, p3] = c.family!.variants;
    expect([p0!.width, p0!.depth, p0!.resolution]).toEqual([1, 1, 224]);
    expect([p1!.width, p1!.depth, p1!.resolution]).toEqual([1.1, 1.2, 258]); // 224 · 1.15 = 257.6
    expect(p3!.depth).toBeCloseTo(1.728, 12);
    expect(p3!.width).toBeCloseTo(1.331, 12);
    expect(p3!.resolution).toBe(341); // 224 · 1.15³ = 340.68
    expect(c.graphs[2]!.stages[0]!.config.repeats).toBe(4); // ceil(2 · 1.728)
  });

  it('SAME padding gives ceil(in / stride) and puts the odd pixel after', () => {
    const c = compileSource(
      `family f { padding same stem conv k3 s2 c8 stage conv k3 s2 c8 variant v { resolution 225 } }`,
      'same.effnet',
    );
    expect(c.diagnostics).toEqual([]);
    const g = c.graphs[0]!;
    expect(g.stem.outShape).toEqual([8, 113, 113]);
    expect(g.stem.padding).toEqual([1, 1, 1, 1]);
    expect(g.stages[0]!.blocks[0]!.layers[0]!.outShape).toEqual([8, 57, 57]);
    const evenInput = compileSource(`family f { padding same stem conv k3 s2 c8 variant v { resolution 224 } stage conv k3 s1 c8 }`, 'e.effnet');
    expect(evenInput.graphs[0]!.stem.padding).toEqual([0, 1, 0, 1]);
  });
});
