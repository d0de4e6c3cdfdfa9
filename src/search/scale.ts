import type { DiagnosticSink } from '../diagnostics/diagnostic.js';
import { analyzeVariant } from '../cost/cost.js';
import { buildVariant } from '../graph/build.js';
import type { FamilyIR, VariantIR } from '../ir/ir.js';
import { roundResolution } from '../ir/variants.js';

// The φ table of a family's compound rule (the paper's second step): for each φ the depth,
// width and resolution multipliers, the rounded variant's exact figures, and how far rounding
// moves its MACs from the 2^φ the rule aims at.

export interface ScaleRow {
  phi: number;
  /** α^φ, β^φ and the rounded resolution (base · γ^φ). */
  depth: number;
  width: number;
  resolution: number;
  params: number;
  bnBuffers: number;
  macs: number;
  /** MACs over the base's (φ = 0). */
  ratio: number;
  /** (α·β²·γ²)^φ: what the coefficients promise before rounding. */
  nominal: number;
  /** ratio / 2^φ − 1: the drift from doubling per φ. */
  drift: number;
}

/** Why a family has no φ table. */
export class ScaleError extends Error {}

/** The variant `phi` makes, as `variant phiN { phi N }` would (ir/variants.ts). */
export function phiVariant(family: FamilyIR, phi: number): VariantIR {
  const c = family.compound;
  const base = family.base.resolution;
  if (!c) throw new ScaleError(`family \`${family.name}\` has no compound coefficients: add \`compound alpha 1.2 beta 1.1 gamma 1.15\``);
  if (base === null) throw new ScaleError(`family \`${family.name}\` has no base resolution: add \`resolution 224\` to the family`);
  return {
    name: phiName(phi),
    range: family.range,
    phi,
    width: c.beta ** phi,
    depth: c.alpha ** phi,
    resolution: roundResolution(base * c.gamma ** phi, family.base.rounding.resolution.divisor),
    network: family.base,
  };
}

/** `phi3`, `phi1_5`: a variant name for φ. */
export const phiName = (phi: number): string => `phi${String(phi).replace('.', '_').replace('-', 'm')}`;

/** One row per φ; a φ whose variant does not build leaves its diagnostics in `sink` and no row. */
export function scaleTable(family: FamilyIR, phis: readonly number[], sink: DiagnosticSink): ScaleRow[] {
  // phiVariant checks the family has coefficients and a base resolution.
  const base = buildVariant(family, phiVariant(family, 0), sink);
  const c = family.compound!;
  if (!base) return [];
  const base0 = analyzeVariant(base).macs;
  return phis.flatMap((phi) => {
    const v = phiVariant(family, phi);
    const g = phi === 0 ? base : buildVariant(family, v, sink);
    if (!g) return [];
    const cost = analyzeVariant(g);
    const ratio = cost.macs / base0;
    return [{ phi, depth: v.depth, width: v.width, resolution: v.resolution, params: cost.params, bnBuffers: cost.bnBuffers, macs: cost.macs, ratio, nominal: (c.alpha * c.beta ** 2 * c.gamma ** 2) ** phi, drift: ratio / 2 ** phi - 1 }];
  });
}
