import { MACS_DEFINITION, MEMORY_DEFINITION, PARAMS_DEFINITION } from '../cost/cost.js';
import { bannerText } from '../emit/escape.js';
import type { ReportInput, ReportOptions } from './report.js';

/**
 * The JSON report. Its shape is a contract other tools read:
 * { family, macsDefinition, variants: [{ name, resolution, inputChannels, outputStride?,
 *   features?: [{ name, stage, channels, stride, outShape }], width, depth, params,
 *   bnBuffers, macs, flops, activationBytes, stages: [...], layers: [...] }] }
 */
export function jsonReport(r: ReportInput, options: ReportOptions = {}): string {
  const doc = {
    ...(options.banner ? { generatedBy: bannerText(r.spec) } : {}),
    family: r.family,
    spec: r.spec,
    macsDefinition: MACS_DEFINITION,
    paramsDefinition: PARAMS_DEFINITION,
    activationDefinition: MEMORY_DEFINITION,
    variants: r.variants.map((v) => ({
      name: v.name,
      resolution: v.resolution,
      inputChannels: v.inputChannels,
      ...(v.outputStride !== null ? { outputStride: v.outputStride } : {}),
      ...(v.features.length > 0 ? { features: v.features } : {}),
      width: v.width,
      depth: v.depth,
      phi: v.phi,
      params: v.params,
      bnBuffers: v.bnBuffers,
      macs: v.macs,
      flops: v.flops,
      activationBytes: v.activationBytes,
      peakActivationBytes: v.peakActivationBytes,
      stages: v.stages,
      layers: v.layers,
    })),
  };
  // Only a shape key's value is unquoted: a spec path or name that reads "[1,2]" stays a string.
  return JSON.stringify(doc, compactShapes, 2).replace(/("(?:in|out)Shape": )"\[(\d+(?:,\d+)*)\]"/g, '$1[$2]') + '\n';
}

/** Shapes print on one line: `[32,112,112]`, not one number per line. */
function compactShapes(key: string, value: unknown): unknown {
  if ((key === 'outShape' || key === 'inShape') && Array.isArray(value)) return `[${value.join(',')}]`;
  return value;
}
