import type { VariantNode } from '../ast/ast.js';
import type { DiagnosticSink, Range } from '../diagnostics/diagnostic.js';
import type { CompoundIR, NetworkIR, VariantIR } from './ir.js';

export interface VariantScalars {
  width?: { value: number; range: Range };
  depth?: { value: number; range: Range };
  resolution?: { value: number; range: Range };
  phi?: { value: number; range: Range };
  /** A width, depth, resolution or phi was given but invalid (and reported). */
  invalid?: boolean;
}

/** Nearest multiple of `divisor` (at least one divisor). */
export function roundResolution(r: number, divisor: number): number {
  return Math.max(divisor, Math.round(r / divisor) * divisor);
}

/**
 * A variant's width, depth and resolution: explicit, or derived from phi with
 * d = α^φ, w = β^φ, r = base · γ^φ (paper §3.3).
 */
export function resolveVariant(
  v: VariantNode,
  network: NetworkIR,
  scalars: VariantScalars,
  compound: CompoundIR | null,
  compoundDeclared: boolean,
  sink: DiagnosticSink,
): VariantIR | undefined {
  const name = v.name!.text;
  const base = network.resolution;
  if (scalars.phi) {
    const explicit = (['width', 'depth', 'resolution'] as const).filter((k) => scalars[k] !== undefined);
    if (explicit.length > 0) {
      sink.error(
        'E032',
        scalars.phi.range,
        `variant \`${name}\` sets both phi and ${explicit.join(', ')}`,
        'phi derives width, depth and resolution from the compound coefficients: keep phi or the explicit values',
      );
      return undefined;
    }
    if (compound === null) {
      if (compoundDeclared) return undefined; // invalid coefficients, reported where they stand
      sink.error('E033', scalars.phi.range, `variant \`${name}\` sets phi but the family has no compound coefficients`, 'add `compound alpha 1.2 beta 1.1 gamma 1.15` to the family');
      return undefined;
    }
    if (base === null) {
      sink.error('E035', scalars.phi.range, `variant \`${name}\` sets phi but the family has no base resolution`, 'add `resolution 224` to the family');
      return undefined;
    }
    const phi = scalars.phi.value;
    return {
      name,
      range: v.range,
      phi,
      width: compound.beta ** phi,
      depth: compound.alpha ** phi,
      resolution: roundResolution(base * compound.gamma ** phi, network.rounding.resolution.divisor),
      network,
    };
  }
  const resolution = scalars.resolution?.value ?? base;
  if (resolution === null) {
    sink.error('E035', v.name!.range, `variant \`${name}\` has no resolution`, 'add `resolution 224` to the variant or to the family');
    return undefined;
  }
  return {
    name,
    range: v.range,
    phi: null,
    width: scalars.width?.value ?? network.width,
    depth: scalars.depth?.value ?? network.depth,
    resolution,
    network,
  };
}
