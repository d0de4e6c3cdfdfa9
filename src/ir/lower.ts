import type { FamilyNode, Option, Statement, VariantNode, Word } from '../ast/ast.js';
import { clip, where, type DiagnosticSink, type Range } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { STATEMENT_KEYWORDS } from '../lexer/tokens.js';
import {
  ACTIVATION_ALIASES,
  ACTIVATIONS,
  BLOCK_ALIASES,
  BLOCK_TYPES,
  defaultNetwork,
  NAMINGS,
  type Activation,
  type CompoundIR,
  type ConvIR,
  type FamilyIR,
  type NetworkIR,
  type StageIR,
  type VariantIR,
} from './ir.js';
import { OnceTracker, positiveInt, readNumber, readWord } from './values.js';
import { resolveVariant, type VariantScalars } from './variants.js';

type Scope = 'family' | 'variant';

function readActivation(o: Option, sink: DiagnosticSink, what = 'activation'): Activation | undefined {
  return readWord(o.value, what, ACTIVATIONS, sink, 'E011', ACTIVATION_ALIASES);
}

/** Long spellings of the compact attributes, for hints. */
const LONG_FORMS = new Map([['kernel', 'k'], ['stride', 's'], ['expand', 'e'], ['channels', 'c'], ['repeats', 'n']]);
const ATTRIBUTE_NAMES = ['k', 's', 'e', 'c', 'n', 'se', 'act', 'skip', 'mid', 'expand_from', 'fixed_width', 'fixed_depth', 'grow_only'];

function unknownAttribute(o: Option, sink: DiagnosticSink): void {
  const word = o.key.slice(1);
  if (/^[-.\d]/.test(word)) {
    sink.error('E003', o.range, `unexpected number ${clip(word)}`, 'a number follows its attribute letter, as in `k3` or `c24`');
    return;
  }
  const compact = LONG_FORMS.get(word) ?? (/^[ksecn]$/.test(word) ? word : undefined);
  const hint = () => compact
    ? `write \`${compact}${clip(o.value?.text ?? 'N')}\`${compact === word ? ', without a space' : ''}`
    : /^[a-z]+\d/.test(word)
      ? `compact attributes are k (kernel), s (stride), e (expand), c (channels), n (repeats)`
      : didYouMean(word, ATTRIBUTE_NAMES);
  sink.error('E003', o.range, `unknown attribute \`${clip(word)}\``, hint);
}

/** Stem and head: `conv k3 s2 c32 [act X] [fixed_width]`. */
function lowerConv(s: Statement & { attributes: Option[] }, defaults: { kernel: number; stride: number }, sink: DiagnosticSink): ConvIR | undefined {
  const once = new OnceTracker(sink, 'attribute');
  const conv: Partial<ConvIR> = { kernel: defaults.kernel, stride: defaults.stride, act: null, fixedWidth: false, growOnly: false, range: s.range };
  for (const o of s.attributes) {
    if (o.key.startsWith('?')) {
      unknownAttribute(o, sink);
      continue;
    }
    if (!once.first(o.key, o.range)) continue;
    switch (o.key) {
      case 'k':
        conv.kernel = readKernel(o, sink) ?? conv.kernel;
        break;
      case 's':
        conv.stride = readStride(o, sink) ?? conv.stride;
        break;
      case 'c':
        conv.channels = readNumber(o.value, positiveInt('channels', 'E024'), sink);
        break;
      case 'act':
        conv.act = readActivation(o, sink) ?? null;
        break;
      case 'fixed_width':
        conv.fixedWidth = true;
        break;
      case 'grow_only':
        conv.growOnly = true;
        break;
      default:
        sink.error('E015', o.range, `\`${o.key}\` does not apply to the ${s.kind}`, 'the stem and head take k, s, c, act, fixed_width and grow_only');
    }
  }
  if (conv.fixedWidth && conv.growOnly) {
    sink.error('E027', s.range, '`fixed_width` and `grow_only` contradict each other', 'keep one of them');
    return undefined;
  }
  if (conv.channels === undefined) {
    // An invalid `c` was reported where it stands; only a missing one is reported here.
    if (!s.attributes.some((o) => o.key === 'c' || o.key.startsWith('?')))
      sink.error('E014', s.keywordRange, `the ${s.kind} needs output channels`, `for example \`${s.kind === 'head' ? 'c1280' : 'c32'}\``);
    return undefined;
  }
  return conv as ConvIR;
}

