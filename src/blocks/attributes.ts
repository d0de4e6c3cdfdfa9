import type { Option } from '../ast/ast.js';
import { clip, type DiagnosticSink } from '../diagnostics/diagnostic.js';
import { ACTIVATION_ALIASES, ACTIVATIONS, type Activation, type SkipMode } from '../ir/ir.js';
import { positiveInt, readNumber, readWord } from '../ir/values.js';

// Every attribute a `stage` line can carry: its typed value, how it is read
// and checked, and its line of documentation. Block kinds (registry.ts) say
// which of them they take; the lowering, the language reference and the
// editor grammar iterate over this table.

/** The typed values of one stage line's attributes, as written (before scaling). */
export interface StageAttributes {
  /** One kernel size, or one per channel split (MixNet's mixed depthwise convolution). */
  k: number[];
  s: number;
  e: number;
  c: number;
  n: number;
  se: number;
  act: Activation;
  skip: SkipMode;
  mid: number;
  expand_from: number;
  groups: number;
  group_size: number;
  dilation: number;
  expand_split: number;
  project_split: number;
  keep_expand: true;
  fixed_width: true;
  fixed_depth: true;
}

export type AttributeKey = keyof StageAttributes;

export interface AttributeDef<K extends AttributeKey> {
  /** How it is written, for the reference: `kK`, `se R`, `fixed_width`. */
  syntax: string;
  doc: string;
  /** The values it takes, for the reference ('' for a flag). */
  values: string;
  read(o: Option, sink: DiagnosticSink): StageAttributes[K] | undefined;
}

export const MAX_KERNEL = 1023;
/** Channel splits of a mixed convolution (timm's MixNet uses up to 4). */
export const MAX_SPLITS = 16;

function oddKernel(k: number, o: Option, sink: DiagnosticSink): boolean {
  if (k % 2 === 0) {
    sink.error('E020', o.value!.range, `kernel size ${k} is even`, 'effnet pads symmetrically around the centre: use an odd kernel size such as 3 or 5');
    return false;
  }
  return true;
}

/** `k3`, or `k3.5.7`: one kernel size per channel split, as timm writes MixNet's blocks. */
export function readKernels(o: Option, sink: DiagnosticSink): number[] | undefined {
  const v = o.value;
  if (v === undefined) return undefined;
  const parts = v.text.split('.');
  if (parts.length === 1) {
    const k = readNumber(v, { what: 'kernel size', integer: true, code: 'E020', min: 1, max: MAX_KERNEL }, sink);
    return k !== undefined && oddKernel(k, o, sink) ? [k] : undefined;
  }
  if (parts.length > MAX_SPLITS || parts.some((p) => !/^\d+$/.test(p))) {
    sink.error('E020', v.range, `kernel list \`${clip(v.text)}\` is not a list of up to ${MAX_SPLITS} kernel sizes`, 'a mixed kernel lists odd sizes joined by dots, one per channel split: `k3.5.7`');
    return undefined;
  }
  const ks = parts.map(Number);
  for (const k of ks) {
    if (k < 1 || k > MAX_KERNEL) {
      sink.error('E020', v.range, `kernel size ${k} in \`${clip(v.text)}\` is out of range: it must be ≥ 1 and ≤ ${MAX_KERNEL}`);
      return undefined;
    }
    if (!oddKernel(k, o, sink)) return undefined;
  }
  return ks;
}

const readStride = (o: Option, sink: DiagnosticSink): number | undefined => {
  const s = readNumber(o.value, { what: 'stride', integer: true, code: 'E021' }, sink);
  if (s !== undefined && s !== 1 && s !== 2) {
    sink.error('E021', o.value!.range, `stride ${s} is not supported`, 'EfficientNet-family blocks use stride 1 or 2');
    return undefined;
  }
  return s;
};

export const readActivation = (o: Option, sink: DiagnosticSink, what = 'activation'): Activation | undefined =>
  readWord(o.value, what, ACTIVATIONS, sink, 'E011', ACTIVATION_ALIASES);

const flag = <K extends 'fixed_width' | 'fixed_depth' | 'keep_expand'>(syntax: K, doc: string): AttributeDef<K> => ({ syntax, doc, values: '', read: () => true });

const count = (what: string, code = 'E026') => (o: Option, sink: DiagnosticSink) => readNumber(o.value, positiveInt(what, code), sink);

