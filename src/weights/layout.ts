import type { VariantGraph } from '../graph/graph.js';
import { modelLayers, modelSpec } from '../graph/model-spec.js';
import { bindCheckpoint, checkpointTensors, type BindOptions, type ExpectedTensor, type LayerWeights, type Layout } from '../runtime/checkpoint.js';
import type { SafetensorsFile } from '../runtime/safetensors.js';

// Checkpoint layouts for a variant graph: the runtime's binding, fed the
// graph's layer specs. Generated code binds the same way from its own specs.

export { LAYOUTS, NonfiniteWeightsError, type BindOptions, type ExpectedTensor, type Layout, type LayerWeights, type Slot } from '../runtime/checkpoint.js';

/** Every tensor a checkpoint in this layout must hold for this graph, in execution order. */
export function expectedTensors(g: VariantGraph, layout: Layout): ExpectedTensor[] {
  return checkpointTensors(modelLayers(modelSpec(g)), layout);
}

/**
 * Checks a checkpoint against the graph and returns each layer's tensors.
 * A missing, extra or mis-shaped tensor, or NaN, ±Infinity or a negative running variance
 * (unless allowed), is a WeightsError that names it.
 */
export function bindWeights(file: SafetensorsFile, g: VariantGraph, layout: Layout, options: BindOptions = {}): Map<string, LayerWeights> {
  return bindCheckpoint(file, modelLayers(modelSpec(g)), layout, `${g.family} ${g.variant}`, options).layers;
}
