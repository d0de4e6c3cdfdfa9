import { analyzeVariant } from '../cost/cost.js';
import { DiagnosticSink } from '../diagnostics/diagnostic.js';
import { buildVariant } from '../graph/build.js';
import type { FamilyIR, VariantIR } from '../ir/ir.js';
import { roundResolution } from '../ir/variants.js';

// The paper's first step: at φ = 1, a grid over α (depth), β (width) and γ (resolution), each
// ≥ 1, keeping the candidates whose network costs `target` times the base's MACs. The MACs are
// the rounded graph's, exactly, not the idealised α·β²·γ²: rounding channels to multiples of 8
// and repeats up moves a candidate's cost, sometimes out of the tolerance.

export interface GridOptions {
  /** MACs of a candidate over the base's (2: the paper's doubling). */
  target: number;
  /** Accepted relative distance from the target (0.05: within 5 %). */
  tolerance: number;
  /** Grid step of α, β and γ (0.05 as the paper). */
  step: number;
  /** Largest coefficient tried. */
  max: number;
}

export const DEFAULT_GRID: GridOptions = { target: 2, tolerance: 0.05, step: 0.05, max: 2 };

export interface Candidate {
  alpha: number;
  beta: number;
  gamma: number;
  /** The candidate network: width β, depth α, resolution base · γ (rounded as `phi` rounds it). */
  width: number;
  depth: number;
  resolution: number;
  params: number;
  macs: number;
  peakActivationBytes: number;
  /** Exact MACs over the base's. */
  ratio: number;
  /** α·β²·γ²: the paper's idealised ratio. */
  nominal: number;
  /** The exact ratio is within the tolerance of the target. */
  accepted: boolean;
}

export interface GridResult {
  base: { width: number; depth: number; resolution: number; params: number; macs: number };
  /** Every candidate built (nominal ratio near the target): the accepted ones first, closest to the target first. */
  candidates: Candidate[];
  /** Grid points not built: their nominal ratio is far from the target. */
  skipped: number;
}

/** Coefficients 1, 1 + step, …, max, rounded to the step's decimals (1.15, not 1.1500000000000001). */
export function gridValues(step: number, max: number): number[] {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const n = Math.floor((max - 1) / step + 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Number((1 + i * step).toFixed(decimals)));
}

/** The base network a search scales: a named variant's, or the family's at its base resolution. */
export function baseVariant(family: FamilyIR, name?: string): VariantIR {
  if (name !== undefined) {
    const v = family.variants.find((x) => x.name === name);
    if (!v) throw new SearchError(`family \`${family.name}\` has no variant \`${name}\`; its variants are ${family.variants.map((x) => x.name).join(', ')}`);
    return v;
  }
  const resolution = family.base.resolution;
  if (resolution === null) throw new SearchError(`family \`${family.name}\` has no base resolution: add \`resolution 224\` or name a variant with --base`);
  return { name: 'base', range: family.range, phi: null, width: family.base.width, depth: family.base.depth, resolution, network: family.base };
}

export class SearchError extends Error {}

export function gridSearch(family: FamilyIR, base: VariantIR, options: GridOptions = DEFAULT_GRID): GridResult {
  const sink = new DiagnosticSink(family.file);
  const build = (v: VariantIR) => {
    const g = buildVariant(family, v, sink);
    if (!g) throw new SearchError(`${v.name}: ${sink.items.map((d) => d.message).join('; ')}`);
    return analyzeVariant(g);
  };
  const b = build(base);
  const values = gridValues(options.step, options.max);
  const candidates: Candidate[] = [];
  let skipped = 0;
  for (const alpha of values)
    for (const beta of values)
      for (const gamma of values) {
        const nominal = alpha * beta ** 2 * gamma ** 2;
        // Not built when even rounding could not bring it near the target: rounding moves MACs a long
        // way (B0's α 1.2, β 1.1, γ 1.15 is 1.92× nominally, 2.57× built), so the band is a factor of 2.
        if (nominal > options.target * (1 + options.tolerance) * 2 || nominal < (options.target * (1 - options.tolerance)) / 2) {
          skipped++;
          continue;
        }
        const v: VariantIR = { ...base, name: 'candidate', width: base.width * beta, depth: base.depth * alpha, resolution: roundResolution(base.resolution * gamma, base.network.rounding.resolution.divisor) };
        const cost = build(v);
        const ratio = cost.macs / b.macs;
        const accepted = Math.abs(ratio / options.target - 1) <= options.tolerance;
        candidates.push({ alpha, beta, gamma, width: v.width, depth: v.depth, resolution: v.resolution, params: cost.params, macs: cost.macs, peakActivationBytes: cost.peakActivationBytes, ratio, nominal, accepted });
      }
  const distance = (c: Candidate) => Math.abs(c.ratio - options.target);
  candidates.sort((x, y) => Number(y.accepted) - Number(x.accepted) || distance(x) - distance(y) || x.alpha - y.alpha || x.beta - y.beta || x.gamma - y.gamma);
  return { base: { width: base.width, depth: base.depth, resolution: base.resolution, params: b.params, macs: b.macs }, candidates, skipped };
}
