import fc from 'fast-check';

// Random valid `.effnet` specs (fast-check arbitraries), small enough to run: every block type,
// kernels 1/3/5 and mixed kernel lists, split 1×1 convs, grouped and dilated convs, strides 1/2,
// expand ratios, SE with either gate and either squeeze base,
// every activation, residuals on and off, with and without a head, hidden classifiers,
// 1–4 input channels, channel counts on and off multiples of 4, resolutions around 32 (odd
// ones too) and never below the network's total stride; logits, pooled features (`classes 0`)
// or feature maps of some stages (`features …`), sometimes with `output_stride 8` or `16`. Used by the tfjs/WGSL differential test and by fuzzers that
// push random specs through every emitter. Every spec it makes compiles without errors
// (the differential test asserts it).

export const ACTIVATIONS = ['relu', 'relu6', 'silu', 'hardswish', 'hardsigmoid', 'sigmoid', 'gelu', 'identity'] as const;
export const BLOCKS = ['mbconv', 'fused_mbconv', 'edge_residual', 'ds_conv', 'dsa', 'conv'] as const;

export type Block = (typeof BLOCKS)[number];

export interface RandomStage {
  block: Block;
  /** One kernel, or a mixed kernel list (`k3.5`). */
  kernel: 1 | 3 | 5 | '3.5' | '1.3.5';
  /** Channel splits of the 1×1 expand (mbconv) and project convs. */
  expandSplit: number | null;
  projectSplit: number | null;
  /** Group count of the spatial conv (narrow specs only: their channels are multiples of 4). */
  groups: number | null;
  dilation: number | null;
  stride: 1 | 2;
  /** Expand ratio (mbconv, fused_mbconv, edge_residual). */
  expand: number | null;
  channels: number;
  repeats: number;
  se: number | null;
  act: string | null;
  skip: 'auto' | 'off' | null;
}

export interface RandomConv {
  kernel: 1 | 3 | 5;
  stride: 1 | 2;
  channels: number;
  act: string | null;
}

/** The parts of a random spec; `text` is the spec itself. */
export interface RandomSpec {
  inputChannels: number;
  classes: number;
  activation: string;
  padding: 'symmetric' | 'same';
  naming: 'efficientnet' | 'mobilenet_v2' | 'mobilenet_v3';
  divisor: number;
  se: { from: 'input' | 'expanded'; gate: 'sigmoid' | 'hardsigmoid'; act: string | null; divisor: number | null };
  stem: RandomConv;
  stages: RandomStage[];
  head: RandomConv | null;
  hidden: { features: number; act: string | null } | null;
  /** What the network gives: logits, pooled features (`classes 0`), or the outputs of these stages (1-based). */
  output: { kind: 'logits' } | { kind: 'pooled' } | { kind: 'features'; stages: number[] };
  outputStride: 8 | 16 | null;
  width: number;
  depth: number;
  resolution: number;
  text: string;
}

export interface RandomSpecOptions {
  /** Stages per spec, at most (default 3). */
  maxStages?: number;
  /** Channels of a stage or the stem before width scaling, at most (default 24). */
  maxChannels?: number;
  /** Resolutions are drawn from minResolution…maxResolution (default 15…33, odd ones included), raised to the total stride where it is larger. */
  minResolution?: number;
  maxResolution?: number;
  /** The first version's knob, kept for its callers: maxResolution = 33 + this. */
  maxExtraResolution?: number;
  /**
   * Shapes from a small palette (channels 4 or 8, resolution 16 or 17, width and depth 1, one
   * activation per spec) so that WGSL shaders, which bake shapes in, repeat across specs: a cold
   * Mesa shader cache compiles each distinct shader (~150 ms on llvmpipe). Structure stays random.
   */
  narrow?: boolean;
}

const activation = fc.constantFrom(...ACTIVATIONS);
const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null, freq: 2 });