const readKernel = (o: Option, sink: DiagnosticSink): number | undefined => {
  const k = readNumber(o.value, { what: 'kernel size', integer: true, code: 'E020', min: 1, max: 1023 }, sink);
  if (k !== undefined && k % 2 === 0) {
    sink.error('E020', o.value!.range, `kernel size ${k} is even`, 'effnet pads symmetrically around the centre: use an odd kernel size such as 3 or 5');
    return undefined;
  }
  return k;
};

const readStride = (o: Option, sink: DiagnosticSink): number | undefined => {
  const s = readNumber(o.value, { what: 'stride', integer: true, code: 'E021' }, sink);
  if (s !== undefined && s !== 1 && s !== 2) {
    sink.error('E021', o.value!.range, `stride ${s} is not supported`, 'EfficientNet-family blocks use stride 1 or 2');
    return undefined;
  }
  return s;
};

function lowerStage(s: Statement & { kind: 'stage' }, sink: DiagnosticSink): StageIR | undefined {
  const block = s.blockType && readWord(s.blockType, 'block type', BLOCK_TYPES, sink, 'E010', BLOCK_ALIASES);
  if (s.blockType === undefined) sink.error('E014', s.keywordRange, 'the stage needs a block type', `one of ${BLOCK_TYPES.map((b) => `\`${b}\``).join(', ')}`);
  const once = new OnceTracker(sink, 'attribute');
  // Keys are attribute keywords, never user words; a null prototype all the same.
  const got: Partial<Record<string, number | Activation | string | boolean>> = Object.create(null);
  let ok = block !== undefined;
  const keyRanges = new Map<string, Range>();
  for (const o of s.attributes) {
    if (o.key.startsWith('?')) {
      unknownAttribute(o, sink);
      ok = false;
      continue;
    }
    if (!once.first(o.key, o.range)) continue;
    keyRanges.set(o.key, o.range);
    let v: number | Activation | string | boolean | undefined;
    switch (o.key) {
      case 'k':
        v = readKernel(o, sink);
        break;
      case 's':
        v = readStride(o, sink);
        break;
      case 'e':
        v = readNumber(o.value, { what: 'expand ratio', code: 'E022', min: 1, max: 1024 }, sink);
        break;
      case 'c':
        v = readNumber(o.value, positiveInt('channels', 'E024'), sink);
        break;
      case 'n':
        v = readNumber(o.value, positiveInt('repeats', 'E025'), sink);
        break;
      case 'se':
        v = readNumber(o.value, { what: 'squeeze-excitation ratio', code: 'E023', min: 0, minExclusive: true, max: 1 }, sink);
        break;
      case 'mid':
        v = readNumber(o.value, positiveInt('mid channels', 'E024'), sink);
        break;
      case 'expand_from':
        v = readNumber(o.value, positiveInt('expand_from channels', 'E024'), sink);
        break;
      case 'act':
        v = readActivation(o, sink);
        break;
      case 'skip':
        v = readWord(o.value, 'skip mode', ['auto', 'on', 'off'] as const, sink);
        break;
      case 'fixed_width':
      case 'fixed_depth':
      case 'grow_only':
        v = true;
        break;
    }
    if (v === undefined) ok = false;
    else got[o.key] = v;
  }
  if (block === undefined) return undefined;
  // After an unknown attribute (`kernel 3`), "missing kernel" would be a follow-on.
  const complete = !s.attributes.some((o) => o.key.startsWith('?'));

  const notFor = (keys: string[], why: string) => {
    for (const k of keys) {
      const at = keyRanges.get(k);
      if (at) {
        sink.error('E015', at, `\`${k}\` does not apply to \`${block}\` blocks`, why);
        ok = false;
      }
    }
  };
  notFor(['grow_only'], '`grow_only` applies to the stem and the head');
  if (block === 'conv') notFor(['e', 'mid', 'expand_from', 'se'], 'a `conv` block is one k×k convolution with norm and activation');
  if (block === 'ds_conv') notFor(['e', 'mid', 'expand_from'], 'a depthwise-separable block has no expansion');
  for (const [key, example] of [['k', 'k3'], ['c', 'c24']] as const) {
    if (complete && got[key] === undefined && !keyRanges.has(key)) {
      sink.error('E014', s.keywordRange, `the stage needs ${key === 'k' ? 'a kernel size' : 'output channels'}`, `for example \`${example}\``);
      ok = false;
    }
  }
  const expanding = block === 'mbconv' || block === 'fused_mbconv' || block === 'edge_residual';
  if (complete && expanding && !keyRanges.has('e') && !keyRanges.has('mid')) {
    sink.error('E014', s.keywordRange, `\`${block}\` needs an expand ratio or explicit mid channels`, 'for example `e6`, or `mid 96`');
    ok = false;
  }
  if (keyRanges.has('mid') && keyRanges.has('e')) {
    sink.error('E027', keyRanges.get('mid')!, '`mid` and `e` both set the expanded channels', 'keep one of them');
    ok = false;
  }
  if (keyRanges.has('expand_from') && !keyRanges.has('e')) {
    sink.error('E014', keyRanges.get('expand_from')!, '`expand_from` needs an expand ratio `e`', 'expanded channels are make_divisible(expand_from · e)');
    ok = false;
  }
  if (!ok) return undefined;
  return {
    block,
    kernel: got.k as number,
    stride: (got.s as number | undefined) ?? 1,
    expand: (got.e as number | undefined) ?? 1,
    channels: got.c as number,
    repeats: (got.n as number | undefined) ?? 1,
    se: (got.se as number | undefined) ?? null,
    act: (got.act as Activation | undefined) ?? null,
    // A plain conv block is a layer, not a residual block, unless asked (timm's `cn…_skip`).
    skip: (got.skip as 'auto' | 'on' | 'off' | undefined) ?? (block === 'conv' ? 'off' : 'auto'),
    mid: (got.mid as number | undefined) ?? null,
    expandFrom: (got.expand_from as number | undefined) ?? null,
    fixedWidth: got.fixed_width === true,
    fixedDepth: got.fixed_depth === true,
    range: s.range,
  };
}

