import { quote, WeightsError, type SafetensorsFile } from './safetensors.js';
import { isDepthwise, type LayerSpec } from './spec.js';

// Which checkpoint tensor feeds which slot of which layer, in torchvision's
// naming (the layer names themselves) or timm's, and the binding of a
// safetensors file to those slots with every mismatch named, and every
// NaN, infinity or negative running variance refused unless allowed.

export type Layout = 'torchvision' | 'timm';
export const LAYOUTS: readonly Layout[] = ['torchvision', 'timm'];

export type Slot =
  | 'conv.weight'
  /** One channel split's kernel of a mixed convolution. */
  | `conv.split.${number}`
  | 'conv.bias'
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
  /** The layer it belongs to. */
  layer: string;
  slot: Slot;
}

/** Buffers PyTorch saves that inference does not use. */
const IGNORED = /\.num_batches_tracked$/;

function names(l: LayerSpec, layout: Layout): string[] {
  if (layout === 'torchvision') {
    if (l.kind === 'conv') return l.spec.torchvision ?? [`${l.spec.name}.0`, `${l.spec.name}.1`];
    if (l.kind === 'se') return [`${l.spec.name}.fc1`, `${l.spec.name}.fc2`];
    return [l.spec.name];
  }
  const timm = l.spec.timm;
  if (timm === undefined) throw new WeightsError(`layer ${quote(l.spec.name)} has no timm counterpart; use the torchvision layout`);
  return typeof timm === 'string' ? [timm] : timm;
}

/** Every tensor a checkpoint in this layout must hold, in execution order. */
export function checkpointTensors(layers: readonly LayerSpec[], layout: Layout): ExpectedTensor[] {
  return layers.flatMap((l): ExpectedTensor[] => {
    const [a, b] = names(l, layout);
    const t = (name: string, shape: number[], slot: Slot): ExpectedTensor => ({ name, shape, layer: l.spec.name, slot });
    switch (l.kind) {
      case 'conv': {
        const s = l.spec;
        const kernels = s.splits
          ? s.splits.map((p, i) => t(`${a}.${i}.weight`, [p.out, isDepthwise(s) ? 1 : p.in, p.kernel, p.kernel], `conv.split.${i}`))
          : [t(`${a}.weight`, [s.out, s.in / s.groups, s.kernel, s.kernel], 'conv.weight')];
        return [
          ...kernels,
          ...(s.bias ? [t(`${a}.bias`, [s.out], 'conv.bias')] : []),
          ...(s.norm
            ? [t(`${b}.weight`, [s.out], 'bn.weight'), t(`${b}.bias`, [s.out], 'bn.bias'), t(`${b}.running_mean`, [s.out], 'bn.mean'), t(`${b}.running_var`, [s.out], 'bn.var')]
            : []),
        ];
      }
      case 'se': {
        const s = l.spec;
        return [
          t(`${a}.weight`, [s.squeeze, s.channels, 1, 1], 'fc1.weight'),
          t(`${a}.bias`, [s.squeeze], 'fc1.bias'),
          t(`${b}.weight`, [s.channels, s.squeeze, 1, 1], 'fc2.weight'),
          t(`${b}.bias`, [s.channels], 'fc2.bias'),
        ];
      }
      case 'linear': {
        const { out, in: inFeatures, timmConv } = l.spec;
        const kernel = layout === 'timm' && timmConv ? [out, inFeatures, 1, 1] : [out, inFeatures];
        return [t(`${a}.weight`, kernel, 'linear.weight'), t(`${a}.bias`, [out], 'linear.bias')];
      }
    }
  });
}

export type LayerWeights = Partial<Record<Slot, Float32Array>>;

/** A checkpoint bound to a network's layers: PyTorch layouts, float32, keyed by layer name. */
export interface Weights {
  layout: Layout;
  layers: Map<string, LayerWeights>;
}

const list = (names: string[]) => names.slice(0, 5).map(quote).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');

/** A checkpoint that names and shapes its tensors right but holds values no model can use. */
export class NonfiniteWeightsError extends WeightsError {}

export interface BindOptions {
  /** Load NaN, ±Infinity and negative running variances instead of refusing them. */
  allowNonfinite?: boolean;
  /**
   * A feature network, loading a whole classifier's checkpoint: tensors of the modules it leaves
   * out (later stages, head, classifier) are skipped. One more tensor on a module it keeps is still an error.
   */
  backbone?: boolean;
}

const moduleOf = (name: string) => name.slice(0, name.lastIndexOf('.'));

/** A tensor's values a model cannot use: NaN, ±Infinity, or (a BatchNorm running variance) below 0. */
function unusable(e: ExpectedTensor, data: Float32Array): string | undefined {
  let bad = 0;
  let first = -1;
  const variance = e.slot === 'bn.var';
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    // x - x is 0 for every finite x, NaN for NaN and ±Infinity.
    if (x - x !== 0 || (variance && x < 0)) {
      if (bad++ === 0) first = i;
    }
  }
  if (bad === 0) return undefined;
  const x = data[first]!;
  const what = Number.isNaN(x) ? 'NaN' : x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : `a negative running variance (${x})`;
  return `tensor ${quote(e.name)} holds ${what} at index ${first}${bad > 1 ? ` (${bad} unusable values in all)` : ''}`;
}

/**
 * Checks a checkpoint against the layers and returns each layer's tensors.
 * A missing, extra or mis-shaped tensor, or one holding NaN, ±Infinity or a negative running
 * variance (unless `options.allowNonfinite`), is a WeightsError that names it; `who` names the model.
 */
export function bindCheckpoint(file: SafetensorsFile, layers: readonly LayerSpec[], layout: Layout, who: string, options: BindOptions = {}): Weights {
  const expected = checkpointTensors(layers, layout);
  who = `${who} (${layout} layout)`;
  const missing = expected.filter((e) => !file.tensors.has(e.name)).map((e) => e.name);
  if (missing.length > 0) throw new WeightsError(`the weights lack ${missing.length} tensor${missing.length === 1 ? '' : 's'} of ${who}: ${list(missing)}`);
  const known = new Set(expected.map((e) => e.name));
  const modules = new Set(expected.map((e) => moduleOf(e.name)));
  const extra = [...file.tensors.keys()].filter((n) => !known.has(n) && !IGNORED.test(n) && !(options.backbone && !modules.has(moduleOf(n))));
  if (extra.length > 0) throw new WeightsError(`the weights hold ${extra.length} tensor${extra.length === 1 ? '' : 's'} that ${who} does not have: ${list(extra)}`);
  const bound = new Map<string, LayerWeights>();
  for (const e of expected) {
    const t = file.tensors.get(e.name)!;
    if (t.shape.join(',') !== e.shape.join(','))
      throw new WeightsError(`tensor ${quote(e.name)} has shape [${t.shape.join(', ')}] but ${who} needs [${e.shape.join(', ')}]`);
    const why = options.allowNonfinite ? undefined : unusable(e, t.data);
    if (why !== undefined) throw new NonfiniteWeightsError(why);
    const slots = bound.get(e.layer) ?? {};
    slots[e.slot] = t.data;
    bound.set(e.layer, slots);
  }
  return { layout, layers: bound };
}
