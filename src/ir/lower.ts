import type { FamilyNode, Option, Statement, VariantNode, Word } from '../ast/ast.js';
import { clip, where, type DiagnosticSink, type Range } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { STATEMENT_KEYWORDS } from '../lexer/tokens.js';
import { ATTRIBUTE_KEYS, ATTRIBUTES, COMMON_ATTRIBUTES, isAttributeKey, readActivation, readKernels, type AttributeKey, type StageAttributes } from '../blocks/attributes.js';
import { BLOCK_ALIASES, BLOCK_TYPES, blockKind } from '../blocks/registry.js';
import {
  ACTIVATIONS,
  ACTIVATION_ALIASES,
  defaultNetwork,
  NAMINGS,
  type CompoundIR,
  type ConvIR,
  type FamilyIR,
  type NetworkIR,
  type StageIR,
  type VariantIR,
} from './ir.js';
import { applyPreprocess } from './preprocess.js';
import { OnceTracker, positiveInt, readNumber, readWord } from './values.js';
import { resolveVariant, type VariantScalars } from './variants.js';

type Scope = 'family' | 'variant';

/** The stem and head take one kernel size. */
function readStemKernel(o: Option, sink: DiagnosticSink): number | undefined {
  const ks = readKernels(o, sink);
  if (ks !== undefined && ks.length > 1) {
    sink.error('E020', o.value!.range, 'the stem and head take one kernel size', 'mixed kernels (`k3.5.7`) belong on a `stage`');
    return undefined;
  }
  return ks?.[0];
}

/** Long spellings of the compact attributes, for hints. */
const LONG_FORMS = new Map([['kernel', 'k'], ['stride', 's'], ['expand', 'e'], ['channels', 'c'], ['repeats', 'n']]);
const ATTRIBUTE_NAMES = [...ATTRIBUTE_KEYS, 'grow_only'];

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
        conv.kernel = readStemKernel(o, sink) ?? conv.kernel;
        break;
      case 's':
        conv.stride = ATTRIBUTES.s.read(o, sink) ?? conv.stride;
        break;
      case 'c':
        conv.channels = ATTRIBUTES.c.read(o, sink);
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

/** A stage line: its block kind from the registry, its attributes read with the typed schema. */
function lowerStage(s: Statement & { kind: 'stage' }, sink: DiagnosticSink): StageIR | undefined {
  const block = s.blockType && readWord(s.blockType, 'block type', BLOCK_TYPES, sink, 'E010', BLOCK_ALIASES);
  if (s.blockType === undefined) sink.error('E014', s.keywordRange, 'the stage needs a block type', `one of ${BLOCK_TYPES.map((b) => `\`${b}\``).join(', ')}`);
  const once = new OnceTracker(sink, 'attribute');
  const got: Partial<StageAttributes> = {};
  const written = new Map<AttributeKey, Range>();
  let ok = block !== undefined;
  for (const o of s.attributes) {
    if (o.key.startsWith('?')) {
      unknownAttribute(o, sink);
      ok = false;
      continue;
    }
    // A word the parser knows as an attribute of the stem and head (`grow_only`).
    if (!isAttributeKey(o.key)) {
      sink.error('E015', o.range, `\`${o.key}\` does not apply to a stage`, `\`${o.key}\` applies to the stem and the head`);
      ok = false;
      continue;
    }
    if (!once.first(o.key, o.range)) continue;
    written.set(o.key, o.range);
    if (!readAttribute(o.key, o, got, sink)) ok = false;
  }
  if (block === undefined) return undefined;
  const kind = blockKind(block);
  // After an unknown attribute (`kernel 3`), "missing kernel" would be a follow-on.
  const complete = !s.attributes.some((o) => o.key.startsWith('?'));
  const taken = new Set<AttributeKey>([...COMMON_ATTRIBUTES, ...kind.takes]);
  for (const [key, at] of written) {
    if (taken.has(key)) continue;
    sink.error('E015', at, `\`${key}\` does not apply to \`${block}\` blocks`, kind.notTaken);
    ok = false;
  }
  for (const [key, example] of [['k', 'k3'], ['c', 'c24']] as const) {
    if (complete && !written.has(key)) {
      sink.error('E014', s.keywordRange, `the stage needs ${key === 'k' ? 'a kernel size' : 'output channels'}`, `for example \`${example}\``);
      ok = false;
    }
  }
  for (const [a, b, what] of [['mid', 'e', 'the expanded channels'], ['group_size', 'groups', 'the grouping']] as const) {
    if (written.has(a) && written.has(b)) {
      sink.error('E027', written.get(a)!, `\`${a}\` and \`${b}\` both set ${what}`, 'keep one of them');
      ok = false;
    }
  }
  if (got.dilation !== undefined && got.dilation > 1 && (got.s ?? 1) > 1) {
    sink.error('E027', written.get('dilation')!, 'a dilated convolution with stride 2', 'dilation replaces the stride: use `s1` with `dilation`, or `output_stride` to turn strides into dilation');
    ok = false;
  }
  const check = kind.check?.({ at: (k) => written.get(k), complete, keywordRange: s.keywordRange, error: (code, at, message, hint) => sink.error(code, at, message, hint) });
  if (check === false) ok = false;
  if (!ok || got.k === undefined || got.c === undefined) return undefined;
  return {
    block,
    kernels: got.k,
    stride: got.s ?? 1,
    dilation: got.dilation ?? 1,
    expand: got.e ?? 1,
    channels: got.c,
    repeats: got.n ?? 1,
    se: got.se ?? null,
    act: got.act ?? null,
    skip: got.skip ?? kind.defaultSkip,
    mid: got.mid ?? null,
    expandFrom: got.expand_from ?? null,
    groups: got.groups ?? null,
    groupSize: got.group_size ?? null,
    expandSplit: got.expand_split ?? 1,
    projectSplit: got.project_split ?? 1,
    keepExpand: got.keep_expand === true,
    fixedWidth: got.fixed_width === true,
    fixedDepth: got.fixed_depth === true,
    continues: s.continues,
    range: s.range,
  };
}

