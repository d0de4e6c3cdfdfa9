import type { VariantGraph } from '../graph/graph.js';
import type { ModelMetadata } from '../runtime/spec.js';
import { analyzeVariant } from './cost.js';

/** What a generated model states about itself (`metadata`): the report's figures and its inputs and outputs. */
export function modelMetadata(g: VariantGraph): ModelMetadata {
  const cost = analyzeVariant(g);
  return {
    family: g.family,
    variant: g.variant,
    resolution: g.resolution,
    inputChannels: g.input[0],
    classes: g.classes,
    features: g.features.map((f) => ({ name: f.name, channels: f.shape[0], stride: f.stride })),
    params: cost.params,
    bnBuffers: cost.bnBuffers,
    macs: cost.macs,
    ...(g.preprocess ? { preprocess: g.preprocess } : {}),
  };
}
