import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFlops, parseTolerance } from '../src/cli/search-flags.js';
import { searchMarkdown } from '../src/cli/search-results.js';
import { compileSource } from '../src/compile/compile.js';
import { analyzeVariant } from '../src/cost/cost.js';
import { baseVariant, DEFAULT_GRID, gridSearch, gridValues, SearchError } from '../src/search/grid.js';
import { withCompound } from '../src/search/write-compound.js';
import { root } from './support/tfjs.js';

// `effnet search`: the grid over α, β, γ at φ = 1 on EfficientNet's B0 base, judged by the exact
// MACs of each rounded candidate, where the paper's idealised α·β²·γ² ≈ 2 can mislead.

const source = readFileSync(join(root, 'specs/efficientnet.effnet'), 'utf8');
const family = compileSource(source, 'specs/efficientnet.effnet', { irOnly: true }).family!;
const options = { ...DEFAULT_GRID, max: 1.25 };
const result = gridSearch(family, baseVariant(family), options);

describe('the grid', () => {
  it('steps of 0.05 from 1, without float noise', () => {
    expect(gridValues(0.05, 1.25)).toEqual([1, 1.05, 1.1, 1.15, 1.2, 1.25]);
    expect(gridValues(0.1, 1.3)).toEqual([1, 1.1, 1.2, 1.3]);
  });

  it('the base is B0 at 224: 385,814,752 MACs', () => {
    expect(result.base).toEqual({ width: 1, depth: 1, resolution: 224, params: 5288548, macs: 385814752 });
  });

  it('holds the paper’s α 1.2, β 1.1, γ 1.15 with its exact ratio: 1.92 nominally, 2.57 once rounded, so outside 5 %', () => {
    const paper = result.candidates.find((c) => c.alpha === 1.2 && c.beta === 1.1 && c.gamma === 1.15)!;
    expect(paper).toMatchObject({ width: 1.1, depth: 1.2, resolution: 258, macs: 992629472, accepted: false });
    expect(paper.nominal).toBeCloseTo(1.92027, 5);
    expect(paper.ratio).toBe(992629472 / 385814752);
    // Nominally within the tolerance, pushed out by rounding.
    expect(Math.abs(paper.nominal / 2 - 1)).toBeLessThanOrEqual(options.tolerance);
  });

  it('builds candidates far from the target nominally: α = β = γ = 1.05 is 1.28× by α·β²·γ² but 1.92× once repeats round up', () => {
    const c = result.candidates.find((x) => x.alpha === 1.05 && x.beta === 1.05 && x.gamma === 1.05)!;
    expect(c.nominal).toBeCloseTo(1.27628, 5);
    const g = compileSource(source.replace(/\n\}\n$/, '\n  variant cand { width 1.05 depth 1.05 resolution 235 }\n}\n'), 'x.effnet', { variants: ['cand'] }).graphs[0]!;
    expect(c).toMatchObject({ resolution: 235, macs: analyzeVariant(g).macs, accepted: true });
    expect(c.ratio).toBeCloseTo(1.923, 3);
  });

    it('every accepted candidate is within the tolerance on its own compiled graph', () => {
    const accepted = result.candidates.filter((c) => c.accepted);
    expect(accepted.length).toBeGreaterThan(0);
    for (const c of accepted.slice(0, 3)) {
      const text = source.replace(/\n\}\n$/, `\n  variant cand { width ${c.width} depth ${c.depth} resolution ${c.resolution} }\n}\n`);
      const g = compileSource(text, 'x.effnet', { variants: ['cand'] }).graphs[0]!;
      const macs = analyzeVariant(g).macs;
      expect(macs).toBe(c.macs);
      expect(Math.abs(macs / 385814752 / 2 - 1)).toBeLessThanOrEqual(options.tolerance);
    }
    // Closest to the target first.
    const d = accepted.map((c) => Math.abs(c.ratio - 2));
    expect(d).toEqual([...d].sort((a, b) => a - b));
  });

  it('the report names the family’s own coefficients and the chosen line', () => {
    const md = searchMarkdown('efficientnet', result, options, 5, { alpha: 1.2, beta: 1.1, gamma: 1.15 });
    expect(md).toContain("The family's own `compound alpha 1.2 beta 1.1 gamma 1.15`: MACs ratio 2.573 (α·β²·γ² 1.920), outside the tolerance.");
    const best = result.candidates.find((c) => c.accepted)!;
    expect(md).toContain(`Chosen (closest to 2×): \`compound alpha ${best.alpha} beta ${best.beta} gamma ${best.gamma}\``);
  });

  it('an unknown --base variant names the known ones', () => {
    expect(() => baseVariant(family, 'b9')).toThrow(new SearchError('family `efficientnet` has no variant `b9`; its variants are b0, b1, b2, b3, b4, b5, b6, b7, b8, l2'));
  });
});

describe('flags', () => {
  it('--flops and --tolerance', () => {
    expect(parseFlops('2x')).toBe(2);
    expect(parseFlops('1.5')).toBe(1.5);
    expect(() => parseFlops('half')).toThrow(/--flops takes a multiple/);
    expect(parseTolerance('5%')).toBe(0.05);
    expect(parseTolerance('0.1')).toBe(0.1);
    expect(() => parseTolerance('150%')).toThrow(/--tolerance takes a fraction/);
  });
});

describe('--write', () => {
  it('rewrites the family’s compound line in place, keeping every other line; idempotent', () => {
    const out = withCompound(source, compileSource(source, 'x.effnet').ast, { alpha: 1.15, beta: 1.1, gamma: 1.05 });
    expect(out).toBe(source.replace('compound alpha 1.2 beta 1.1 gamma 1.15', 'compound alpha 1.15 beta 1.1 gamma 1.05'));
    expect(withCompound(out, compileSource(out, 'x.effnet').ast, { alpha: 1.15, beta: 1.1, gamma: 1.05 })).toBe(out);
    expect(compileSource(out, 'x.effnet', { irOnly: true }).family!.compound).toMatchObject({ alpha: 1.15, beta: 1.1, gamma: 1.05 });
  });

  it('adds a compound line before the first variant when the family has none', () => {
    const text = 'family f {\n  resolution 64 // base\n  stem conv k3 s2 c8\n  stage mbconv e1 k3 c8\n\n  variant v { width 1 }\n}\n';
    const out = withCompound(text, compileSource(text, 'f.effnet').ast, { alpha: 1.2, beta: 1.1, gamma: 1.15 });
    expect(out).toBe('family f {\n  resolution 64 // base\n  stem conv k3 s2 c8\n  stage mbconv e1 k3 c8\n\n  compound alpha 1.2 beta 1.1 gamma 1.15\n\n  variant v { width 1 }\n}\n');
    expect(compileSource(out, 'f.effnet').diagnostics).toEqual([]);
  });
});
