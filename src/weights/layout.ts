import type { Block, BlockLayer, ConvLayer, LinearLayer, VariantGraph } from '../graph/graph.js';
import { WeightsError, type SafetensorsFile } from './safetensors.js';

// Which tensor of a checkpoint feeds which slot of which graph layer, in
// torchvision's or timm's naming. torchvision's names are the graph's layer
// names (EfficientNet and EfficientNetV2 naming); timm's follow its
// EfficientNet builder (`blocks.<stage-1>.<i>.conv_pw`, …).

export type Layout = 'torchvision' | 'timm';
export const LAYOUTS: readonly Layout[] = ['torchvision', 'timm'];

export type Slot =
  | 'conv.weight'
  | 'bn.weight'
  | 'bn.bias'
  | 'bn.mean'
  | 'bn.var'
  | 'fc1.weight'
  | 'fc1.bias'
  | 'fc2.weight'
  | 'fc2.bias'
  | 'linear.weight'
  | 'linear.bias';

export interface ExpectedTensor {
  /** The tensor's name in the checkpoint. */
  name: string;
  /** PyTorch layout: OIHW for convs, [out, in] for linear layers. */
  shape: number[];
  /** The graph layer it belongs to. */
  layer: string;
  slot: Slot;
}

/** Buffers PyTorch saves that inference does not use. */
const IGNORED = /\.num_batches_tracked$/;

function convTensors(l: ConvLayer, conv: string, bn: string): ExpectedTensor[] {
  const [out, inC] = [l.outShape[0], l.inShape[0]];
  const c = (name: string, shape: number[], slot: Slot): ExpectedTensor => ({ name, shape, layer: l.name, slot });
  return [
    c(`${conv}.weight`, [out, inC / l.groups, l.kernel, l.kernel], 'conv.weight'),
    c(`${bn}.weight`, [out], 'bn.weight'),
    c(`${bn}.bias`, [out], 'bn.bias'),
    c(`${bn}.running_mean`, [out], 'bn.mean'),
    c(`${bn}.running_var`, [out], 'bn.var'),
  ];
}

function seTensors(l: BlockLayer & { op: 'se' }, reduce: string, expand: string): ExpectedTensor[] {
  const [c, s] = [l.inShape[0], l.squeeze];
  const t = (name: string, shape: number[], slot: Slot): ExpectedTensor => ({ name, shape, layer: l.name, slot });
  return [
    t(`${reduce}.weight`, [s, c, 1, 1], 'fc1.weight'),
    t(`${reduce}.bias`, [s], 'fc1.bias'),
    t(`${expand}.weight`, [c, s, 1, 1], 'fc2.weight'),
    t(`${expand}.bias`, [c], 'fc2.bias'),
  ];
}

function linearTensors(l: LinearLayer, name: string): ExpectedTensor[] {
  return [
    { name: `${name}.weight`, shape: [l.outFeatures, l.inFeatures], layer: l.name, slot: 'linear.weight' },
    { name: `${name}.bias`, shape: [l.outFeatures], layer: l.name, slot: 'linear.bias' },
  ];
}

/** timm's part names inside one block, by the layer's role and what the block holds. */
function timmBlockTensors(b: Block, prefix: string): ExpectedTensor[] {
  const expanded = b.layers.some((l) => l.role === 'expand');
  const edge = b.layers.some((l) => l.role === 'fused');
  return b.layers.flatMap((l) => {
    if (l.op === 'se') return seTensors(l, `${prefix}.se.conv_reduce`, `${prefix}.se.conv_expand`);
    switch (l.role) {
      case 'expand':
        return convTensors(l, `${prefix}.conv_pw`, `${prefix}.bn1`);
      case 'depthwise':
        return convTensors(l, `${prefix}.conv_dw`, `${prefix}.${expanded ? 'bn2' : 'bn1'}`);
      case 'fused':
        // EdgeResidual's expansion, or a collapsed fused block (ConvBnAct).
        return b.layers.some((x) => x.role === 'project') ? convTensors(l, `${prefix}.conv_exp`, `${prefix}.bn1`) : convTensors(l, `${prefix}.conv`, `${prefix}.bn1`);
      case 'project':
        return expanded ? convTensors(l, `${prefix}.conv_pwl`, `${prefix}.bn3`) : edge ? convTensors(l, `${prefix}.conv_pwl`, `${prefix}.bn2`) : convTensors(l, `${prefix}.conv_pw`, `${prefix}.bn2`);
      default:
        return convTensors(l, `${prefix}.conv`, `${prefix}.bn1`);
    }
  });
}

/** Every tensor a checkpoint in this layout must hold for this graph, in execution order. */
export function expectedTensors(g: VariantGraph, layout: Layout): ExpectedTensor[] {
  if (layout === 'torchvision') {
    const layer = (l: BlockLayer | ConvLayer) => (l.op === 'se' ? seTensors(l, `${l.name}.fc1`, `${l.name}.fc2`) : convTensors(l, `${l.name}.0`, `${l.name}.1`));
    return [
      ...layer(g.stem),
      ...g.stages.flatMap((s) => s.blocks.flatMap((b) => b.layers.flatMap(layer))),
      ...(g.head ? layer(g.head) : []),
      ...(g.classifier.hidden ? linearTensors(g.classifier.hidden, g.classifier.hidden.name) : []),
      ...linearTensors(g.classifier.linear, g.classifier.linear.name),
    ];
  }
  if (g.classifier.hidden) throw new WeightsError(`the timm layout has no hidden classifier layer; ${g.family} ${g.variant} needs the torchvision layout`);
  return [
    ...convTensors(g.stem, 'conv_stem', 'bn1'),
    ...g.stages.flatMap((s) => s.blocks.flatMap((b) => timmBlockTensors(b, `blocks.${s.index - 1}.${b.index}`))),
    ...(g.head ? convTensors(g.head, 'conv_head', 'bn2') : []),
    ...linearTensors(g.classifier.linear, 'classifier'),
  ];
}

export type LayerWeights = Partial<Record<Slot, Float32Array>>;

const list = (names: string[]) => names.slice(0, 5).map((n) => `\`${n}\``).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');

/**
 * Checks a checkpoint against the graph and returns each layer's tensors.
 * A missing, extra or mis-shaped tensor is a WeightsError that names it.
 */
export function bindWeights(file: SafetensorsFile, g: VariantGraph, layout: Layout): Map<string, LayerWeights> {
  const expected = expectedTensors(g, layout);
  const who = `${g.family} ${g.variant} (${layout} layout)`;
  const missing = expected.filter((e) => !file.tensors.has(e.name)).map((e) => e.name);
  if (missing.length > 0) throw new WeightsError(`the weights lack ${missing.length} tensor${missing.length === 1 ? '' : 's'} of ${who}: ${list(missing)}`);
  const known = new Set(expected.map((e) => e.name));
  const extra = [...file.tensors.keys()].filter((n) => !known.has(n) && !IGNORED.test(n));
  if (extra.length > 0) throw new WeightsError(`the weights hold ${extra.length} tensor${extra.length === 1 ? '' : 's'} that ${who} does not have: ${list(extra)}`);
  const bound = new Map<string, LayerWeights>();
  for (const e of expected) {
    const t = file.tensors.get(e.name)!;
    if (t.shape.join(',') !== e.shape.join(','))
      throw new WeightsError(`tensor \`${e.name}\` has shape [${t.shape.join(', ')}] but ${who} needs [${e.shape.join(', ')}]`);
    const slots = bound.get(e.layer) ?? {};
    slots[e.slot] = t.data;
    bound.set(e.layer, slots);
  }
  return bound;
}