function unknownStatement(s: Statement & { kind: 'unknown' }, sink: DiagnosticSink): void {
  const first = s.words[0]!;
  if (first.kind === 'number') {
    sink.error('E003', first.range, `unexpected number ${clip(first.text)}`, 'a number follows the word it belongs to, as in `classes 1000`');
    return;
  }
  const long = LONG_FORMS.get(first.text);
  const hint = () => long
    ? `inside a stage write \`${long}${clip(s.words[1]?.text ?? 'N')}\``
    : /^[ksecn]\d/.test(first.text)
      ? 'compact attributes such as `k3` belong on a `stage`, `stem` or `head` line'
      : didYouMean(first.text, STATEMENT_KEYWORDS);
  sink.error('E003', first.range, `unknown statement \`${clip(first.text)}\``, hint);
}

/** Applies one scope's statements to `net` (a copy of the base for variants). */
function applyStatements(
  statements: Statement[],
  net: NetworkIR,
  scalars: VariantScalars,
  scope: Scope,
  sink: DiagnosticSink,
): void {
  const once = new OnceTracker(sink, 'setting');
  let stagesReplaced = false;
  let ownStages = false;
  for (const s of statements) {
    switch (s.kind) {
      case 'unknown':
        unknownStatement(s, sink);
        break;
      case 'input':
        if (once.first('input', s.keywordRange))
          net.inputChannels = readNumber(s.channels, positiveInt('input channels'), sink) ?? net.inputChannels;
        break;
      case 'classes':
        if (once.first('classes', s.keywordRange))
          net.classes = readNumber(s.value, positiveInt('classes'), sink) ?? net.classes;
        break;
      case 'activation':
        if (once.first('activation', s.keywordRange)) {
          const a = readWord(s.name, 'activation', ACTIVATIONS, sink, 'E011', ACTIVATION_ALIASES);
          if (a) net.activation = a;
        }
        break;
      case 'padding':
        if (once.first('padding', s.keywordRange))
          net.padding = readWord(s.mode, 'padding scheme', ['symmetric', 'same'] as const, sink) ?? net.padding;
        break;
      case 'naming':
        if (once.first('naming', s.keywordRange)) net.naming = readWord(s.scheme, 'naming scheme', NAMINGS, sink) ?? net.naming;
        break;
      case 'norm': {
        if (!once.first('norm', s.keywordRange)) break;
        const inner = new OnceTracker(sink, 'norm option');
        net.norm = { ...net.norm };
        for (const o of s.options) {
          if (!inner.first(o.key, o.range)) continue;
          if (o.key === 'eps') net.norm.eps = readNumber(o.value, { what: 'eps', min: 0, minExclusive: true, max: 1 }, sink) ?? net.norm.eps;
          else net.norm.momentum = readNumber(o.value, { what: 'momentum', min: 0, max: 1 }, sink) ?? net.norm.momentum;
        }
        break;
      }
      case 'round': {
        if (s.target === undefined || !once.first(`round ${s.target}`, s.keywordRange, `round ${s.target}`)) break;
        net.rounding = structuredClone(net.rounding);
        if (s.target === 'repeats') {
          net.rounding.repeats = readWord(s.mode, 'repeat rounding', ['ceil', 'floor', 'round'] as const, sink) ?? net.rounding.repeats;
          break;
        }
        const inner = new OnceTracker(sink, 'rounding option');
        let minGiven = false;
        const minFollowsDivisor = net.rounding.channels.min === net.rounding.channels.divisor;
        for (const o of s.options) {
          if (!inner.first(o.key, o.range)) continue;
          if (s.target === 'resolution' && o.key !== 'divisor') {
            sink.error('E015', o.range, `\`${o.key}\` does not apply to resolution rounding`, 'resolution rounding takes `divisor`');
            continue;
          }
          const rule =
            o.key === 'limit' ? { what: 'round limit', min: 0, max: 1 } : positiveInt(o.key === 'min' ? 'minimum channels' : 'divisor');
          const v = readNumber(o.value, rule, sink);
          if (v === undefined) continue;
          if (s.target === 'resolution') net.rounding.resolution.divisor = v;
          else if (o.key === 'divisor') net.rounding.channels.divisor = v;
          else if (o.key === 'min') {
            net.rounding.channels.min = v;
            minGiven = true;
          } else net.rounding.channels.limit = v;
        }
        // As in make_divisible: the minimum defaults to the divisor.
        // (unless an inherited minimum was set apart from its divisor).
        if (s.target === 'channels' && !minGiven && minFollowsDivisor) net.rounding.channels.min = net.rounding.channels.divisor;
        break;
      }
      case 'se': {
        if (!once.first('se', s.keywordRange)) break;
        const inner = new OnceTracker(sink, 'se option');
        net.se = { ...net.se };
        for (const o of s.options) {
          if (!inner.first(o.key, o.range)) continue;
          if (o.key === 'squeeze') net.se.squeezeFrom = readWord(o.value, 'squeeze source', ['input', 'expanded'] as const, sink) ?? net.se.squeezeFrom;
          else if (o.key === 'divisor') net.se.divisor = readNumber(o.value, positiveInt('se divisor'), sink) ?? net.se.divisor;
          else if (o.key === 'act') net.se.act = readActivation(o, sink) ?? net.se.act;
          else net.se.gate = readActivation(o, sink, 'gate activation') ?? net.se.gate;
        }
        break;
      }
      case 'stem':
        if (once.first('stem', s.keywordRange)) net.stem = lowerConv(s, { kernel: 3, stride: 2 }, sink) ?? net.stem;
        break;
      case 'head':
        if (once.first('head', s.keywordRange)) net.head = s.none ? null : (lowerConv(s, { kernel: 1, stride: 1 }, sink) ?? net.head);
        break;
      case 'stage': {
        // A variant that lists stages replaces the base's stage table.
        if (scope === 'variant' && !stagesReplaced) {
          net.stages = [];
          stagesReplaced = true;
          ownStages = true;
        }
        const stage = lowerStage(s, sink);
        // Copied once per scope (the base's table is shared), then grown in place: not copied per stage.
        if (stage) {
          if (!ownStages) {
            net.stages = net.stages.slice();
            ownStages = true;
          }
          net.stages.push(stage);
        }
        break;
      }
      case 'classifier': {
        if (!once.first('classifier', s.keywordRange)) break;
        const inner = new OnceTracker(sink, 'classifier option');
        net.classifier = { ...net.classifier };
        for (const o of s.options) {
          if (!inner.first(o.key, o.range)) continue;
          if (o.key === 'dropout') net.classifier.dropout = readNumber(o.value, { what: 'dropout', min: 0, max: 1, maxExclusive: true }, sink) ?? net.classifier.dropout;
          else if (o.key === 'fixed_width') net.classifier.hiddenFixedWidth = true;
          else if (o.key === 'hidden') net.classifier.hidden = readNumber(o.value, positiveInt('hidden features', 'E024'), sink) ?? net.classifier.hidden;
          else net.classifier.act = readActivation(o, sink) ?? net.classifier.act;
        }
        break;
      }
      case 'compound':
        if (scope === 'variant') sink.error('E016', s.keywordRange, '`compound` is not allowed inside a variant', 'declare the coefficients once, at family level');
        break;
      case 'scalar': {
        if (!once.first(s.key, s.keywordRange)) break;
        switch (s.key) {
          case 'dropout':
            net.classifier = { ...net.classifier, dropout: readNumber(s.value, { what: 'dropout', min: 0, max: 1, maxExclusive: true }, sink) ?? net.classifier.dropout };
            break;
          case 'drop_path':
            net.dropPath = readNumber(s.value, { what: 'drop_path', min: 0, max: 1, maxExclusive: true }, sink) ?? net.dropPath;
            break;
          case 'width':
          case 'depth': {
            const v = readNumber(s.value, { what: s.key, min: 0, minExclusive: true, max: 1000 }, sink);
            if (v !== undefined) scalars[s.key] = { value: v, range: s.range };
            else scalars.invalid = true;
            break;
          }
          case 'resolution': {
            const v = readNumber(s.value, { ...positiveInt('resolution'), max: 1_000_000 }, sink);
            if (v !== undefined) scalars.resolution = { value: v, range: s.range };
            else scalars.invalid = true;
            break;
          }
          case 'phi':
            if (scope === 'family') {
              sink.error('E016', s.keywordRange, '`phi` belongs in a variant', 'the family block holds the base network (phi = 0)');
              break;
            }
            {
              const v = readNumber(s.value, { what: 'phi', min: -20, max: 20 }, sink);
              if (v !== undefined) scalars.phi = { value: v, range: s.range };
              else scalars.invalid = true;
            }
            break;
        }
        break;
      }
    }
  }
}

