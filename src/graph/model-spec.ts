import { blockKind } from '../blocks/registry.js';
import type { Block, BlockLayer, ConvLayer, ConvRole, LinearLayer, VariantGraph } from './graph.js';
import type { BlockSpec, Builder, ClassifierSpec, ConvSpec, FeatureSpec, LayerSpec, LinearSpec, Network, SeSpec } from '../runtime/spec.js';

// A variant graph restated as the runtime's layer specs: what generated model
// code holds, what checkpoints are bound against, what emitters print, and what
// `check` plans every target from (graph/targets.ts).

export type BlockLayerSpec = { kind: 'conv'; spec: ConvSpec } | { kind: 'se'; spec: SeSpec };

export interface BlockModel {
  spec: BlockSpec;
  layers: BlockLayerSpec[];
}

export interface StageModel {
  /** torchvision `features` index. */
  index: number;
  blocks: BlockModel[];
  /** Set when a feature network hands the stage's output out. */
  feature?: FeatureSpec;
}

export interface ModelSpec {
  stem: ConvSpec;
  stages: StageModel[];
  head: ConvSpec | null;
  /** Null for a feature network. */
  classifier: ClassifierSpec | null;
}

function conv(l: ConvLayer, timm?: [string, string], names = true): ConvSpec {
  // A torchvision name only where it is not the layer's own (MobileNetV2's project).
  const torchvision = names && l.checkpoint && (l.checkpoint[0] !== `${l.name}.0` || l.checkpoint[1] !== `${l.name}.1`) ? l.checkpoint : undefined;
  return {
    name: l.name,
    in: l.inShape[0],
    out: l.outShape[0],
    kernel: l.kernel,
    stride: l.stride,
    groups: l.groups,
    ...(l.dilation !== 1 ? { dilation: l.dilation } : {}),
    ...(l.splits ? { splits: l.splits.map((p) => ({ ...p })) } : {}),
    padding: [...l.padding],
    ...(l.same ? { same: true } : {}),
    ...(l.bias ? { bias: true } : {}),
    norm: l.norm ? { eps: l.norm.eps, momentum: l.norm.momentum } : null,
    act: l.act,
    ...(timm ? { timm } : {}),
    ...(torchvision ? { torchvision: [...torchvision] as [string, string] } : {}),
  };
}

/** timm's names for one layer of a block: its kind's (src/blocks/) for its role. */
function timmNames(b: Block, l: BlockLayer, prefix: string, roles: ReadonlySet<ConvRole>): [string, string] {
  if (l.op === 'se') return [`${prefix}.se.conv_reduce`, `${prefix}.se.conv_expand`];
  const [convName, bn] = blockKind(b.type).timm(l.role, roles);
  return [`${prefix}.${convName}`, `${prefix}.${bn}`];
}

function linear(l: LinearLayer, timm?: string, timmConv = false): LinearSpec {
  return { name: l.name, in: l.inFeatures, out: l.outFeatures, act: l.act, ...(timm ? { timm } : {}), ...(timmConv ? { timmConv } : {}) };
}

/**
 * A variant's layer specs, with timm names wherever timm's EfficientNet builder has the layer
 * (timm's MobileNets differ from torchvision's beyond names: no timm layout for them).
 * `checkpointNames: false` leaves out every checkpoint name (timm's, torchvision's where not the
 * layer's own): the shapes alone, as `check` plans every variant from them.
 */
export function modelSpec(g: VariantGraph, { checkpointNames = true }: { checkpointNames?: boolean } = {}): ModelSpec {
  const cls = g.classifier;
  const timm = checkpointNames && g.naming === 'efficientnet';
  const features = new Map(g.features.map((f) => [f.stage, { name: f.name, channels: f.shape[0], stride: f.stride }]));
  return {
    stem: conv(g.stem, timm ? ['conv_stem', 'bn1'] : undefined, checkpointNames),
    stages: g.stages.map((s) => ({
      index: s.index,
      ...(features.has(s.index) ? { feature: features.get(s.index)! } : {}),
      blocks: s.blocks.map((b) => {
        const prefix = `blocks.${s.index - 1}.${b.index}`;
        const roles = timm ? new Set(b.layers.flatMap((x) => (x.op === 'conv' ? [x.role] : []))) : undefined;
        return {
          spec: { name: b.name, residual: b.residual, dropPath: b.dropPath },
          layers: b.layers.map((l): BlockLayerSpec => {
            const names = roles ? timmNames(b, l, prefix, roles) : undefined;
            return l.op === 'se'
              ? { kind: 'se', spec: { name: l.name, channels: l.inShape[0], squeeze: l.squeeze, act: l.act, gate: l.gate, ...(names ? { timm: names } : {}) } }
              : { kind: 'conv', spec: conv(l, names, checkpointNames) };
          }),
        };
      }),
    })),
    head: g.head ? conv(g.head, timm ? ['conv_head', 'bn2'] : undefined, checkpointNames) : null,
    // timm's builder holds a hidden classifier layer as `conv_head`, a 1×1 convolution with bias on the pooled map
    // (LCNet, MobileNetV3); its last 1×1 conv before the pool is then a block, so a head conv too has no timm name to share.
    classifier: cls && {
      hidden: cls.hidden ? linear(cls.hidden, timm && !g.head ? 'conv_head' : undefined, timm) : null,
      dropout: cls.dropout,
      linear: cls.linear && linear(cls.linear, timm ? 'classifier' : undefined),
    },
  };
}

/** Every parameterised layer, in execution order (what `layerSpecs` records from generated code). */
export function modelLayers(m: ModelSpec): LayerSpec[] {
  return [
    { kind: 'conv', spec: m.stem },
    ...m.stages.flatMap((s) => s.blocks.flatMap((b) => b.layers)),
    ...(m.head ? [{ kind: 'conv' as const, spec: m.head }] : []),
    ...[m.classifier?.hidden, m.classifier?.linear].flatMap((spec) => (spec ? [{ kind: 'linear' as const, spec }] : [])),
  ];
}

/** The specs as a runnable Network: what the generated `network` function does, without emitting it. */
export function modelNetwork(m: ModelSpec): Network {
  return <T>(x: T, b: Builder<T>): T => {
    x = b.conv(x, m.stem);
    for (const s of m.stages) {
      for (const blk of s.blocks) x = b.block(x, blk.spec, (y) => blk.layers.reduce((z, l) => (l.kind === 'conv' ? b.conv(z, l.spec) : b.se(z, l.spec)), y));
      if (s.feature) x = b.feature(x, s.feature);
    }
    if (m.head) x = b.conv(x, m.head);
    return m.classifier ? b.classifier(x, m.classifier) : x;
  };
}
