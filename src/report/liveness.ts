import type { Block, VariantGraph } from '../graph/graph.js';
import { BYTES_PER_VALUE, shapeBytes } from '../graph/memory.js';

// The inference liveness curve: bytes held after each step of one inference,
// by the rule of cost.ts's activationMemory (its peak is this curve's maximum;
// test/report-html.test.ts holds the two together on every shipped variant).

export interface LivenessStep {
  /** The layer that ran (`input` for the image itself, `pool` for the classifier's pooling). */
  layer: string;
  /** Its `features` index: 0 stem … N+1 head, N+2 classifier. */
  stage: number;
  /** Bytes alive while it runs: its input, its output, residual inputs, kept feature maps. */
  bytes: number;
}

export function livenessCurve(g: VariantGraph): LivenessStep[] {
  let x = shapeBytes(g.input);
  const steps: LivenessStep[] = [{ layer: 'input', stage: 0, bytes: x }];
  // A feature network's outputs stay alive to the end; `kept` counts those handed out before x.
  let kept = 0;
  let xKept = false;
  const step = (layer: string, stage: number, outBytes: number, held: number, extra = 0) => {
    steps.push({ layer, stage, bytes: held + kept + (xKept ? 0 : x) + extra + outBytes });
    x = outBytes;
    xKept = false;
  };
  const tapped = new Set(g.features.map((f) => f.stage));
  const runBlock = (b: Block, stage: number) => {
    const held = b.residual ? shapeBytes(b.inShape) : 0;
    for (const [i, l] of b.layers.entries()) {
      // The block input is x itself for the first layer: held only once.
      step(l.name, stage, shapeBytes(l.outShape), i === 0 ? 0 : held, l.op === 'se' ? (2 * l.inShape[0] + l.squeeze) * BYTES_PER_VALUE : 0);
    }
  };
  step(g.stem.name, 0, shapeBytes(g.stem.outShape), 0);
  for (const s of g.stages) {
    for (const b of s.blocks) runBlock(b, s.index);
    if (tapped.has(s.index)) {
      kept += x;
      xKept = true;
    }
  }
  const head = g.stages.length + 1;
  if (g.head) step(g.head.name, head, shapeBytes(g.head.outShape), 0);
  const c = g.classifier;
  if (c) {
    step('pool', head + 1, c.poolShape[0] * BYTES_PER_VALUE, 0);
    if (c.hidden) step(c.hidden.name, head + 1, c.hidden.outFeatures * BYTES_PER_VALUE, 0);
    if (c.linear) step(c.linear.name, head + 1, c.linear.outFeatures * BYTES_PER_VALUE, 0);
  }
  return steps;
}