/** Where the narrow palette and the full ranges differ. */
interface Ranges {
  channels: fc.Arbitrary<number>;
  headChannels: fc.Arbitrary<number>;
  expand: fc.Arbitrary<number>;
  /** A layer's own activation (null: the network's). */
  act: fc.Arbitrary<string | null>;
  groups: fc.Arbitrary<number | null>;
  /** Kernels, mixed lists among them where channel counts are at least 4 (every split gets a channel). */
  kernel: fc.Arbitrary<RandomStage['kernel']>;
  split: fc.Arbitrary<number | null>;
}

function stageArb(r: Ranges): fc.Arbitrary<RandomStage> {
  return fc
    .record({
      block: fc.constantFrom(...BLOCKS),
      kernel: r.kernel,
      expandSplit: r.split,
      projectSplit: r.split,
      groups: r.groups,
      dilation: maybe(fc.constant(2)),
      stride: fc.constantFrom(1 as const, 2 as const),
      expand: r.expand,
      channels: r.channels,
      repeats: fc.integer({ min: 1, max: 2 }),
      se: maybe(fc.constantFrom(0.25, 0.5, 1)),
      act: r.act,
      skip: fc.constantFrom('auto' as const, 'off' as const, null),
    })
    .map((s) => ({
      ...s,
      expand: s.block === 'ds_conv' || s.block === 'dsa' || s.block === 'conv' ? null : s.expand,
      se: s.block === 'conv' ? null : s.se,
      expandSplit: s.block === 'mbconv' ? s.expandSplit : null,
      projectSplit: s.block === 'conv' ? null : s.projectSplit,
      // A mixed kernel splits the channels itself; a dilated conv has stride 1.
      groups: typeof s.kernel === 'string' ? null : s.groups,
      dilation: s.stride === 1 ? s.dilation : null,
    }));
}

const convArb = (channels: fc.Arbitrary<number>, act: fc.Arbitrary<string | null>, kernels: (1 | 3 | 5)[]): fc.Arbitrary<RandomConv> =>
  fc.record({ kernel: fc.constantFrom(...kernels), stride: fc.constantFrom(1 as const, 2 as const), channels, act });

const fmt = (x: number) => String(x);

/** The `.effnet` text of a random spec's parts. */
export function specText(s: Omit<RandomSpec, 'text'>): string {
  const act = (a: string | null) => (a === null ? '' : ` act ${a}`);
  const conv = (c: RandomConv) => `conv k${c.kernel} s${c.stride} c${c.channels}${act(c.act)}`;
  const lines = [
    'family random {',
    `  input channels ${s.inputChannels}`,
    `  classes ${s.output.kind === 'pooled' ? 0 : s.classes}`,
    `  activation ${s.activation}`,
    `  padding ${s.padding}`,
    `  naming ${s.naming}`,
    `  round channels divisor ${s.divisor} min ${s.divisor}`,
    `  se squeeze from ${s.se.from}${s.se.divisor === null ? '' : ` divisor ${s.se.divisor}`}${act(s.se.act)} gate ${s.se.gate}`,
    `  stem ${conv(s.stem)}`,
    ...s.stages.map(
      (t) =>
        `  stage ${t.block} k${t.kernel} s${t.stride}${t.expand === null ? '' : ` e${fmt(t.expand)}`} c${t.channels} n${t.repeats}` +
        `${t.se === null ? '' : ` se ${fmt(t.se)}`}${act(t.act)}${t.skip === null ? '' : ` skip ${t.skip}`}` +
        `${t.expandSplit === null ? '' : ` expand_split ${t.expandSplit}`}${t.projectSplit === null ? '' : ` project_split ${t.projectSplit}`}` +
        `${t.groups === null ? '' : ` groups ${t.groups}`}${t.dilation === null ? '' : ` dilation ${t.dilation}`}`,
    ),
    `  head ${s.head === null ? 'none' : conv(s.head)}`,
    `  classifier dropout 0.1${s.hidden === null ? '' : ` hidden ${s.hidden.features}${act(s.hidden.act)}`}`,
    ...(s.output.kind === 'features' ? [`  features ${s.output.stages.join(' ')}`] : []),
    ...(s.outputStride === null ? [] : [`  output_stride ${s.outputStride}`]),
    `  variant v { width ${fmt(s.width)} depth ${fmt(s.depth)} resolution ${s.resolution} }`,
    '}',
    '',
  ];
  return lines.join('\n');
}

