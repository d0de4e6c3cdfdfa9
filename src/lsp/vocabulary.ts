import { ATTRIBUTES, COMMON_ATTRIBUTES, type AttributeKey } from '../blocks/attributes.js';
import { BLOCK_ALIASES, BLOCK_KINDS, BLOCK_TYPES, blockKind, type BlockType } from '../blocks/registry.js';
import { ACTIVATIONS, INTERPOLATIONS, NAMINGS } from '../ir/ir.js';
import { STATEMENT_KEYWORDS } from '../lexer/tokens.js';

// The words completion offers, from the tables the compiler reads: statement
// keywords (lexer), block kinds (block registry), stage attributes (their
// schema) and values (the IR's word lists). Only the options of each
// statement are listed here, as grammar/README.md documents them.

export type StatementKeyword = (typeof STATEMENT_KEYWORDS)[number];

export const STATEMENT_DOCS: Readonly<Record<StatementKeyword, string>> = {
  family: '`family NAME { … }`: the base network, its scaling rules and its variants',
  variant: '`variant NAME { … }`: one model, the family with these settings on top',
  compound: '`compound alpha A beta B gamma G`: compound-scaling coefficients (family only)',
  input: '`input channels N`: channels of the input image',
  classes: '`classes N`: classifier outputs (0: the pooled features)',
  activation: "`activation A`: the network's activation",
  norm: '`norm [batch] [eps X] [momentum M]`: BatchNorm after every convolution',
  padding: '`padding symmetric|same`: convolution padding',
  naming: '`naming N`: how layers are named (torchvision module trees)',
  round: '`round channels|repeats|resolution …`: how scaled values are rounded',
  se: '`se [squeeze from S] [divisor D] [act A] [gate G]`: squeeze-excitation settings',
  stem: '`stem conv kK sS cC`: the stem convolution',
  stage: '`stage BLOCK kK sS eE cC nN …`: one row of the stage table',
  then: '`then BLOCK …`: more blocks of the stage before, another configuration',
  head: '`head conv k1 cC` or `head none`: the head convolution',
  classifier: '`classifier [dropout P] [hidden N] [act A] [fixed_width]`: the classifier',
  drop_path: '`drop_path P`: stochastic depth, the largest drop probability',
  width: '`width W`: width multiplier for channels',
  depth: '`depth D`: depth multiplier for repeats',
  resolution: '`resolution R`: input resolution (R×R)',
  phi: '`phi F`: derive width, depth and resolution from `compound` (variants only)',
  dropout: '`dropout P`: the same as `classifier dropout P`',
  output_stride: '`output_stride 8|16|32`: the largest input-to-feature stride',
  features: '`features S…`: a feature network handing out these stages',
  preprocess: '`preprocess [resize N | crop_pct P] [crop N] [bilinear|bicubic] [mean R G B] [std R G B]`: the eval transform',
};

/** Statements a scope takes: only `family` outside it; `phi` only in a variant; `compound` and `variant` only in the family. */
export function statementsFor(scope: 'top' | 'family' | 'variant'): StatementKeyword[] {
  if (scope === 'top') return ['family'];
  const not = scope === 'family' ? ['family', 'phi'] : ['family', 'variant', 'compound'];
  return STATEMENT_KEYWORDS.filter((k) => !not.includes(k));
}

/** Statements that take one number and are then complete (another statement may follow on the line). */
export const SCALAR_STATEMENTS: ReadonlySet<string> = new Set(['classes', 'drop_path', 'width', 'depth', 'resolution', 'phi', 'dropout', 'output_stride']);

export const ACTIVATION_WORDS: readonly string[] = ACTIVATIONS;

/** What may follow a statement keyword's words: the options of the statement, or the values after an option. */
export interface StatementWords {
  /** Words right after the keyword (a block kind, a round target, `conv`). */
  first?: readonly string[];
  /** Options of the statement, after `first`. */
  options: readonly string[];
  /** Values after an option word. */
  values?: Readonly<Record<string, readonly string[]>>;
}

const STEM_HEAD_ATTRIBUTES = ['k', 's', 'c', 'act', 'fixed_width', 'grow_only'];

export const STATEMENT_WORDS: Readonly<Record<string, StatementWords>> = {
  input: { options: ['channels'] },
  activation: { first: ACTIVATIONS, options: [] },
  norm: { options: ['batch', 'eps', 'momentum'] },
  padding: { first: ['symmetric', 'same'], options: [] },
  naming: { first: NAMINGS, options: [] },
  round: { first: ['channels', 'repeats', 'resolution'], options: [] },
  se: { options: ['squeeze', 'divisor', 'act', 'gate'], values: { squeeze: ['from'], from: ['input', 'expanded'], act: ACTIVATIONS, gate: ACTIVATIONS } },
  stem: { first: ['conv'], options: STEM_HEAD_ATTRIBUTES, values: { act: ACTIVATIONS } },
  head: { first: ['conv', 'none'], options: STEM_HEAD_ATTRIBUTES, values: { act: ACTIVATIONS } },
  classifier: { options: ['dropout', 'hidden', 'act', 'fixed_width'], values: { act: ACTIVATIONS } },
  compound: { options: ['alpha', 'beta', 'gamma'] },
  preprocess: { options: ['resize', 'crop', 'crop_pct', 'mean', 'std', ...INTERPOLATIONS] },
};

/** The options of a `round` statement, by its target. */
export const ROUND_WORDS: Readonly<Record<string, readonly string[]>> = {
  channels: ['divisor', 'min', 'limit'],
  repeats: ['ceil', 'floor', 'round'],
  resolution: ['divisor'],
};

/** Values of stage attributes that take a word. */
export const ATTRIBUTE_VALUES: Readonly<Partial<Record<AttributeKey, readonly string[]>>> = {
  act: ACTIVATIONS,
  skip: ['auto', 'on', 'off'],
};

export const BLOCK_DOCS: ReadonlyMap<string, string> = new Map(BLOCK_KINDS.map((k) => [k.name, k.doc]));

/** The kind a word names, its timm letters included. */
export function kindOf(word: string): BlockType | undefined {
  if ((BLOCK_TYPES as readonly string[]).includes(word)) return word as BlockType;
  return Object.hasOwn(BLOCK_ALIASES, word) ? BLOCK_ALIASES[word] : undefined;
}

/** The attributes a stage line of this kind takes (all of them for an unknown kind), in the schema's order. */
export function attributesOf(kind: BlockType | undefined): AttributeKey[] {
  const all = Object.keys(ATTRIBUTES) as AttributeKey[];
  if (kind === undefined) return all;
  const taken = new Set<string>([...COMMON_ATTRIBUTES, ...blockKind(kind).takes]);
  return all.filter((k) => taken.has(k));
}

/** Compact attributes are written glued to their number (`k3`): the key a written word gives. */
export function attributeKeyOf(word: string): string {
  return /^[ksecn]\d/.test(word) ? word[0]! : word;
}
