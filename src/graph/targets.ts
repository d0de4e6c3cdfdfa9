import type { DiagnosticSink, Range } from '../diagnostics/diagnostic.js';
import type { NetworkIR } from '../ir/ir.js';
import { PlanError, planWgsl } from '../runtime/wgsl-plan.js';
import type { VariantGraph } from './graph.js';
import { modelNetwork, modelSpec } from './model-spec.js';

// What `check` knows of the targets: every variant is planned for WGSL here, with the planner
// `generate` and the runtime use, so a layer sequence the planner cannot run, or a layer beyond
// what WebGPU guarantees every device, is a diagnostic at the stage that makes it, never an
// error after `check` said ok. Weights are held against the 128 MiB per storage binding that
// every WebGPU device has (linear layers are split across bindings; a convolution or SE beyond it
// is E045). The activation arena is one binding whose limit varies by device (EfficientNet-L2
// needs 395 MiB): that is the runtime's WgslLimitError, naming the device's limit.

/** Where each layer was written: its stage, the stem or the head; the variant otherwise (the classifier). */
function layerRanges(g: VariantGraph, net: NetworkIR): Map<string, Range> {
  const ranges = new Map<string, Range>();
  if (net.stem) ranges.set(g.stem.name, net.stem.range);
  if (g.head && net.head) ranges.set(g.head.name, net.head.range);
  for (const stage of g.stages) {
    for (const b of stage.blocks) {
      const range = b.line === undefined ? undefined : net.stages[b.line]?.range;
      if (!range) continue;
      ranges.set(b.name, range);
      for (const l of b.layers) ranges.set(l.name, range);
    }
  }
  return ranges;
}

/** Plans `g` for WGSL; false (with an E045 or E046 error) when the plan is refused. */
export function checkTargets(g: VariantGraph, net: NetworkIR, variantRange: Range, sink: DiagnosticSink): boolean {
  try {
    planWgsl(modelNetwork(modelSpec(g, { checkpointNames: false })), g.resolution);
    return true;
  } catch (e) {
    if (!(e instanceof PlanError)) throw e;
    const at = layerRanges(g, net).get(e.layer) ?? variantRange;
    if (e.reason === 'limit') sink.error('E045', at, `variant \`${g.variant}\`: ${e.message} (the wgsl target)`, 'make the layer smaller: fewer channels, a smaller kernel or resolution');
    else sink.error('E046', at, `variant \`${g.variant}\`: ${e.message} (the wgsl target)`, 'the WGSL planner has no kernel sequence for this layer; change the stage');
    return false;
  }
}