/** Random valid specs. */
export function randomSpec(options: RandomSpecOptions = {}): fc.Arbitrary<RandomSpec> {
  const maxChannels = options.maxChannels ?? 24;
  const narrow = options.narrow === true;
  const r: Ranges = narrow
    ? { channels: fc.constantFrom(4, 8), headChannels: fc.constantFrom(8, 16), expand: fc.constantFrom(1, 2, 4), act: fc.constant(null), groups: maybe(fc.constantFrom(2, 4)), kernel: fc.constantFrom(1 as const, 3 as const, 5 as const, '3.5' as const, '1.3.5' as const), split: maybe(fc.constantFrom(2, 3)) }
    : { channels: fc.integer({ min: 1, max: maxChannels }), headChannels: fc.integer({ min: 1, max: 2 * maxChannels }), expand: fc.constantFrom(1, 1.5, 2, 4, 6), act: maybe(activation), groups: fc.constant(null), kernel: fc.constantFrom(1 as const, 3 as const, 5 as const), split: fc.constant(null) };
  return fc
    .record({
      inputChannels: fc.integer({ min: 1, max: 4 }),
      classes: narrow ? fc.constant(5) : fc.integer({ min: 1, max: 12 }),
      activation,
      padding: fc.constantFrom('symmetric' as const, 'same' as const),
      naming: fc.constantFrom('efficientnet' as const, 'mobilenet_v2' as const, 'mobilenet_v3' as const),
      divisor: narrow ? fc.constant(4) : fc.constantFrom(1, 2, 4, 8),
      se: fc.record({
        from: fc.constantFrom('input' as const, 'expanded' as const),
        gate: fc.constantFrom('sigmoid' as const, 'hardsigmoid' as const),
        act: r.act,
        divisor: narrow ? fc.constant(null) : maybe(fc.constantFrom(1, 4)),
      }),
      stem: convArb(r.channels, r.act, [1, 3, 5]),
      stages: fc.array(stageArb(r), { minLength: 1, maxLength: options.maxStages ?? 3 }),
      head: maybe(convArb(r.headChannels, r.act, [1, 1, 3])),
      hidden: maybe(fc.record({ features: r.headChannels, act: r.act })),
      output: fc.constantFrom('logits' as const, 'logits' as const, 'pooled' as const, 'features' as const),
      tapped: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      outputStride: fc.option(fc.constantFrom(8 as const, 16 as const), { nil: null, freq: 3 }),
      width: narrow ? fc.constant(1) : fc.constantFrom(0.5, 1, 1.25),
      depth: narrow ? fc.constant(1) : fc.constantFrom(1, 1.5),
      resolution: narrow
        ? fc.constantFrom(16, 17)
        : fc.integer({ min: options.minResolution ?? 15, max: options.maxResolution ?? 33 + (options.maxExtraResolution ?? 0) }),
    })
    .map((s) => {
      // Under SAME padding a split kernel smaller than its stride is E050.
      if (s.padding === 'same') s = { ...s, stages: s.stages.map((t) => (t.kernel === '1.3.5' && t.stride === 2 ? { ...t, kernel: '3.5' as const } : t)) };
      const stride = s.stem.stride * s.stages.reduce((p, t) => p * t.stride, 1) * (s.head?.stride ?? 1);
      // Tapped stages: those the mask picks, else the last.
      const picked = s.stages.map((_, i) => i + 1).filter((i) => s.tapped[i - 1]);
      const output = s.output === 'features' ? { kind: 'features' as const, stages: picked.length > 0 ? picked : [s.stages.length] } : { kind: s.output };
      const { tapped: _, ...rest } = s;
      const spec = { ...rest, output, resolution: Math.max(stride, s.resolution) };
      return { ...spec, text: specText(spec) };
    });
}