/** Reads one attribute into `got` with its schema entry; false when it was invalid (and reported). */
function readAttribute<K extends AttributeKey>(key: K, o: Option, got: Partial<StageAttributes>, sink: DiagnosticSink): boolean {
  const v = ATTRIBUTES[key].read(o, sink);
  if (v === undefined) return false;
  got[key] = v;
  return true;
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
/** Output strides timm's builder takes. */
const OUTPUT_STRIDES = [8, 16, 32];

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
  /** A `stage` or `then` line came before in this scope (a `then` needs one). */
  let sawStage = false;
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
          // 0: no linear layer, the pooled features are the output (timm's num_classes=0).
          net.classes = readNumber(s.value, { ...positiveInt('classes'), min: 0 }, sink) ?? net.classes;
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
        const first = !sawStage;
        sawStage = true;
        if (s.continues && first) {
          sink.error('E016', s.keywordRange, '`then` continues a stage, but no `stage` line comes before it', 'start the stage with `stage`; `then` adds blocks of another configuration to it');
          break;
        }
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
      case 'features': {
        if (!once.first('features', s.keywordRange)) break;
        const stages: number[] = [];
        for (const n of s.stages) {
          const v = readNumber(n, positiveInt('feature stage'), sink);
          if (v === undefined) continue;
          if (stages.length > 0 && v <= stages.at(-1)!) sink.error('E049', n.range, `feature stage ${v} does not come after stage ${stages.at(-1)}`, 'list the tapped stages in increasing order, each once, as in `features 2 3 5`');
          else stages.push(v);
        }
        if (stages.length === s.stages.length) net.features = { stages, ranges: s.stages.map((n) => n.range) };
        break;
      }
      case 'preprocess':
        if (once.first('preprocess', s.keywordRange)) net.preprocess = applyPreprocess(s, net.preprocess, sink);
        break;
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
          case 'output_stride': {
            const v = readNumber(s.value, positiveInt('output_stride'), sink);
            if (v === undefined) break;
            if (OUTPUT_STRIDES.includes(v)) net.outputStride = v;
            else sink.error('E048', s.value!.range, `output_stride ${v} is not one of ${OUTPUT_STRIDES.join(', ')}`, 'later strides become dilation once the feature stride reaches it: 8 and 16 suit dense prediction, 32 is the classifier\'s');
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
  const firstAt = all[0]!.keywordRange;
  for (const extra of all.slice(1)) sink.error('E013', extra.keywordRange, '`compound` is given twice', `the first is at ${where(firstAt)}`, [{ range: firstAt, message: 'first given here' }]);
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
        [{ range: first.range, message: same ? 'first defined here' : `\`${first.text}\` defined here` }],
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
