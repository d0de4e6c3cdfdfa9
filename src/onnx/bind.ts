import type { VariantGraph } from '../graph/graph.js';
import { modelNetwork, modelSpec } from '../graph/model-spec.js';
import { bindCheckpoint, type Layout, type Weights } from '../runtime/checkpoint.js';
import { parseCheckpoint } from '../runtime/pth.js';
import { layerSpecs } from '../runtime/spec.js';

// A checkpoint's bytes bound to a variant's layers, as the generated modules'
// loadWeights binds them: every missing, extra or misshapen tensor is a
// WeightsError naming it (a feature network ignores the head and classifier).

export function bindVariantWeights(g: VariantGraph, bytes: Uint8Array, layout: Layout = 'torchvision', allowNonfinite = false): Weights {
  const layers = layerSpecs(modelNetwork(modelSpec(g)));
  return bindCheckpoint(parseCheckpoint(bytes), layers, layout, `${g.family} ${g.variant}`, { allowNonfinite, backbone: g.features.length > 0 });
}