export const ATTRIBUTES: { readonly [K in AttributeKey]: AttributeDef<K> } = {
  k: {
    syntax: 'kK',
    doc: "Kernel size of the block's spatial convolution; several sizes joined by dots (`k3.5.7`) split its channels into groups, one kernel each (MixNet's mixed depthwise convolution, timm's `_split_channels`: the first split takes the remainder).",
    values: 'odd integer 1–1023, or up to 16 of them joined by `.`',
    read: readKernels,
  },
  s: { syntax: 'sS', doc: 'Stride of the first block.', values: '`1` or `2`', read: readStride },
  e: {
    syntax: 'eE',
    doc: 'Expand ratio: expanded channels = make_divisible(base · E).',
    values: 'number in [1, 1024] (fractions allowed: `e4.5`)',
    read: (o, sink) => readNumber(o.value, { what: 'expand ratio', code: 'E022', min: 1, max: 1024 }, sink),
  },
  c: { syntax: 'cC', doc: 'Output channels (before width scaling).', values: 'positive integer', read: count('channels', 'E024') },
  n: { syntax: 'nN', doc: 'Repeats: blocks in the stage (before depth scaling).', values: 'positive integer', read: count('repeats', 'E025') },
  se: {
    syntax: 'se R',
    doc: 'Squeeze-excitation with ratio R (see below).',
    values: '(0, 1]',
    read: (o, sink) => readNumber(o.value, { what: 'squeeze-excitation ratio', code: 'E023', min: 0, minExclusive: true, max: 1 }, sink),
  },
  act: { syntax: 'act A', doc: "The activation of this stage's blocks.", values: 'an activation', read: (o, sink) => readActivation(o, sink) },
  skip: {
    syntax: 'skip MODE',
    doc: 'Residual connection: `auto` where possible, `on` (an error, E044, where impossible), `off` never.',
    values: '`auto`, `on`, `off`',
    read: (o, sink) => readWord(o.value, 'skip mode', ['auto', 'on', 'off'] as const, sink),
  },
  mid: { syntax: 'mid M', doc: "Explicit expanded channels (width-scaled like `c`) instead of `e`; MobileNetV3's tables.", values: 'positive integer', read: count('mid channels', 'E024') },
  expand_from: {
    syntax: 'expand_from F',
    doc: "Expanded channels = make_divisible(F · E), F width-scaled, instead of the block input times E (TensorFlow EdgeTPU's first block). Needs `e`.",
    values: 'positive integer',
    read: count('expand_from channels', 'E024'),
  },
  groups: {
    syntax: 'groups G',
    doc: "Group count of the block's dense spatial convolution (a grouped convolution); it must divide that convolution's input and output channels.",
    values: 'positive integer',
    read: count('groups', 'E028'),
  },
  group_size: {
    syntax: 'group_size G',
    doc: "Channels per group of the block's spatial convolution, so the group count follows width scaling (timm's `gs`); `group_size 1` of a depthwise convolution is the default.",
    values: 'positive integer',
    read: count('group size', 'E028'),
  },
  dilation: {
    syntax: 'dilation D',
    doc: "Dilation of the block's spatial convolution (atrous); padding grows to keep the size. Needs stride 1: `output_stride` turns strides into dilation for you.",
    values: 'integer 1–64',
    read: (o, sink) => readNumber(o.value, { what: 'dilation', integer: true, min: 1, max: 64 }, sink),
  },
  expand_split: {
    syntax: 'expand_split P',
    doc: "Split the 1×1 expand convolution into P convolutions on channel splits (timm's `a1.1` for P = 2: MixNet's grouped expansion).",
    values: `integer 1–${MAX_SPLITS}`,
    read: (o, sink) => readNumber(o.value, { what: 'expand split', integer: true, min: 1, max: MAX_SPLITS }, sink),
  },
  project_split: {
    syntax: 'project_split P',
    doc: "Split the 1×1 project convolution into P convolutions on channel splits (timm's `p1.1` for P = 2).",
    values: `integer 1–${MAX_SPLITS}`,
    read: (o, sink) => readNumber(o.value, { what: 'project split', integer: true, min: 1, max: MAX_SPLITS }, sink),
  },
  keep_expand: flag('keep_expand', "Keep the 1×1 expand conv when the expanded channels equal the input's (timm's `InvertedResidual` at `e1`; torchvision leaves it out)."),
  fixed_width: flag('fixed_width', "Width scaling leaves this stage's `c`, `mid` and `expand_from` alone."),
  fixed_depth: flag('fixed_depth', "Depth scaling leaves this stage's `n` alone (EfficientNet-Lite's first and last stages)."),
};

export const ATTRIBUTE_KEYS = Object.keys(ATTRIBUTES) as AttributeKey[];

/** Attributes every block kind takes. */
export const COMMON_ATTRIBUTES = ['k', 's', 'c', 'n', 'act', 'skip', 'fixed_width', 'fixed_depth'] as const satisfies readonly AttributeKey[];

export const isAttributeKey = (key: string): key is AttributeKey => Object.hasOwn(ATTRIBUTES, key);