function lowerCompound(statements: Statement[], sink: DiagnosticSink): CompoundIR | null {
  const all = statements.filter((s): s is Statement & { kind: 'compound' } => s.kind === 'compound');
  if (all.length === 0) return null;
  for (const extra of all.slice(1)) sink.error('E013', extra.keywordRange, '`compound` is given twice', `the first is at ${where(all[0]!.keywordRange)}`);
  const s = all[0]!;
  const once = new OnceTracker(sink, 'coefficient');
  const got: Partial<Record<'alpha' | 'beta' | 'gamma', number>> = {};
  for (const o of s.options) {
    if (!once.first(o.key, o.range)) continue;
    const v = readNumber(o.value, { what: o.key, min: 0, minExclusive: true, max: 100 }, sink);
    if (v !== undefined && (o.key === 'alpha' || o.key === 'beta' || o.key === 'gamma')) got[o.key] = v;
  }
  const missing = (['alpha', 'beta', 'gamma'] as const).filter((k) => got[k] === undefined && !s.options.some((o) => o.key === k));
  if (missing.length > 0) {
    sink.error('E014', s.range, `\`compound\` needs ${missing.join(', ')}`, 'for example `compound alpha 1.2 beta 1.1 gamma 1.15`');
    return null;
  }
  if (got.alpha === undefined || got.beta === undefined || got.gamma === undefined) return null;
  const product = got.alpha * got.beta ** 2 * got.gamma ** 2;
  if (Math.abs(product - 2) > 0.2) {
    sink.warning(
      'W034',
      s.range,
      `alpha·beta²·gamma² = ${product.toFixed(3)}, more than 10 % away from 2`,
      'the paper constrains alpha·beta²·gamma² ≈ 2 so that FLOPs grow by about 2^phi',
    );
  }
  return { alpha: got.alpha, beta: got.beta, gamma: got.gamma, range: s.range };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names become folder names under generated/: short enough for any file system. */
export const MAX_NAME_LENGTH = 64;
/** Names Windows reserves for devices, whatever the case (`con`, `NUL`, `com1`). */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;
const NAME_RULE = `a name starts with a letter or \`_\` and goes on with letters, digits and \`_\`, at most ${MAX_NAME_LENGTH} characters: it becomes a folder name under generated/`;

function checkName(name: Word | undefined, what: string, sink: DiagnosticSink): boolean {
  if (name === undefined) return false;
  const text = name.text;
  if (!NAME.test(text)) {
    sink.error('E018', name.range, `${what} name \`${clip(text)}\` is not a plain name`, NAME_RULE);
    return false;
  }
  if (text.length > MAX_NAME_LENGTH) {
    sink.error('E018', name.range, `${what} name \`${clip(text)}\` is ${text.length} characters long`, NAME_RULE);
    return false;
  }
  if (RESERVED.test(text)) {
    sink.error('E018', name.range, `${what} name \`${text}\` is a device name on Windows`, 'Windows cannot create a folder named con, prn, aux, nul, com0–com9 or lpt0–lpt9 (in any case): choose another name');
    return false;
  }
  return true;
}

/**
 * AST → Family IR. Returns undefined when errors leave nothing sound to scale.
 * `syntaxOk` false: the parser reported errors, so "missing …" checks would
 * mostly echo them and are left out.
 */
export function lowerFamily(family: FamilyNode, file: string, sink: DiagnosticSink, syntaxOk = true): FamilyIR | undefined {
  const statements = family.items.filter((i): i is Statement => i.kind !== 'variant');
  const variantNodes = family.items.filter((i): i is VariantNode => i.kind === 'variant');
  const base = defaultNetwork();
  const baseScalars: VariantScalars = {};
  applyStatements(statements, base, baseScalars, 'family', sink);
  base.width = baseScalars.width?.value ?? 1;
  base.depth = baseScalars.depth?.value ?? 1;
  base.resolution = baseScalars.resolution?.value ?? null;
  const compound = lowerCompound(statements, sink);
  // Declared but invalid (null): phi variants then say nothing more about it.
  const compoundDeclared = statements.some((s) => s.kind === 'compound');

  const familyNameOk = checkName(family.name, 'family', sink);
  if (syntaxOk && base.stem === null && !statements.some((s) => s.kind === 'stem'))
    sink.error('E014', family.keywordRange, `family \`${family.name?.text ?? ''}\` has no stem`, 'add for example `stem conv k3 s2 c32`');
  if (syntaxOk && variantNodes.length === 0)
    sink.error('E031', family.keywordRange, `family \`${family.name?.text ?? ''}\` has no variants`, 'add for example `variant b0 { width 1.0 depth 1.0 resolution 224 }`');

  const variants: VariantIR[] = [];
  // Keyed by the lower-case name: `B0` and `b0` would share a folder on macOS and Windows.
  const seen = new Map<string, Word>();
  const baseDeclaresStages = statements.some((s) => s.kind === 'stage');
  for (const v of variantNodes) {
    if (!checkName(v.name, 'variant', sink) || v.name === undefined) continue;
    const first = seen.get(v.name.text.toLowerCase());
    if (first) {
      const same = first.text === v.name.text;
      sink.error(
        'E030',
        v.name.range,
        same ? `variant \`${v.name.text}\` is defined twice` : `variant \`${v.name.text}\` differs from \`${first.text}\` only in case`,
        same ? `the first is at ${where(first.range)}` : `the first is at ${where(first.range)}; variant names become folder names, which case-insensitive file systems (macOS, Windows) cannot tell apart`,
      );
      continue;
    }
    seen.set(v.name.text.toLowerCase(), v.name);
    // Shallow: applyStatements replaces, never mutates, what it changes (norm, se, stages …), so the base is shared safely.
    const net: NetworkIR = { ...base };
    const scalars: VariantScalars = {};
    applyStatements(v.statements, net, scalars, 'variant', sink);
    const stagesDeclared = baseDeclaresStages || v.statements.some((s) => s.kind === 'stage');
    if (net.stages.length === 0) {
      if (stagesDeclared || !syntaxOk) continue;
      sink.error('E036', v.name.range, `variant \`${v.name.text}\` has no stages`, 'add `stage` lines to the family or to this variant');
      continue;
    }
    if (scalars.invalid) continue;
    const resolved = resolveVariant(v, net, scalars, compound, compoundDeclared, sink);
    if (resolved) variants.push(resolved);
  }
  if (sink.hasErrors || !familyNameOk || family.name === undefined) return undefined;
  return { name: family.name.text, file, range: family.range, compound, base, variants };
}
